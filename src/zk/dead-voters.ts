/**
 * Dead voters are replaced, not accumulated. A voter that stays unreachable
 * (no answer on its client or election port) while the config already has the
 * target number of voters is replaced by the next joiner: one version-checked
 * reconfig gives its ID to the joiner. Growing past it instead would leave a
 * dead voter counted in every quorum, and the next failure would lose it.
 * Pure: observations in, a decision out.
 */
import { addressKey, type Membership } from "./members.js";

/** When this joiner first saw a voter unreachable (its own clock), by `id@addressKey`. */
export type UnreachableSince = ReadonlyMap<string, number>;

/** Key of one voter at one address: a replacement at the same ID is a different voter. */
export const voterKey = (id: number, address: { host: string; quorumPort: number }) => `${id}@${addressKey(address)}`;

export type DeadVoterVerdict =
  /** Take this voter's ID. */
  | { kind: "replace"; id: number; reason: string }
  /** Someone is unreachable but not yet for the grace: look again. */
  | { kind: "wait"; reason: string }
  /** Join with a new ID (no dead voter, or the ensemble is below its target size). */
  | { kind: "grow"; reason: string };

export interface DeadVoterInput {
  membership: Membership;
  selfKey: string;
  unreachableSince: UnreachableSince;
  nowMs: number;
  graceMs: number;
  /** Address keys discovery lists: a voter discovery no longer lists is gone at once, without grace. */
  discoveredKeys: ReadonlySet<string>;
  /** IDs a live joiner claimed (a replacement that has not started yet). */
  protectedIds: ReadonlySet<number>;
  /** Voters the leader reports synced (itself included); null when it did not say. */
  syncedVoters: number | null;
  /** Reachable voters that say they are leader or follower: the only ones that can make up that synced count. */
  reachableInQuorum: number;
  targetSize: number | null;
  /** The ID this server would rather have (its old myid or zkid tag), when that voter is dead. */
  preferredId: number | null;
}

/** Decides whether a joiner replaces a dead voter, waits to be sure, or grows the ensemble. */
export function decideDeadVoter(input: DeadVoterInput): DeadVoterVerdict {
  const voters = input.membership.servers.filter((s) => s.role === "participant" && addressKey(s) !== input.selfKey);
  if (input.targetSize !== null && voters.length < input.targetSize) {
    return { kind: "grow", reason: `the ensemble has ${voters.length} voter(s), below its target of ${input.targetSize}` };
  }
  const unreachable = voters.filter((v) => input.unreachableSince.has(voterKey(v.id, v)) && !input.protectedIds.has(v.id));
  if (unreachable.length === 0) return { kind: "grow", reason: "every voter answers" };
  // Never remove a synced voter: if the leader counts more synced voters than the reachable
  // ones in the quorum (leader or follower; a reachable voter still looking or syncing is not
  // in that count), one we cannot reach is in sync (a partition between us and it), so leave it.
  if (input.syncedVoters === null) return { kind: "grow", reason: "the leader did not say how many voters are synced; not replacing anyone" };
  if (input.syncedVoters > input.reachableInQuorum) {
    return { kind: "grow", reason: `${unreachable.length} voter(s) do not answer here, but the leader counts ${input.syncedVoters} synced; not replacing anyone` };
  }
  const dead = unreachable.filter((v) => {
    const since = input.unreachableSince.get(voterKey(v.id, v)) ?? input.nowMs;
    return !input.discoveredKeys.has(addressKey(v)) || input.nowMs - since >= input.graceMs;
  });
  if (dead.length === 0) {
    const list = unreachable.map((v) => `${v.id} (${v.host}:${v.clientPort})`).join(", ");
    return { kind: "wait", reason: `voter(s) ${list} do not answer; waiting ${Math.round(input.graceMs / 1000)} s before taking one's place` };
  }
  const pick = dead.find((v) => v.id === input.preferredId) ?? dead[0];
  if (!pick) return { kind: "grow", reason: "no dead voter" };
  const gone = input.discoveredKeys.has(addressKey(pick)) ? `has not answered for ${Math.round(input.graceMs / 1000)} s` : "is no longer discovered and does not answer";
  return { kind: "replace", id: pick.id, reason: `voter ${pick.id} (${pick.host}:${pick.clientPort}) ${gone} and is not synced with the leader` };
}
