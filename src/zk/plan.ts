/**
 * The decisions `mdeploy zk-id` makes, as pure functions over what the adapters
 * read: local files, discovery, the committed membership, claims. No I/O here,
 * so every rule is a table-driven test.
 */
import { addressKey, isValidServerId, MAX_SERVER_ID, MIN_SERVER_ID, memberByAddress, memberById, type Membership, type ServerAddress, type ServerSpec } from "./members.js";
import type { Peer } from "./peers.js";

/** What is on this node's disk. */
export interface LocalState {
  /** Content of dataDir/myid, when present and a number. */
  myid: number | null;
  /** dataDir/version-2 holds a snapshot or a transaction log. */
  hasData: boolean;
}

/** Outcome of bootstrap numbering. */
export type BootstrapAssignment =
  | { kind: "assigned"; servers: ServerSpec[] }
  | { kind: "incomplete"; reason: string };

/**
 * Numbers the ensemble when no quorum serves. Every node runs this on the same
 * discovered set and gets the same answer, so no two nodes pick one ID:
 * valid, unique `zkid` tags keep their number (migration), the rest take the
 * lowest free IDs in discovery order. Refuses to guess while the set does not
 * have exactly the expected size, because two nodes seeing different sets is
 * the one way this could hand out an ID twice.
 */
export function assignBootstrapIds(peers: readonly Peer[], expectedSize: number): BootstrapAssignment {
  if (expectedSize < 1 || expectedSize > MAX_SERVER_ID) return { kind: "incomplete", reason: `ensemble size ${expectedSize} is outside 1..${MAX_SERVER_ID}` };
  const unique = dedupe(peers);
  if (unique.length !== expectedSize) {
    return { kind: "incomplete", reason: `discovery found ${unique.length} server(s), expected ${expectedSize}` };
  }
  const tagCounts = new Map<number, number>();
  for (const p of unique) if (p.zkidTag != null && isValidServerId(p.zkidTag)) tagCounts.set(p.zkidTag, (tagCounts.get(p.zkidTag) ?? 0) + 1);
  const keepsTag = (p: Peer) => p.zkidTag != null && tagCounts.get(p.zkidTag) === 1;
  const taken = new Set(unique.filter(keepsTag).map((p) => p.zkidTag as number));
  let next = MIN_SERVER_ID;
  const servers = unique.map((p): ServerSpec => {
    let id: number;
    if (keepsTag(p)) id = p.zkidTag as number;
    else {
      while (taken.has(next)) next++;
      id = next;
      taken.add(id);
    }
    return { id, role: "participant", host: p.host, clientPort: p.clientPort, quorumPort: p.quorumPort, electionPort: p.electionPort };
  });
  return { kind: "assigned", servers: servers.sort((a, b) => a.id - b.id) };
}

