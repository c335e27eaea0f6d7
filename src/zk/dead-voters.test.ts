import { describe, expect, it } from "vitest";
import { decideDeadVoter, voterKey, type DeadVoterInput } from "./dead-voters.js";
import type { Membership, ServerSpec } from "./members.js";

const spec = (id: number, host: string, role: ServerSpec["role"] = "participant"): ServerSpec => ({ id, host, role, clientPort: 2181, quorumPort: 2888, electionPort: 3888 });
const membership: Membership = { servers: [spec(1, "a"), spec(2, "b"), spec(3, "c")], version: 0x100000000n };
const base: DeadVoterInput = {
  membership,
  selfKey: "r:2888",
  unreachableSince: new Map(),
  nowMs: 100_000,
  graceMs: 30_000,
  discoveredKeys: new Set(["a:2888", "b:2888", "c:2888", "r:2888"]),
  protectedIds: new Set(),
  syncedVoters: 2,
  reachableInQuorum: 2,
  targetSize: 3,
  preferredId: null,
};
const downSince = (ms: number, ...ids: number[]) => new Map(ids.map((id) => [voterKey(id, spec(id, "abc"[id - 1]!)), ms]));

describe("decideDeadVoter", () => {
  it.each([
    { name: "every voter answers: grow", input: { syncedVoters: 3 }, want: "grow" },
    { name: "listed voter down past the grace: replace it", input: { unreachableSince: downSince(60_000, 1) }, want: "replace:1" },
    { name: "listed voter down within the grace: wait", input: { unreachableSince: downSince(90_000, 1) }, want: "wait" },
    { name: "voter no longer discovered: replace at once", input: { unreachableSince: downSince(100_000, 2), discoveredKeys: new Set(["a:2888", "c:2888"]) }, want: "replace:2" },
    { name: "leader counts it synced (a partition): never remove", input: { unreachableSince: downSince(0, 1), syncedVoters: 3 }, want: "grow" },
    {
      name: "a reachable voter still syncing, a synced one unreachable (a partition): the counts match, yet never remove",
      input: { unreachableSince: downSince(0, 1), syncedVoters: 2, reachableInQuorum: 1 },
      want: "grow",
    },
    { name: "leader silent: never remove", input: { unreachableSince: downSince(0, 1), syncedVoters: null }, want: "grow" },
    { name: "below the target size: grow, the dead stays", input: { unreachableSince: downSince(0, 1), targetSize: 4 }, want: "grow" },
    { name: "a live joiner claimed it (replacement not started yet)", input: { unreachableSince: downSince(0, 1), protectedIds: new Set([1]) }, want: "grow" },
    { name: "two dead: the preferred ID first", input: { unreachableSince: downSince(0, 1, 3), syncedVoters: 1, reachableInQuorum: 1, preferredId: 3 }, want: "replace:3" },
  ])("$name", ({ input, want }) => {
    const v = decideDeadVoter({ ...base, ...input });
    expect(v.kind === "replace" ? `replace:${v.id}` : v.kind).toBe(want);
  });
});
