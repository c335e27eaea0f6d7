import { describe, expect, it } from "vitest";
import { constraintAllows, matchOffer, type LaunchRequirements, type OfferedAgent } from "./offer-matching.js";

const agent = (hostname: string, attributes: Record<string, string | number> = {}, free = { cpus: 1, mem: 497, disk: 100, gpus: 0 }): OfferedAgent => ({
  hostname,
  attributes,
  role: "*",
  free,
  pickPorts: (request) => request.map((p, i) => (p > 0 ? p : 31000 + i)),
});
const counts = (m: Record<string, Record<string, number>>) => (field: string) => new Map(Object.entries(m[field] ?? {}));
const req = (extra: Partial<LaunchRequirements> = {}): LaunchRequirements => ({ cpus: 0.1, mem: 300, disk: 0, gpus: 0, hostPorts: [0], acceptedRoles: ["*"], constraints: [], ...extra });

describe("matchOffer", () => {
  it("reports only the first failing reason, in Marathon's order", () => {
    const tight = agent("s", { type: "staging" }, { cpus: 0.05, mem: 100, disk: 0, gpus: 0 });
    expect(matchOffer(req({ constraints: [["type", "CLUSTER", "svc"]] }), tight, counts({}))).toEqual({ ok: false, reason: "UnfulfilledConstraint" });
    expect(matchOffer(req(), tight, counts({}))).toEqual({ ok: false, reason: "InsufficientCpus" });
    expect(matchOffer(req({ cpus: 0.05 }), tight, counts({}))).toEqual({ ok: false, reason: "InsufficientMemory" });
    expect(matchOffer(req({ acceptedRoles: ["public"] }), tight, counts({}))).toEqual({ ok: false, reason: "UnfulfilledRole" });
  });

  it("accepts an exact fit despite floating-point sums", () => {
    expect(matchOffer(req({ cpus: 0.3, mem: 497 }), agent("a", {}, { cpus: 0.1 + 0.2, mem: 497, disk: 0, gpus: 0 }), counts({}))).toEqual({ ok: true, ports: [31000] });
  });
});

describe("constraintAllows", () => {
  it("CLUSTER without a value follows the first instance", () => {
    expect(constraintAllows(["type", "CLUSTER"], agent("a", { type: "x" }), counts({}))).toBe(true);
    expect(constraintAllows(["type", "CLUSTER"], agent("a", { type: "x" }), counts({ type: { y: 1 } }))).toBe(false);
    expect(constraintAllows(["type", "CLUSTER"], agent("a", { type: "y" }), counts({ type: { y: 1 } }))).toBe(true);
  });

  it("a missing attribute fails every operator but UNLIKE", () => {
    for (const op of ["UNIQUE", "CLUSTER", "GROUP_BY", "MAX_PER", "LIKE", "IS"]) expect(constraintAllows(["rack", op, "1"], agent("a"), counts({}))).toBe(false);
    expect(constraintAllows(["rack", "UNLIKE", "r1"], agent("a"), counts({}))).toBe(true);
  });

  it("GROUP_BY prefers values with the fewest instances", () => {
    const c = counts({ zone: { a: 2, b: 1 } });
    expect(constraintAllows(["zone", "GROUP_BY", "2"], agent("h", { zone: "a" }), c)).toBe(false);
    expect(constraintAllows(["zone", "GROUP_BY", "2"], agent("h", { zone: "b" }), c)).toBe(true);
    expect(constraintAllows(["zone", "GROUP_BY", "3"], agent("h", { zone: "b" }), c)).toBe(false);
    expect(constraintAllows(["zone", "GROUP_BY", "3"], agent("h", { zone: "c" }), c)).toBe(true);
  });
});