function dedupe(peers: readonly Peer[]): Peer[] {
  const seen = new Set<string>();
  return peers.filter((p) => {
    const k = addressKey(p);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** What to do when no quorum serves. */
export type BootstrapVerdict =
  | { kind: "keep"; id: number; reason: string }
  | { kind: "bootstrap"; id: number; servers: ServerSpec[]; initialize: boolean }
  | { kind: "wait"; reason: string }
  | { kind: "refuse"; reason: string };

/**
 * No quorum serves. A node with an ID keeps it (restart; or a wiped node that
 * must wait for an up-to-date member, which db.autocreate=false enforces).
 * Otherwise every node numbers the discovered set the same way; only a node
 * with neither ID nor data writes the `initialize` marker.
 */
export function planBootstrap(input: { self: ServerAddress; local: LocalState; peers: readonly Peer[]; expectedSize: number | null }): BootstrapVerdict {
  const { self, local } = input;
  if (local.myid !== null) {
    return {
      kind: "keep",
      id: local.myid,
      reason: local.hasData ? "kept the ID in myid (data present)" : "kept the ID in myid; its data is empty, so it will not vote until an up-to-date member leads",
    };
  }
  if (input.expectedSize === null) return { kind: "refuse", reason: "no quorum serves and the ensemble size is unknown: pass --ensemble-size" };
  const selfKey = addressKey(self);
  if (!input.peers.some((p) => addressKey(p) === selfKey)) {
    return { kind: "refuse", reason: `this server (${self.host}:${self.quorumPort}) is not among the discovered peers, so it cannot take part in bootstrap numbering` };
  }
  const assignment = assignBootstrapIds(input.peers, input.expectedSize);
  if (assignment.kind === "incomplete") return { kind: "wait", reason: assignment.reason };
  const mine = assignment.servers.find((s) => addressKey(s) === selfKey);
  if (!mine) return { kind: "refuse", reason: "internal: self missing from its own assignment" };
  return { kind: "bootstrap", id: mine.id, servers: assignment.servers, initialize: !local.hasData };
}

/** What to do when a quorum serves. */
export type JoinVerdict =
  | { kind: "keep"; id: number; role: ServerSpec["role"]; reason: string }
  | { kind: "join"; preferredId: number | null; reason: string }
  | { kind: "refuse"; reason: string };

export interface JoinInput {
  self: ServerAddress;
  local: LocalState;
  /** The old `zkid` EC2 tag on this instance, if any. */
  zkidTag: number | null;
  membership: Membership;
  /** Address keys of members that are gone: not discovered and not answering on their client port. */
  goneKeys: ReadonlySet<string>;
}

/**
 * A quorum serves: the committed membership is the truth about who holds
 * which ID. Local state wins unless the ensemble maps that ID to another live
 * address; a gone member's ID is the one a replacement should take.
 */
export function planWithQuorum(input: JoinInput): JoinVerdict {
  const { self, local, membership, goneKeys } = input;
  const selfKey = addressKey(self);
  const gone = membership.servers.filter((s) => addressKey(s) !== selfKey && goneKeys.has(addressKey(s))).map((s) => s.id);
  const mine = memberByAddress(membership, self);
  const describe = (s: ServerSpec) => `${s.host}:${s.clientPort}`;

  const claimOwn = (id: number, source: string): JoinVerdict | null => {
    const holder = memberById(membership, id);
    if (!holder) return { kind: "join", preferredId: id, reason: `${source} ID ${id} is free in the ensemble` };
    if (addressKey(holder) === selfKey) return { kind: "keep", id, role: holder.role, reason: `the ensemble maps ID ${id} to this server` };
    if (goneKeys.has(addressKey(holder))) return { kind: "join", preferredId: id, reason: `${source} ID ${id} belonged to ${describe(holder)}, which is gone` };
    return null;
  };

  if (local.myid !== null && (local.hasData || mine?.id === local.myid)) {
    if (mine && mine.id !== local.myid) {
      return { kind: "refuse", reason: `myid says ${local.myid} but the ensemble maps this address to ID ${mine.id}; wipe the data dir and rerun zk-id` };
    }
    const verdict = claimOwn(local.myid, "this server's");
    if (verdict) return verdict;
    const holder = memberById(membership, local.myid);
    return {
      kind: "refuse",
      reason: `ID ${local.myid} in myid belongs to live member ${holder ? describe(holder) : "?"}; starting would duplicate it: wipe this server's data dir and rerun zk-id to join with a free ID`,
    };
  }
  if (local.myid !== null && !mine && !memberById(membership, local.myid)) {
    // A joiner rerun before its server ever started: take the same ID again (its claim is its own).
    return { kind: "join", preferredId: local.myid, reason: `this server's ID ${local.myid} is still free in the ensemble` };
  }
  if (mine) {
    return { kind: "keep", id: mine.id, role: mine.role, reason: `the ensemble maps this address to ID ${mine.id}; it syncs its empty data from the leader` };
  }
  if (input.zkidTag !== null && isValidServerId(input.zkidTag)) {
    const verdict = claimOwn(input.zkidTag, "the zkid tag's");
    if (verdict) return verdict;
    const holder = memberById(membership, input.zkidTag);
    return { kind: "refuse", reason: `the zkid tag says ${input.zkidTag}, which belongs to live member ${holder ? describe(holder) : "?"}; remove the tag from this instance` };
  }
  const freed = gone.length > 0 ? Math.min(...gone) : null;
  return { kind: "join", preferredId: freed, reason: freed === null ? "joining with a free ID" : `replacing gone member ${freed}` };
}

/**
 * IDs to try claiming, best first: the preferred one if free, then the lowest
 * free ones. An ID is free when no member holds it (after the removals) and no
 * live claim exists for it.
 */
export function freeIdCandidates(input: { membership: Membership; removed: readonly number[]; claimed: ReadonlySet<number>; preferredId: number | null }): number[] {
  const held = new Set(input.membership.servers.map((s) => s.id).filter((id) => !input.removed.includes(id)));
  const free: number[] = [];
  for (let id = MIN_SERVER_ID; id <= MAX_SERVER_ID; id++) if (!held.has(id) && !input.claimed.has(id)) free.push(id);
  const p = input.preferredId;
  return p !== null && free.includes(p) ? [p, ...free.filter((id) => id !== p)] : free;
}

/** A claim znode under /mdeploy/zk-ids (or the joiner lock) as read back. */
export interface ClaimRecord {
  id: number;
  /** Address key of the claimer. */
  owner: string;
  /** ZooKeeper server time of the claim's last write (znode mtime), ms. */
  mtimeMs: number;
}

export type ClaimState = "mine" | "active" | "stale";

/**
 * Whether a claim still holds its ID. A claim is done (stale) once the
 * membership has that ID as a participant or gives it to someone else; an
 * abandoned one goes stale after a grace time when its owner is not live, or
 * after the TTL regardless. Times are ZooKeeper's own clock, not this host's.
 */
export function classifyClaim(claim: ClaimRecord, ctx: { selfKey: string; membership: Membership; liveKeys: ReadonlySet<string>; nowMs: number; graceMs: number; ttlMs: number }): ClaimState {
  const member = memberById(ctx.membership, claim.id);
  const age = ctx.nowMs - claim.mtimeMs;
  if (member && addressKey(member) !== claim.owner) return "stale";
  // A replacement is a participant from its reconfig on, before it runs: its claim
  // keeps other joiners from taking it for dead until it had the grace to start.
  if (member?.role === "participant" && age > ctx.graceMs) return "stale";
  if (claim.owner === ctx.selfKey) return "mine";
  if (age > ctx.ttlMs) return "stale";
  if (!ctx.liveKeys.has(claim.owner) && age > ctx.graceMs) return "stale";
  return "active";
}

/** The `zk://host:port,.../path` string Mesos and Marathon take (`--zk`, `--master`). */
export function zkUrl(servers: readonly ServerSpec[], path: string): string {
  const hosts = [...servers].sort((a, b) => a.id - b.id).map((s) => `${s.host}:${s.clientPort}`);
  const suffix = path.startsWith("/") ? path : `/${path}`;
  return `zk://${hosts.join(",")}${suffix}`;
}
