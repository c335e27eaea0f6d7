/**
 * ID claims and the joiner lock, kept in ZooKeeper itself:
 *
 *   /mdeploy/zk-ids/<id>   one persistent znode per claimed ID (create is atomic,
 *                          so two claimers never both get one ID)
 *   /mdeploy/zk-join       held only around a participant reconfig (one at a time)
 *   /mdeploy/zk-clock      touched to read ZooKeeper's own clock for claim ages
 *   /mdeploy/zk-target-size  voters the ensemble should keep, recorded once
 *
 * The committed membership stays the truth about who holds an ID; claims only
 * serialize joiners between "picked an ID" and "reconfig added it".
 */
import type { Clock } from "../core/ports/clock.js";
import { PreflightRefusedError } from "../errors.js";
import { isZkError, ZkErrorCode, type ZkClient } from "./client/zk-client.js";
import { addressKey, parseMembership, type Membership } from "./members.js";
import { classifyClaim, freeIdCandidates, type ClaimRecord } from "./plan.js";

export const CLAIMS_PATH = "/mdeploy/zk-ids";
const JOIN_LOCK_PATH = "/mdeploy/zk-join";
const CLOCK_PATH = "/mdeploy/zk-clock";
const TARGET_SIZE_PATH = "/mdeploy/zk-target-size";

/** How long claims live (ZooKeeper's clock). */
export interface ClaimTimes {
  /** A claim whose owner is neither discovered nor answering is stale after this. */
  graceMs: number;
  /** Any claim not finished is stale after this. */
  ttlMs: number;
}

/** Creates a persistent znode and its parents, tolerating ones that exist. */
async function ensurePath(zk: ZkClient, path: string): Promise<void> {
  let current = "";
  for (const part of path.split("/").filter(Boolean)) {
    current += `/${part}`;
    try {
      await zk.create(current, "");
    } catch (error) {
      if (!isZkError(error, ZkErrorCode.nodeExists)) throw error;
    }
  }
}

/** The committed membership, after a sync so the connected server is not behind the leader. */
export async function readMembership(zk: ZkClient): Promise<Membership> {
  await zk.sync("/zookeeper/config");
  const { data } = await zk.getData("/zookeeper/config");
  return parseMembership(data.toString("utf8"));
}

/** ZooKeeper's current time: the mtime of a znode just written. No host clock involved. */
async function zookeeperNow(zk: ZkClient): Promise<number> {
  try {
    return Number((await zk.setData(CLOCK_PATH, "", -1)).mtime);
  } catch (error) {
    if (!isZkError(error, ZkErrorCode.noNode)) throw error;
    await ensurePath(zk, CLOCK_PATH);
    return Number((await zk.setData(CLOCK_PATH, "", -1)).mtime);
  }
}

/**
 * The number of voters the ensemble should keep. The first zk-id run that
 * finds it unrecorded records the voters of the committed config then: the
 * bootstrap size, since a failed member stays a voter until it is replaced.
 */
export async function targetSize(zk: ZkClient, membership: Membership): Promise<number> {
  const voters = membership.servers.filter((s) => s.role === "participant").length;
  try {
    await ensurePath(zk, "/mdeploy");
    await zk.create(TARGET_SIZE_PATH, String(voters));
    return voters;
  } catch (error) {
    if (!isZkError(error, ZkErrorCode.nodeExists)) throw error;
  }
  const recorded = Number((await zk.getData(TARGET_SIZE_PATH)).data.toString("utf8").trim());
  return Number.isInteger(recorded) && recorded > 0 ? recorded : voters;
}

interface StoredClaim {
  record: ClaimRecord;
  version: number;
}

async function readClaim(zk: ZkClient, path: string, id: number): Promise<StoredClaim | null> {
  try {
    const { data, stat } = await zk.getData(path);
    let owner = "";
    let claimedId = id;
    try {
      const parsed = JSON.parse(data.toString("utf8")) as { owner?: unknown; id?: unknown };
      if (typeof parsed.owner === "string") owner = parsed.owner;
      if (typeof parsed.id === "number") claimedId = parsed.id;
    } catch {
      // Unreadable claim data: an owner of "" is never live, so it ages out like an abandoned claim.
    }
    return { record: { id: claimedId, owner, mtimeMs: Number(stat.mtime) }, version: stat.version };
  } catch (error) {
    if (isZkError(error, ZkErrorCode.noNode)) return null;
    throw error;
  }
}

