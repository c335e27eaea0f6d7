/**
 * Talking to a serving ensemble: a session that survives the re-elections our
 * own reconfigs cause, and the one version-checked reconfig loop every
 * membership change goes through.
 */
import { PreflightRefusedError, UnreachableError } from "../errors.js";
import { readMembership } from "./claims.js";
import { isZkError, ZkConnectError, ZkErrorCode, type ZkClient } from "./client/zk-client.js";
import type { Membership, ServerAddress } from "./members.js";
import type { ZkIdDeps } from "./zk-id-types.js";

const SESSION_ATTEMPTS = 4;

/**
 * No server granted a session, although they looked as if they served: most
 * often a quorum that was just lost (a follower says "follower" for a few ticks
 * after its leader died). Callers that can do without a quorum catch this one.
 */
export class NoSessionError extends UnreachableError {}
const MAX_RECONFIG_ATTEMPTS = 10;

/**
 * Runs `use` with a session to one of `servers`. A lost session is retried with a
 * fresh one (bounded): a reconfig that removes the leader, or a new participant,
 * makes ZooKeeper re-elect and drop client connections. Every `use` re-reads
 * what it acts on, so running it again is safe.
 */
export async function withEnsemble<T>(deps: Pick<ZkIdDeps, "connect" | "clock" | "log">, servers: readonly ServerAddress[], use: (zk: ZkClient) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    let zk: ZkClient;
    try {
      zk = await deps.connect(servers);
    } catch (error) {
      if (!(error instanceof ZkConnectError)) throw error;
      if (attempt >= SESSION_ATTEMPTS) throw new NoSessionError(`cannot get a ZooKeeper session: ${error.message}`);
      await deps.clock.sleep(300 * attempt);
      continue;
    }
    try {
      return await use(zk);
    } catch (error) {
      if (isZkError(error, ZkErrorCode.connectionLoss, ZkErrorCode.operationTimeout, ZkErrorCode.sessionExpired)) {
        if (attempt >= SESSION_ATTEMPTS) throw new UnreachableError(`lost the ZooKeeper session to ${zk.server}: ${error.message}; rerun zk-id`);
        deps.log.warn(`lost the ZooKeeper session to ${zk.server} (${error.message}); retrying with a new one`);
        await deps.clock.sleep(300 * attempt);
        continue;
      }
      // Any other ZooKeeper reply (NoAuth, ...) means this ensemble will not let us work.
      if (isZkError(error)) throw new UnreachableError(`${error.message} (via ${zk.server})`);
      throw error;
    } finally {
      await zk.close();
    }
  }
}

/** One membership change, decided again on each fresh read of the committed config. */
export interface ReconfigStep {
  /** What the change is, for messages ("add server 4", "remove server 3"). */
  what: string;
  /**
   * Given the committed membership: the change to make, `done` when it is
   * already in effect, or a thrown error when it no longer makes sense.
   */
  plan(membership: Membership): { joining?: string; leaving?: string } | "done";
}

/**
 * Applies a membership change with a reconfig conditional on the config version
 * it was planned on. A version clash (someone else changed the membership) or a
 * reconfig in progress re-reads and re-plans; ZooKeeper's refusals become
 * messages that say what to do. Returns the membership after the change.
 */
export async function reconfigWithRetry(zk: ZkClient, deps: Pick<ZkIdDeps, "clock" | "log">, step: ReconfigStep): Promise<Membership> {
  for (let attempt = 0; attempt < MAX_RECONFIG_ATTEMPTS; attempt++) {
    const membership = await readMembership(zk);
    const change = step.plan(membership);
    if (change === "done") return membership;
    try {
      await zk.reconfig({ ...change, fromConfigVersion: membership.version ?? -1n });
    } catch (error) {
      if (isZkError(error, ZkErrorCode.badVersion, ZkErrorCode.reconfigInProgress)) {
        deps.log.warn(`membership changed under the reconfig (${error.message}); retrying`);
        await deps.clock.sleep(100 + 100 * attempt);
        continue;
      }
      if (isZkError(error, ZkErrorCode.newConfigNoQuorum)) throw new PreflightRefusedError(`ZooKeeper refused to ${step.what}: no quorum of the new config is synced`);
      if (isZkError(error, ZkErrorCode.noAuth)) throw new PreflightRefusedError("ZooKeeper refused reconfig (NoAuth): set the same super password on every server, or run with skipACL");
      if (isZkError(error, ZkErrorCode.reconfigDisabled)) throw new PreflightRefusedError("ZooKeeper has reconfig disabled (reconfigEnabled=false)");
      throw error;
    }
  }
  throw new PreflightRefusedError(`the membership kept changing; gave up trying to ${step.what} after ${MAX_RECONFIG_ATTEMPTS} attempts`);
}
