/**
 * `zk-id --leave` (scale-in, an ASG Terminating:Wait hook) and `--print-zk-url`:
 * the two actions that only read or shrink the committed membership.
 */
import { UnreachableError } from "../errors.js";
import { readMembership, releaseClaim, releaseJoinLock } from "./claims.js";
import { reconfigWithRetry, withEnsemble } from "./ensemble-session.js";
import { addressKey, type ServerSpec } from "./members.js";
import { zkUrl } from "./plan.js";
import { look, recordFormed, serving } from "./surroundings.js";
import type { ZkIdDeps, ZkIdOptions, ZkIdResult } from "./zk-id-types.js";

/**
 * Before this server goes away for good: remove it from the membership with a
 * version-checked reconfig, so the ensemble does not count a dead voter until
 * the next joiner replaces it.
 */
export async function leave(options: ZkIdOptions, deps: ZkIdDeps): Promise<ZkIdResult> {
  const s = await look(options, deps);
  const selfKey = addressKey(s.self.address);
  const others = serving(s);
  if (others.length === 0) throw new UnreachableError("no other ZooKeeper server is serving; cannot remove this one");
  const result = await withEnsemble(deps, others, async (zk) => {
    let removed: number | null = null;
    await reconfigWithRetry(zk, deps, {
      what: "remove this server",
      plan: (m) => {
        const mine = m.servers.find((x) => addressKey(x) === selfKey);
        if (!mine) return "done";
        removed = mine.id;
        return { leaving: String(mine.id) };
      },
    });
    if (s.local.state.myid !== null) {
      await releaseJoinLock(zk, selfKey);
      await releaseClaim(zk, selfKey, s.local.state.myid);
    }
    const reason = removed === null ? "not a member of the ensemble" : `removed server ${removed} from the ensemble; stop ZooKeeper here and wipe its data before any reuse`;
    return { action: "leave" as const, id: s.local.state.myid, outcome: "left", reason, files: [], promoteAfterStart: false };
  });
  await recordFormed(s, deps);
  return result;
}

/** The zk:// string for the current members (live config; the local dynamic file when no quorum serves). */
export async function printZkUrl(options: ZkIdOptions, deps: ZkIdDeps): Promise<ZkIdResult> {
  const s = await look(options, deps);
  const live = serving(s);
  const selfStatus = await deps.probe(s.self.address);
  const candidates = selfStatus?.mode ? [s.self.address, ...live] : live;
  let members: ServerSpec[];
  let reason: string;
  if (candidates.length > 0) {
    members = (await withEnsemble(deps, candidates, readMembership)).servers;
    reason = "committed membership";
    await recordFormed(s, deps);
  } else if (s.local.dynamicMembership) {
    members = s.local.dynamicMembership.servers;
    reason = `no quorum serves; from ${s.local.dynamicFile ?? "the local dynamic file"}`;
    deps.log.warn(reason);
  } else {
    throw new UnreachableError("no ZooKeeper server is serving and there is no local membership file");
  }
  return { action: "print-zk-url", id: s.local.state.myid, outcome: "url", reason, files: [], promoteAfterStart: false, zkUrl: zkUrl(members, options.zkPath) };
}