async function deleteIfUnchanged(zk: ZkClient, path: string, version: number): Promise<void> {
  try {
    await zk.delete(path, version);
  } catch (error) {
    // Someone refreshed or removed it first: their view wins.
    if (!isZkError(error, ZkErrorCode.noNode, ZkErrorCode.badVersion)) throw error;
  }
}

export interface ClaimContext {
  selfKey: string;
  membership: Membership;
  /** Address keys that are discovered or answering. */
  liveKeys: ReadonlySet<string>;
  times: ClaimTimes;
}

/** Claims as they stand after stale ones are deleted. */
interface ClaimScan {
  /** IDs held by other live claimers. */
  claimed: Set<number>;
  /** This server's own claim on an ID that is not yet in the membership. */
  mine: number | null;
}

async function scanClaims(zk: ZkClient, ctx: ClaimContext): Promise<ClaimScan> {
  await ensurePath(zk, CLAIMS_PATH);
  const nowMs = await zookeeperNow(zk);
  const scan: ClaimScan = { claimed: new Set(), mine: null };
  for (const child of await zk.getChildren(CLAIMS_PATH)) {
    if (!/^\d+$/.test(child)) continue;
    const id = Number(child);
    const path = `${CLAIMS_PATH}/${child}`;
    const claim = await readClaim(zk, path, id);
    if (!claim) continue;
    const state = classifyClaim({ ...claim.record, id }, { ...ctx, nowMs, graceMs: ctx.times.graceMs, ttlMs: ctx.times.ttlMs });
    if (state === "stale") await deleteIfUnchanged(zk, path, claim.version);
    else if (state === "mine" && scan.mine === null && !ctx.membership.servers.some((s) => s.id === id)) scan.mine = id;
    else if (state !== "mine") scan.claimed.add(id);
  }
  return scan;
}

/** IDs other live joiners hold claims on (a replacement that has not started yet is one). Deletes stale claims on the way. */
export async function claimedByOthers(zk: ZkClient, ctx: ClaimContext): Promise<ReadonlySet<number>> {
  return (await scanClaims(zk, ctx)).claimed;
}

const claimData = (selfKey: string, id: number) => JSON.stringify({ owner: selfKey, id });

/**
 * Claims a free ID: cleans up stale claims, reuses this server's own claim
 * (so a rerun is idempotent), then creates `/mdeploy/zk-ids/<id>` for the best
 * candidate; NodeExists means someone else won that ID, so it tries the next.
 */
export async function claimFreeId(zk: ZkClient, ctx: ClaimContext, want: { preferredId: number | null; removed: readonly number[] }): Promise<number> {
  const { claimed, mine } = await scanClaims(zk, ctx);
  if (mine !== null) {
    // Refresh its mtime so it does not age out while this server joins.
    await zk.setData(`${CLAIMS_PATH}/${mine}`, claimData(ctx.selfKey, mine), -1);
    return mine;
  }
  const candidates = freeIdCandidates({ membership: ctx.membership, removed: want.removed, claimed, preferredId: want.preferredId });
  for (const id of candidates) {
    try {
      await zk.create(`${CLAIMS_PATH}/${id}`, claimData(ctx.selfKey, id));
      return id;
    } catch (error) {
      if (!isZkError(error, ZkErrorCode.nodeExists)) throw error;
    }
  }
  throw new PreflightRefusedError("no free ZooKeeper server ID left in 1..254");
}

/**
 * Claims one given ID (a dead voter's, to take its place). False when another
 * live joiner holds it; a stale claim on it is cleaned up first.
 */
export async function claimExactId(zk: ZkClient, ctx: ClaimContext, id: number): Promise<boolean> {
  const path = `${CLAIMS_PATH}/${id}`;
  const { claimed } = await scanClaims(zk, { ...ctx, membership: { ...ctx.membership, servers: ctx.membership.servers.filter((s) => s.id !== id) } });
  if (claimed.has(id)) return false;
  try {
    await zk.create(path, claimData(ctx.selfKey, id));
    return true;
  } catch (error) {
    if (!isZkError(error, ZkErrorCode.nodeExists)) throw error;
  }
  // It exists and survived the scan: ours from an earlier run, or someone who just won it.
  const claim = await readClaim(zk, path, id);
  return claim?.record.owner === ctx.selfKey;
}

