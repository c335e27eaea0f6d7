import { describe, expect, it } from "vitest";
import type { Membership, ServerSpec } from "./members.js";
import type { Peer } from "./peers.js";
import { assignBootstrapIds, classifyClaim, freeIdCandidates, planBootstrap, planWithQuorum, zkUrl, type ClaimRecord, type JoinInput } from "./plan.js";

const peer = (host: string, zkidTag: number | null = null): Peer => ({ host, clientPort: 2181, quorumPort: 2888, electionPort: 3888, zkidTag });
const spec = (id: number, host: string, role: ServerSpec["role"] = "participant"): ServerSpec => ({ id, host, role, clientPort: 2181, quorumPort: 2888, electionPort: 3888 });
const ids = (servers: ServerSpec[]) => Object.fromEntries(servers.map((s) => [s.host, s.id]));

describe("assignBootstrapIds", () => {
  it.each([
    { name: "discovery order", peers: [peer("b"), peer("a"), peer("c")], size: 3, want: { b: 1, a: 2, c: 3 } },
    { name: "zkid tags kept", peers: [peer("a", 3), peer("b"), peer("c", 1)], size: 3, want: { a: 3, b: 2, c: 1 } },
    { name: "duplicate tags ignored on both", peers: [peer("a", 2), peer("b", 2), peer("c", 1)], size: 3, want: { a: 2, b: 3, c: 1 } },
    { name: "out-of-range tag ignored", peers: [peer("a", 255), peer("b")], size: 2, want: { a: 1, b: 2 } },
    { name: "duplicate peer entries count once", peers: [peer("a"), peer("a"), peer("b")], size: 2, want: { a: 1, b: 2 } },
  ])("$name", ({ peers, size, want }) => {
    const r = assignBootstrapIds(peers, size);
    expect(r.kind).toBe("assigned");
    if (r.kind === "assigned") expect(ids(r.servers)).toEqual(want);
  });

  it("waits while the discovered set does not have the expected size", () => {
    expect(assignBootstrapIds([peer("a"), peer("b")], 3)).toEqual({ kind: "incomplete", reason: "discovery found 2 server(s), expected 3" });
    expect(assignBootstrapIds([peer("a"), peer("b"), peer("c"), peer("d")], 3).kind).toBe("incomplete");
    expect(assignBootstrapIds([], 255).kind).toBe("incomplete");
  });

  it("a replacement launched later never renumbers the servers before it", () => {
    const before = assignBootstrapIds([peer("a"), peer("b"), peer("c")], 3);
    const after = assignBootstrapIds([peer("a"), peer("b"), peer("d")], 3);
    if (before.kind !== "assigned" || after.kind !== "assigned") throw new Error("expected assignments");
    expect(ids(after.servers)).toMatchObject({ a: ids(before.servers).a, b: ids(before.servers).b });
  });
});

describe("planBootstrap", () => {
  const peers = [peer("a"), peer("b"), peer("c")];
  it.each([
    { name: "fresh node bootstraps and initializes", local: { myid: null, hasData: false }, size: 3, want: { kind: "bootstrap", id: 2, initialize: true } },
    { name: "restart keeps myid", local: { myid: 7, hasData: true }, size: 3, want: { kind: "keep", id: 7 } },
    { name: "wiped node keeps myid and does not initialize", local: { myid: 2, hasData: false }, size: 3, want: { kind: "keep", id: 2 } },
    { name: "unknown size refuses", local: { myid: null, hasData: false }, size: null, want: { kind: "refuse" } },
    { name: "too few peers waits", local: { myid: null, hasData: false }, size: 4, want: { kind: "wait" } },
  ])("$name", ({ local, size, want }) => {
    expect(planBootstrap({ self: peer("b"), local, peers, expectedSize: size })).toMatchObject(want);
  });

  it("refuses when this server is not among the discovered peers", () => {
    expect(planBootstrap({ self: peer("z"), local: { myid: null, hasData: false }, peers, expectedSize: 3 })).toMatchObject({ kind: "refuse" });
  });
});

