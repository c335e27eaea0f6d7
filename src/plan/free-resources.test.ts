import { describe, expect, it } from "vitest";
import type { MesosAgent } from "../marathon/types.js";
import { countRangeValues, formatRanges, freeResources, parseRanges, poolForRoles, rangesInclude, subtractRanges, type PortRange } from "./free-resources.js";

describe("Mesos range text", () => {
  const cases: { text: string | undefined; ranges: PortRange[] }[] = [
    { text: "[31000-31999, 32001-32100]", ranges: [[31000, 31999], [32001, 32100]] },
    { text: "[31000-31000]", ranges: [[31000, 31000]] },
    { text: "[]", ranges: [] },
    { text: undefined, ranges: [] },
    { text: "not ranges", ranges: [] },
    { text: "[32001-32100,31000-31999]", ranges: [[31000, 31999], [32001, 32100]] },
    { text: "[5-10, 8-12, 13-14]", ranges: [[5, 14]] },
    { text: "[ 31000 - 31999 ,32001-32100 ]", ranges: [[31000, 31999], [32001, 32100]] },
    { text: "[31000-]", ranges: [] },
    { text: "[9-3]", ranges: [] },
  ];
  for (const { text, ranges } of cases) {
    it(`parses ${JSON.stringify(text)}`, () => expect(parseRanges(text)).toEqual(ranges));
  }

  it("formats, counts and tests membership", () => {
    const ranges = parseRanges("[31000-31999, 32001-32100]");
    expect(formatRanges(ranges)).toBe("[31000-31999, 32001-32100]");
    expect(countRangeValues(ranges)).toBe(1100);
    expect(rangesInclude(ranges, 32000)).toBe(false);
    expect(rangesInclude(ranges, 32100)).toBe(true);
  });

  it("subtracts used ports, including edges and ranges that straddle", () => {
    expect(subtractRanges([[31000, 32000]], [[31000, 31000], [31500, 31501], [31990, 32010]])).toEqual([
      [31001, 31499],
      [31502, 31989],
    ]);
    expect(subtractRanges([[1, 5], [10, 12]], [[0, 100]])).toEqual([]);
  });
});

const stagingAgent: MesosAgent = {
  id: "S1",
  hostname: "staging-1",
  active: true,
  attributes: { type: "staging" },
  resources: { cpus: 1, mem: 497, disk: 35164, gpus: 0, ports: "[31000-32000]" },
  used_resources: { cpus: 0.1, mem: 300, disk: 0, gpus: 0, ports: "[31000-31000]" },
  unreserved_resources: { cpus: 1, mem: 497, disk: 35164, gpus: 0, ports: "[31000-32000]" },
  reserved_resources: {},
};

describe("freeResources", () => {
  it("gives the 197 MB that a 300 MB app leaves on a 497 MB agent", () => {
    const free = freeResources(stagingAgent);
    expect(free.unreserved).toEqual({ cpus: 0.9, mem: 197, disk: 35164, gpus: 0, ports: [[31001, 32000]] });
    expect(free.attributes).toEqual({ type: "staging" });
    expect(free.roles).toEqual([]);
    expect(free.total.mem).toBe(497);
    expect(free.active).toBe(true);
  });

  it("attributes use to the pool it came from when Mesos says (used_resources_full)", () => {
    const agent = {
      ...stagingAgent,
      resources: { cpus: 2, mem: 1000, disk: 100, ports: "[31000-32000]" },
      unreserved_resources: { cpus: 1, mem: 600, disk: 100, ports: "[31000-31500]" },
      reserved_resources: { gitlab: { cpus: 1, mem: 400, disk: 0, ports: "[31501-32000]" } },
      used_resources: { cpus: 1.5, mem: 500, disk: 0, ports: "[31000-31000, 31501-31501]" },
      used_resources_full: [
        { name: "cpus", type: "SCALAR", scalar: { value: 0.5 }, role: "*" },
        { name: "mem", type: "SCALAR", scalar: { value: 200 }, role: "*" },
        { name: "ports", type: "RANGES", ranges: { range: [{ begin: 31000, end: 31000 }] }, role: "*" },
        { name: "cpus", type: "SCALAR", scalar: { value: 1 }, reservations: [{ role: "gitlab", type: "STATIC" }] },
        { name: "mem", type: "SCALAR", scalar: { value: 300 }, reservations: [{ role: "gitlab", type: "STATIC" }] },
        { name: "ports", type: "RANGES", ranges: { range: [{ begin: 31501, end: 31501 }] }, reservations: [{ role: "gitlab" }] },
      ],
    } as MesosAgent;
    const free = freeResources(agent);
    expect(free.unreserved).toEqual({ cpus: 0.5, mem: 400, disk: 100, gpus: 0, ports: [[31001, 31500]] });
    expect(free.reserved.gitlab).toEqual({ cpus: 0, mem: 100, disk: 0, gpus: 0, ports: [[31502, 32000]] });
    expect(free.roles).toEqual(["gitlab"]);
    expect(poolForRoles(free, ["*", "gitlab"]).mem).toBe(500);
    expect(poolForRoles(free).mem).toBe(400);
    expect(poolForRoles(free, ["other"]).mem).toBe(0);
  });

  it("takes all use from every pool when Mesos does not say where it came from", () => {
    const agent: MesosAgent = {
      ...stagingAgent,
      resources: { cpus: 2, mem: 1000, disk: 0 },
      reserved_resources: { web: { cpus: 1, mem: 400, disk: 0 } },
      unreserved_resources: undefined,
      used_resources: { cpus: 0.5, mem: 300, disk: 0 },
    };
    const free = freeResources(agent);
    // Unreserved is derived as total minus reservations when Mesos omits it.
    expect(free.unreserved.mem).toBe(300);
    expect(free.reserved.web?.mem).toBe(100);
  });
});
