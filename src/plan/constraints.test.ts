import { describe, expect, it } from "vitest";
import type { AppDefinition, MesosAgent } from "../marathon/types.js";
import { instanceNeeds } from "./app-resources.js";
import { snapshotFromAgents } from "./cluster-snapshot.js";
import { describeConstraint, dynamicallyAllows, parseConstraint, staticallyAllows } from "./constraints.js";
import type { AgentCapacity } from "./types.js";

const agent = (hostname: string, attributes: Record<string, string | number> = {}): AgentCapacity => ({
  id: hostname,
  hostname,
  attributes,
  free: { cpus: 1, mem: 1000, disk: 0, ports: 10 },
  total: { cpus: 1, mem: 1000, disk: 0, ports: 10 },
  active: true,
});

describe("static constraints", () => {
  const staging = agent("staging-1", { type: "staging", rack: 3 });
  const cases: [string[], boolean][] = [
    [["type", "CLUSTER", "staging"], true],
    [["type", "CLUSTER", "production"], false],
    [["type", "IS", "staging"], true],
    [["rack", "IS", "3"], true],
    [["type", "LIKE", "stag.*"], true],
    [["type", "LIKE", "stag"], false],
    [["type", "UNLIKE", "prod.*"], true],
    [["type", "UNLIKE", "stag.*"], false],
    [["zone", "UNLIKE", "a"], true],
    [["zone", "LIKE", ".*"], false],
    [["hostname", "LIKE", "staging-\\d"], true],
    [["hostname", "UNIQUE"], true],
    [["zone", "UNIQUE"], false],
    [["type", "GROUP_BY"], true],
    [["type", "LIKE", "("], false],
  ];
  it.each(cases)("%j on type:staging rack:3 -> %s", (constraint, allowed) => {
    expect(staticallyAllows(parseConstraint(constraint), staging)).toBe(allowed);
  });
});

describe("dynamic constraints count every instance of the app", () => {
  const a = agent("a", { rack: "r1" });
  const cases: { constraint: string[]; counts: [string, number][]; allowed: boolean }[] = [
    { constraint: ["hostname", "UNIQUE"], counts: [], allowed: true },
    { constraint: ["hostname", "UNIQUE"], counts: [["a", 1]], allowed: false },
    { constraint: ["hostname", "UNIQUE"], counts: [["b", 1]], allowed: true },
    { constraint: ["rack", "MAX_PER", "2"], counts: [["r1", 1]], allowed: true },
    { constraint: ["rack", "MAX_PER", "2"], counts: [["r1", 2]], allowed: false },
    { constraint: ["rack", "CLUSTER"], counts: [["r2", 1]], allowed: false },
    { constraint: ["rack", "CLUSTER"], counts: [["r1", 3]], allowed: true },
    { constraint: ["rack", "CLUSTER"], counts: [], allowed: true },
  ];
  it.each(cases)("$constraint with $counts -> $allowed", ({ constraint, counts, allowed }) => {
    expect(dynamicallyAllows(parseConstraint(constraint), a, new Map(counts))).toBe(allowed);
  });
});

describe("constraints in words", () => {
  const cases: [string[], string][] = [
    [["type", "CLUSTER", "staging"], "type:staging"],
    [["type", "LIKE", "staging"], "type:staging"],
    [["type", "LIKE", "stag.*"], "type like stag.*"],
    [["type", "UNLIKE", "prod"], "type not like prod"],
    [["hostname", "UNIQUE"], "hostname:UNIQUE"],
    [["rack", "MAX_PER", "2"], "rack:MAX_PER 2"],
    [["rack", "IS", "r1"], "rack:r1"],
  ];
  it.each(cases)("%j -> %s", (constraint, words) => {
    expect(describeConstraint(parseConstraint(constraint))).toBe(words);
  });
});

describe("what one instance asks for", () => {
  const cases: { name: string; app: AppDefinition; cpus: number; mem: number; ports: number; fixed: number[] }[] = [
    { name: "Marathon's defaults: 1 CPU, 128 MB, one host port", app: { id: "/a", cmd: "x" }, cpus: 1, mem: 128, ports: 1, fixed: [] },
    { name: "no ports asked", app: { id: "/a", cmd: "x", portDefinitions: [] }, cpus: 1, mem: 128, ports: 0, fixed: [] },
    { name: "requirePorts pins them", app: { id: "/a", cmd: "x", requirePorts: true, portDefinitions: [{ port: 80 }, { port: 0 }] }, cpus: 1, mem: 128, ports: 2, fixed: [80] },
    { name: "bridge: host ports of the mappings", app: { id: "/a", mem: 300, cpus: 0.25, networks: [{ mode: "container/bridge" }], container: { docker: { image: "i" }, portMappings: [{ containerPort: 8080, hostPort: 0 }, { containerPort: 9090, hostPort: 9090 }, { containerPort: 1 }] } }, cpus: 0.25, mem: 300, ports: 2, fixed: [9090] },
    { name: "legacy docker BRIDGE network", app: { id: "/a", container: { docker: { image: "i", network: "BRIDGE", portMappings: [{ containerPort: 80, hostPort: 0 }] } } }, cpus: 1, mem: 128, ports: 1, fixed: [] },
  ];
  it.each(cases)("$name", ({ app, cpus, mem, ports, fixed }) => {
    const needs = instanceNeeds(app);
    expect(needs.resources).toEqual({ cpus, mem, disk: 0, ports });
    expect(needs.fixedPorts).toEqual(fixed);
  });
});

describe("free capacity from /master/slaves", () => {
  const record = (extra: Partial<MesosAgent> = {}): MesosAgent => ({
    id: "S1",
    hostname: "staging",
    active: true,
    attributes: { type: "staging" },
    resources: { cpus: 1, mem: 497, disk: 4000, ports: "[31000-32000]" },
    used_resources: { cpus: 0.25, mem: 300, disk: 0, ports: "[31000-31000]" },
    ...extra,
  });
  it("free is total minus used, ports by range", () => {
    const [a] = snapshotFromAgents([record()]).agents;
    expect(a?.free).toEqual({ cpus: 0.75, mem: 197, disk: 4000, ports: 1000 });
    expect(a?.total).toEqual({ cpus: 1, mem: 497, disk: 4000, ports: 1001 });
    expect(a?.freePortRanges).toEqual([[31001, 32000]]);
    expect(a?.attributes).toEqual({ type: "staging" });
  });
  it("reserved resources become a pool for their role", () => {
    const [a] = snapshotFromAgents([
      record({
        resources: { cpus: 2, mem: 1000, disk: 0, ports: "[31000-31999]" },
        unreserved_resources: { cpus: 1, mem: 500, disk: 0, ports: "[31000-31499]" },
        reserved_resources: { slave_public: { cpus: 1, mem: 500, disk: 0, ports: "[31500-31999]" } },
        used_resources: { cpus: 0, mem: 0, disk: 0 },
      }),
    ]).agents;
    expect(a?.free.mem).toBe(500);
    expect(a?.reserved?.slave_public?.mem).toBe(500);
  });
  it("an inactive agent stays inactive", () => {
    expect(snapshotFromAgents([record({ active: false })]).agents[0]?.active).toBe(false);
  });
});