describe("planWithQuorum", () => {
  const membership: Membership = { servers: [spec(1, "a"), spec(2, "b"), spec(3, "c")], version: 0x100000000n };
  const base: JoinInput = { self: peer("d"), local: { myid: null, hasData: false }, zkidTag: null, membership, goneKeys: new Set() };
  it.each([
    { name: "restart of a member keeps its ID", input: { self: peer("b"), local: { myid: 2, hasData: true } }, want: { kind: "keep", id: 2 } },
    { name: "wiped member at its address keeps its ID", input: { self: peer("b"), local: { myid: null, hasData: false } }, want: { kind: "keep", id: 2 } },
    { name: "myid with data held by a live member refuses", input: { local: { myid: 2, hasData: true } }, want: { kind: "refuse" } },
    { name: "myid with data held by a gone member replaces it", input: { local: { myid: 2, hasData: true }, goneKeys: new Set(["b:2888"]) }, want: { kind: "join", preferredId: 2 } },
    { name: "myid with data not in the ensemble rejoins under it", input: { local: { myid: 9, hasData: true } }, want: { kind: "join", preferredId: 9 } },
    { name: "stale myid without data is ignored", input: { local: { myid: 2, hasData: false } }, want: { kind: "join", preferredId: null } },
    { name: "rerun joiner keeps its free ID", input: { local: { myid: 5, hasData: false } }, want: { kind: "join", preferredId: 5 } },
    { name: "address mapped to another ID refuses", input: { self: peer("b"), local: { myid: 3, hasData: true } }, want: { kind: "refuse" } },
    { name: "fresh node replaces the gone member", input: { goneKeys: new Set(["a:2888"]) }, want: { kind: "join", preferredId: 1 } },
    { name: "fresh node with nothing gone joins with any free ID", input: {}, want: { kind: "join", preferredId: null } },
    { name: "zkid tag of a live member refuses", input: { zkidTag: 3 }, want: { kind: "refuse" } },
    { name: "zkid tag of a gone member takes its place", input: { zkidTag: 3, goneKeys: new Set(["c:2888"]) }, want: { kind: "join", preferredId: 3 } },
    { name: "free zkid tag is claimed", input: { zkidTag: 8 }, want: { kind: "join", preferredId: 8 } },
  ])("$name", ({ input, want }) => {
    expect(planWithQuorum({ ...base, ...input })).toMatchObject(want);
  });
});

describe("freeIdCandidates", () => {
  const membership: Membership = { servers: [spec(1, "a"), spec(2, "b"), spec(4, "c")], version: 1n };
  it("prefers the preferred ID, then the lowest free, skipping members and claims", () => {
    expect(freeIdCandidates({ membership, removed: [], claimed: new Set([3]), preferredId: null }).slice(0, 3)).toEqual([5, 6, 7]);
    expect(freeIdCandidates({ membership, removed: [2], claimed: new Set(), preferredId: 2 }).slice(0, 2)).toEqual([2, 3]);
    expect(freeIdCandidates({ membership, removed: [], claimed: new Set(), preferredId: 2 })[0]).toBe(3);
  });
  it("never offers an ID outside 1..254", () => {
    const all = freeIdCandidates({ membership: { servers: [], version: null }, removed: [], claimed: new Set(), preferredId: 300 });
    expect(all).toHaveLength(254);
    expect(Math.max(...all)).toBe(254);
  });
});

describe("classifyClaim", () => {
  const membership: Membership = { servers: [spec(1, "a"), spec(5, "e", "observer")], version: 1n };
  const ctx = { selfKey: "d:2888", membership, liveKeys: new Set(["e:2888", "f:2888"]), nowMs: 1_000_000, graceMs: 60_000, ttlMs: 600_000 };
  const claim = (id: number, owner: string, ageMs: number): ClaimRecord => ({ id, owner, mtimeMs: ctx.nowMs - ageMs });
  it.each([
    { name: "own claim", c: claim(6, "d:2888", 0), want: "mine" },
    { name: "replacement participant within grace (not started yet)", c: claim(1, "a:2888", 10_000), want: "active" },
    { name: "participant past grace", c: claim(1, "a:2888", 70_000), want: "stale" },
    { name: "observer joining with its claim", c: claim(5, "e:2888", 0), want: "active" },
    { name: "id given to someone else", c: claim(5, "x:2888", 0), want: "stale" },
    { name: "live owner within ttl", c: claim(7, "f:2888", 500_000), want: "active" },
    { name: "live owner past ttl", c: claim(7, "f:2888", 700_000), want: "stale" },
    { name: "unknown owner within grace", c: claim(7, "g:2888", 10_000), want: "active" },
    { name: "unknown owner past grace", c: claim(7, "g:2888", 70_000), want: "stale" },
  ])("$name -> $want", ({ c, want }) => {
    expect(classifyClaim(c, ctx)).toBe(want);
  });
});

describe("zkUrl", () => {
  it("lists members by ID with their client ports", () => {
    expect(zkUrl([spec(2, "10.0.0.2"), spec(1, "10.0.0.1")], "mesos")).toBe("zk://10.0.0.1:2181,10.0.0.2:2181/mesos");
  });
});