/** Writes this server's claim on its ID (creating it if gone) and returns the zxid of that write, for the sync check. */
export async function touchClaim(zk: ZkClient, selfKey: string, id: number): Promise<bigint> {
  const path = `${CLAIMS_PATH}/${id}`;
  try {
    return (await zk.setData(path, claimData(selfKey, id), -1)).mzxid;
  } catch (error) {
    if (!isZkError(error, ZkErrorCode.noNode)) throw error;
  }
  await ensurePath(zk, CLAIMS_PATH);
  await zk.create(path, claimData(selfKey, id));
  return (await zk.exists(path))?.mzxid ?? 0n;
}

/** Deletes this server's claim on an ID (after it became a participant, or gave up). */
export async function releaseClaim(zk: ZkClient, selfKey: string, id: number): Promise<void> {
  const path = `${CLAIMS_PATH}/${id}`;
  const claim = await readClaim(zk, path, id);
  if (claim && claim.record.owner === selfKey) await deleteIfUnchanged(zk, path, claim.version);
}

export interface LockWait {
  clock: Clock;
  timeoutMs: number;
  pollMs: number;
  /** Called once when another joiner holds the lock, to say who. */
  onWait?: (holder: string) => void;
}

/**
 * Takes the joiner lock, waiting (bounded) while another live joiner holds it:
 * two participant joiners at once could split the ensemble. A lock whose
 * holder became a participant, vanished, or outlived the TTL is removed.
 */
export async function acquireJoinLock(zk: ZkClient, ctx: ClaimContext & { id: number }, wait: LockWait): Promise<void> {
  await ensurePath(zk, "/mdeploy");
  const payload = JSON.stringify({ owner: ctx.selfKey, id: ctx.id });
  const started = wait.clock.now();
  let told = false;
  const maxRounds = Math.max(1, Math.ceil(wait.timeoutMs / Math.max(1, wait.pollMs))) + 2;
  for (let round = 0; round < maxRounds; round++) {
    try {
      await zk.create(JOIN_LOCK_PATH, payload);
      return;
    } catch (error) {
      if (!isZkError(error, ZkErrorCode.nodeExists)) throw error;
    }
    const held = await readClaim(zk, JOIN_LOCK_PATH, ctx.id);
    if (!held) continue;
    const membership = parseMembership((await zk.getData("/zookeeper/config")).data.toString("utf8"));
    const nowMs = await zookeeperNow(zk);
    // A lock whose holder is a participant now did its reconfig: it is done, whatever its age.
    const holderDone = membership.servers.some((s) => s.id === held.record.id && s.role === "participant" && addressKey(s) === held.record.owner);
    const state = holderDone ? "stale" : classifyClaim(held.record, { ...ctx, membership, nowMs, graceMs: ctx.times.graceMs, ttlMs: ctx.times.ttlMs });
    if (state === "mine") {
      await zk.setData(JOIN_LOCK_PATH, payload, held.version).catch((error: unknown) => {
        if (!isZkError(error, ZkErrorCode.badVersion, ZkErrorCode.noNode)) throw error;
      });
      if (held.record.id === ctx.id) return;
      continue;
    }
    if (state === "stale") {
      await deleteIfUnchanged(zk, JOIN_LOCK_PATH, held.version);
      continue;
    }
    if (!told) {
      wait.onWait?.(`${held.record.owner} (ID ${held.record.id})`);
      told = true;
    }
    if (wait.clock.now() - started >= wait.timeoutMs) break;
    await wait.clock.sleep(wait.pollMs);
  }
  throw new PreflightRefusedError(`another server is joining the ensemble and did not finish within ${Math.round(wait.timeoutMs / 1000)} s; rerun zk-id later`);
}

/** Releases the joiner lock when this server holds it. */
export async function releaseJoinLock(zk: ZkClient, selfKey: string): Promise<void> {
  const held = await readClaim(zk, JOIN_LOCK_PATH, 0);
  if (held && held.record.owner === selfKey) await deleteIfUnchanged(zk, JOIN_LOCK_PATH, held.version);
}
