/**
 * `zk-id --promote`, after ZooKeeper started here as an observer: wait until it
 * has synced (without holding anything, so joiners sync side by side), then add
 * it as a participant; the joiner lock is held for that reconfig only.
 * For a server that replaced a dead voter (already a participant) it confirms
 * the server serves as one.
 */
import { PreflightRefusedError, UnreachableError, UsageError } from "../errors.js";
import { acquireJoinLock, CLAIMS_PATH, readMembership, releaseClaim, releaseJoinLock, touchClaim } from "./claims.js";
import { isZkError, ZkConnectError, ZkErrorCode, type ZkClient } from "./client/zk-client.js";
import { reconfigWithRetry, withEnsemble } from "./ensemble-session.js";
import { addressKey, memberById, renderServerLine, type ServerAddress } from "./members.js";
import { liveKeys, look, recordFormed, serving } from "./surroundings.js";
import type { ZkIdDeps, ZkIdOptions, ZkIdResult } from "./zk-id-types.js";

/** Pause while waiting for a short-held lock or a mode change: far below the poll interval. */
const SHORT_POLL_MS = 100;

export async function promote(options: ZkIdOptions, deps: ZkIdDeps): Promise<ZkIdResult> {
  const s = await look(options, deps);
  const id = s.local.state.myid;
  if (id === null) throw new UsageError(`no myid in ${options.paths.dataDir}: run mdeploy zk-id (without --promote) first`);
  const selfKey = addressKey(s.self.address);
  const others = serving(s);
  if (others.length === 0) throw new UnreachableError("no other ZooKeeper server is serving; nothing to join");
  const result = await withEnsemble(deps, others, async (zk) => {
    const done = (why: string): ZkIdResult => ({ action: "promote", id, outcome: "participant", reason: why, files: [], promoteAfterStart: false });
    const membership = await readMembership(zk);
    const holder = memberById(membership, id);
    if (holder && addressKey(holder) !== selfKey) throw new PreflightRefusedError(`ID ${id} belongs to ${holder.host}:${holder.clientPort} in the ensemble; stop this server, wipe it and rerun zk-id`);
    if (holder?.role === "participant") {
      await waitForParticipantMode(options, deps, s.self.address);
      await releaseClaim(zk, selfKey, id);
      return done("already a participant");
    }
    await waitUntilSynced(options, deps, zk, s.self.address, id, selfKey);
    const ctx = { selfKey, membership, liveKeys: liveKeys(s), times: options.claimTimes, id };
    await acquireJoinLock(zk, ctx, {
      clock: deps.clock,
      timeoutMs: options.waitTimeoutMs,
      pollMs: Math.min(options.pollMs, SHORT_POLL_MS),
      onWait: (h) => deps.log.warn(`another server is reconfiguring the ensemble (${h}); waiting for it`),
    });
    let after;
    try {
      const spec = renderServerLine({ ...s.self.address, id, role: "participant" });
      after = await reconfigWithRetry(zk, deps, {
        what: `add server ${id}`,
        plan: (m) => {
          const current = memberById(m, id);
          if (current && addressKey(current) !== selfKey) throw new PreflightRefusedError(`ID ${id} was given to ${current.host}:${current.clientPort} meanwhile; wipe this server and rerun zk-id`);
          return current?.role === "participant" ? "done" : { joining: spec };
        },
      });
    } finally {
      await releaseJoinLock(zk, selfKey);
    }
    await releaseClaim(zk, selfKey, id);
    const mode = await waitForParticipantMode(options, deps, s.self.address);
    return done(`synced and added as participant (config version ${after.version?.toString(16) ?? "?"}; now ${mode})`);
  });
  await recordFormed(s, deps);
  return result;
}

/**
 * An observer promoted to participant restarts its client service while it
 * becomes a follower; wait (bounded) until it serves again so "done" means usable.
 */
async function waitForParticipantMode(options: ZkIdOptions, deps: ZkIdDeps, self: ServerAddress): Promise<string> {
  const rounds = Math.ceil(options.syncTimeoutMs / SHORT_POLL_MS) + 1;
  for (let round = 0; round < rounds; round++) {
    const mode = (await deps.probe(self))?.mode;
    if (mode === "follower" || mode === "leader") return mode;
    await deps.clock.sleep(SHORT_POLL_MS);
  }
  deps.log.warn(`server ${addressKey(self)} is a participant in the committed config but does not serve as one yet`);
  return "not serving yet";
}

/**
 * ZooKeeper adds a server by reconfig whether or not it runs (ZooKeeper does not
 * check), so check it here: write through the quorum (this server's claim),
 * then read that write back through this server's own client port. A server
 * only serves clients after it synced with the leader, so seeing the write
 * proves it is in sync.
 */
async function waitUntilSynced(options: ZkIdOptions, deps: ZkIdDeps, zk: ZkClient, self: ServerAddress, id: number, selfKey: string): Promise<void> {
  const deadline = deps.clock.now() + options.syncTimeoutMs;
  const rounds = Math.ceil(options.syncTimeoutMs / SHORT_POLL_MS) + 1;
  let last = "not answering";
  for (let round = 0; round < rounds; round++) {
    const status = await deps.probe(self);
    if (status?.mode === "observer" || status?.mode === "follower") {
      const mark = await touchClaim(zk, selfKey, id);
      try {
        const seen = await readThroughOwnServer(deps, self, `${CLAIMS_PATH}/${id}`);
        if (seen >= mark) return;
        last = `behind (zxid ${seen.toString(16)} < ${mark.toString(16)})`;
      } catch (error) {
        // This server dropping our session or refusing one is what "not synced yet" looks like.
        if (!(error instanceof ZkConnectError) && !isZkError(error, ZkErrorCode.connectionLoss, ZkErrorCode.operationTimeout)) throw error;
        last = error.message;
      }
    } else {
      last = status ? `mode ${status.mode ?? "not serving"}` : "not answering";
    }
    if (deps.clock.now() >= deadline) break;
    await deps.clock.sleep(SHORT_POLL_MS);
  }
  throw new PreflightRefusedError(`server ${id} (${self.host}:${self.clientPort}) did not sync with the leader within ${Math.round(options.syncTimeoutMs / 1000)} s (${last}); not adding it as a participant`);
}

/** The mzxid of a znode as this server itself sees it after a sync. */
async function readThroughOwnServer(deps: ZkIdDeps, self: ServerAddress, path: string): Promise<bigint> {
  const own = await deps.connect([self]);
  try {
    await own.sync(path);
    return (await own.getData(path)).stat.mzxid;
  } finally {
    await own.close();
  }
}
