/**
 * `zk-id` before ZooKeeper starts: decide this server's ID and write myid,
 * zoo.cfg and the dynamic membership file.
 *
 * - A serving quorum: the committed config is the truth. Keep the ID it gives
 *   this address; else take a dead voter's place in one version-checked
 *   reconfig; else claim a free ID and join as an observer (promoted later).
 * - No serving quorum: keep a local ID; bootstrap only when a first bootstrap
 *   is proven (the gate of the discovery source, and no running peer that
 *   belongs to an ensemble that formed); otherwise wait for a quorum, bounded,
 *   and give up with exit 7.
 */
import { EnsembleWithoutQuorumError, PreflightRefusedError } from "../errors.js";
import { claimedByOthers, claimExactId, claimFreeId, readMembership, releaseClaim, targetSize } from "./claims.js";
import type { ZkClient } from "./client/zk-client.js";
import { decideDeadVoter, voterKey } from "./dead-voters.js";
import { NoSessionError, reconfigWithRetry, withEnsemble } from "./ensemble-session.js";
import { bootstrapEvidence, peerHoldingId } from "./evidence.js";
import { defaultDynamicPath, writeZkFiles } from "./local-files.js";
import { addressKey, describeAddress, memberById, renderDynamicConfig, renderServerLine, type Membership, type ServerSpec } from "./members.js";
import { planBootstrap, planWithQuorum } from "./plan.js";
import { renderStaticConfig, superDigestFor } from "./static-config.js";
import { liveKeys, look, observe, recordFormed, serving, type Surroundings } from "./surroundings.js";
import type { ZkIdDeps, ZkIdOptions, ZkIdResult } from "./zk-id-types.js";

const seconds = (ms: number) => `${Math.round(ms / 1000)} s`;

function staticConfigText(options: ZkIdOptions, dynamicFile: string): string {
  return renderStaticConfig({
    dataDir: options.paths.dataDir,
    dynamicConfigFile: dynamicFile,
    tickTimeMs: options.tickTimeMs,
    superDigest: options.superPassword ? superDigestFor(options.superPassword) : null,
  });
}

/** Writes this server's files for an ID and a membership; returns what `prepare` reports. */
function writeFor(options: ZkIdOptions, id: number, servers: readonly ServerSpec[], outcome: string, reason: string, promoteAfterStart: boolean): ZkIdResult {
  const file = defaultDynamicPath(options.paths);
  const files = writeZkFiles(options.paths, { myid: id, zooCfg: staticConfigText(options, file), dynamic: { file, text: renderDynamicConfig(servers) }, initialize: false });
  return { action: "prepare", id, outcome, reason, files, promoteAfterStart };
}

/** Before ZooKeeper starts: decide the ID and write the files. */
export async function prepare(options: ZkIdOptions, deps: ZkIdDeps): Promise<ZkIdResult> {
  let s = await look(options, deps);
  const started = deps.clock.now();
  const maxRounds = Math.ceil(Math.max(options.waitTimeoutMs, options.settleMs) / Math.max(1, options.pollMs)) + 2;
  const told = new Set<string>();
  const tellOnce = (line: string) => {
    if (!told.has(line)) deps.log.warn(line);
    told.add(line);
  };
  for (let round = 0; round < maxRounds; round++) {
    if (serving(s).length > 0) {
      try {
        const result = await prepareWithQuorum(options, deps, s);
        await recordFormed(s, deps);
        return result;
      } catch (error) {
        if (!(error instanceof NoSessionError)) throw error;
        // They stopped serving between the probe and the session: decide as without a quorum.
        tellOnce(`${error.message}; the quorum seems lost, looking for evidence of the ensemble instead`);
        s = { ...s, status: new Map([...s.status].map(([key, v]) => [key, { ...v, status: v.status && { ...v.status, mode: null } }])) };
      }
    }
    const verdict = planBootstrap({ self: s.self.address, local: s.local.state, peers: s.discovery.peers, expectedSize: s.discovery.expectedSize });
    if (verdict.kind === "refuse") throw new PreflightRefusedError(verdict.reason);
    if (verdict.kind === "keep") {
      const holder = peerHoldingId(await observe(s, deps), s.self.address, verdict.id);
      if (holder) throw new PreflightRefusedError(`ID ${verdict.id} in myid is the ID running server ${describeAddress(holder.address)} reports as its own; starting would duplicate it: wipe this server's data dir and rerun zk-id`);
      return keepWithoutQuorum(options, s, verdict.id, verdict.reason);
    }

    // No ID here and no quorum anywhere: is this really a first bootstrap?
    const observations = await observe(s, deps);
    const evidence = bootstrapEvidence({
      self: s.self.address,
      observations,
      gate: s.discovery.gate,
      bootstrapFlag: options.bootstrap,
      planned: verdict.kind === "bootstrap" ? verdict.servers : null,
    });
    const elapsed = deps.clock.now() - started;
    if (evidence.blocking.length > 0 || evidence.unknown.length > 0) {
      const seen = [...evidence.blocking, ...evidence.unknown].join("; ");
      if (elapsed >= options.settleMs) {
        throw new EnsembleWithoutQuorumError(
          `not bootstrapping: ${seen}; no quorum served within ${seconds(options.settleMs)}. Bring back a member with its data (the rest rejoin, then rerun zk-id here), or, to start a new ensemble from nothing, follow the re-seed steps in the README (zk-id)`,
        );
      }
      tellOnce(`not bootstrapping: ${seen}; waiting up to ${seconds(options.settleMs)} for a quorum`);
    } else if (verdict.kind === "bootstrap") {
      const file = defaultDynamicPath(options.paths);
      const files = writeZkFiles(options.paths, {
        myid: verdict.id,
        zooCfg: staticConfigText(options, file),
        dynamic: { file, text: renderDynamicConfig(verdict.servers) },
        initialize: verdict.initialize,
      });
      const members = verdict.servers.map((m) => `${m.id}=${m.host}:${m.clientPort}`).join(" ");
      return { action: "prepare", id: verdict.id, outcome: "bootstrap", reason: `first bootstrap (no peer belongs to a formed ensemble); numbered ${s.discovery.source}: ${members}`, files, promoteAfterStart: false };
    } else {
      // Discovery has not found the expected set yet.
      tellOnce(`waiting for discovery (${s.discovery.source}): ${verdict.reason}`);
      if (elapsed >= options.waitTimeoutMs) throw new PreflightRefusedError(`no quorum serves and bootstrap cannot number the ensemble: ${verdict.reason} (waited ${seconds(options.waitTimeoutMs)})`);
    }
    await deps.clock.sleep(options.pollMs);
    s = await look(options, deps);
  }
  throw new PreflightRefusedError("no quorum serves and discovery did not settle");
}

/** A restarting member without a quorum around it keeps its ID; with data but no dynamic file, bootstrap numbering must agree. */
function keepWithoutQuorum(options: ZkIdOptions, s: Surroundings, id: number, reason: string): ZkIdResult {
  let dynamic: { file: string; text: string } | null = null;
  if (!s.local.dynamicFile) {
    const numbering = planBootstrap({ self: s.self.address, local: { myid: null, hasData: false }, peers: s.discovery.peers, expectedSize: s.discovery.expectedSize });
    if (numbering.kind !== "bootstrap" || numbering.id !== id) {
      throw new PreflightRefusedError(
        `myid says ${id} but there is no membership file and discovery ${numbering.kind === "bootstrap" ? `numbers this server ${numbering.id}` : "cannot number the ensemble"}; restore ${defaultDynamicPath(options.paths)} or wipe and rejoin`,
      );
    }
    dynamic = { file: defaultDynamicPath(options.paths), text: renderDynamicConfig(numbering.servers) };
  }
  const dynamicFile = s.local.dynamicFile ?? defaultDynamicPath(options.paths);
  const files = writeZkFiles(options.paths, { myid: id, zooCfg: staticConfigText(options, dynamicFile), dynamic, initialize: false });
  return { action: "prepare", id, outcome: "keep", reason, files, promoteAfterStart: false };
}

async function prepareWithQuorum(options: ZkIdOptions, deps: ZkIdDeps, s: Surroundings): Promise<ZkIdResult> {
  return withEnsemble(deps, serving(s), async (zk) => {
    const membership = await readMembership(zk);
    // Members the discovery does not know: probe them too before calling them gone.
    const unknown = membership.servers.filter((m) => addressKey(m) !== addressKey(s.self.address) && !s.status.has(addressKey(m)));
    await Promise.all(unknown.map(async (m) => s.status.set(addressKey(m), { address: m, status: await deps.probe(m) })));
    const discovered = new Set(s.discovery.peers.map((p) => addressKey(p)));
    const goneKeys = new Set(membership.servers.map((m) => addressKey(m)).filter((k) => !discovered.has(k) && !s.status.get(k)?.status));
    const selfPeer = s.discovery.peers.find((p) => s.self.instanceId !== null && p.instanceId === s.self.instanceId);
    const verdict = planWithQuorum({ self: s.self.address, local: s.local.state, zkidTag: selfPeer?.zkidTag ?? null, membership, goneKeys });
    if (verdict.kind === "refuse") throw new PreflightRefusedError(verdict.reason);
    if (verdict.kind === "keep") {
      const dynamicFile = s.local.dynamicFile ?? defaultDynamicPath(options.paths);
      // Never rewrite a member's own dynamic file: ZooKeeper keeps it current.
      const dynamic = s.local.dynamicFile ? null : { file: dynamicFile, text: renderDynamicConfig(membership.servers) };
      const files = writeZkFiles(options.paths, { myid: verdict.id, zooCfg: staticConfigText(options, dynamicFile), dynamic, initialize: false });
      const next = verdict.role === "observer" ? "; run zk-id --promote after ZooKeeper starts" : "";
      return { action: "prepare" as const, id: verdict.id, outcome: "keep", reason: verdict.reason + next, files, promoteAfterStart: verdict.role === "observer" };
    }
    await removeGoneObservers(zk, deps, goneKeys);
    return replaceOrJoin(zk, options, deps, s, verdict.preferredId, verdict.reason);
  });
}

/** Observers that discovery no longer lists and that do not answer (a joiner that died before its promote) hold no quorum; drop them. */
async function removeGoneObservers(zk: ZkClient, deps: ZkIdDeps, goneKeys: ReadonlySet<string>): Promise<void> {
  const gone = (m: Membership) => m.servers.filter((x) => x.role === "observer" && goneKeys.has(addressKey(x)));
  await reconfigWithRetry(zk, deps, {
    what: "remove gone observers",
    plan: (m) => (gone(m).length === 0 ? "done" : { leaving: gone(m).map((x) => x.id).join(",") }),
  });
}

/**
 * A voter answers when either its client port or its election port does. One whose
 * process still holds its election port (frozen: a long GC pause, a paused VM) counts as
 * present too: given its ID, the replacement would run beside it under the same ID
 * once it wakes.
 */
async function answers(deps: ZkIdDeps, v: ServerSpec): Promise<boolean> {
  return (await deps.probe(v)) !== null || (await deps.probeElection(v)) !== null || (await deps.accepts(v));
}

/** Reachable voters that say they are in the quorum (leader or follower): the ones the leader's synced count can be made of. */
async function inQuorumVoters(deps: ZkIdDeps, voters: readonly ServerSpec[]): Promise<number> {
  const modes = await Promise.all(voters.map(async (v) => (await deps.probe(v))?.mode));
  return modes.filter((mode) => mode === "leader" || mode === "follower").length;
}

/** Voters the leader counts as synced, itself included; null when no leader says. */
async function syncedVoters(deps: ZkIdDeps, voters: readonly ServerSpec[]): Promise<number | null> {
  for (const v of voters) {
    const stats = await deps.monitor(v);
    if (stats?.zk_server_state !== "leader") continue;
    const followers = Number(stats.zk_synced_followers);
    return Number.isInteger(followers) ? followers + 1 : null;
  }
  return null;
}

/** Thrown inside a reconfig plan when the voter we meant to replace changed meanwhile. */
class VoterChanged extends Error {}

async function replaceOrJoin(zk: ZkClient, options: ZkIdOptions, deps: ZkIdDeps, s: Surroundings, preferredId: number | null, why: string): Promise<ZkIdResult> {
  const selfKey = addressKey(s.self.address);
  const discoveredKeys = new Set(s.discovery.peers.map((p) => addressKey(p)));
  const unreachableSince = new Map<string, number>();
  const rounds = Math.ceil((options.deadVoterGraceMs + options.waitTimeoutMs) / Math.max(1, options.pollMs)) + 2;
  let told = "";
  for (let round = 0; round < rounds; round++) {
    const membership = await readMembership(zk);
    const target = options.targetSize ?? (await targetSize(zk, membership));
    const ctx = { selfKey, membership, liveKeys: liveKeys(s), times: options.claimTimes };
    const voters = membership.servers.filter((m) => m.role === "participant" && addressKey(m) !== selfKey);
    const reachable = await Promise.all(voters.map((v) => answers(deps, v)));
    const now = deps.clock.now();
    voters.forEach((v, i) => {
      const key = voterKey(v.id, v);
      if (reachable[i]) unreachableSince.delete(key);
      else if (!unreachableSince.has(key)) unreachableSince.set(key, now);
    });
    const decision = decideDeadVoter({
      membership,
      selfKey,
      unreachableSince,
      nowMs: now,
      graceMs: options.deadVoterGraceMs,
      discoveredKeys,
      protectedIds: unreachableSince.size > 0 ? await claimedByOthers(zk, ctx) : new Set(),
      syncedVoters: unreachableSince.size > 0 ? await syncedVoters(deps, voters.filter((_, i) => reachable[i])) : null,
      reachableInQuorum: unreachableSince.size > 0 ? await inQuorumVoters(deps, voters.filter((_, i) => reachable[i])) : 0,
      targetSize: target,
      preferredId,
    });
    if (decision.kind === "wait") {
      if (told !== decision.reason) deps.log.warn(decision.reason);
      told = decision.reason;
      await deps.clock.sleep(options.pollMs);
      continue;
    }
    if (decision.kind === "replace") {
      const result = await replaceVoter(zk, options, deps, s, membership, decision.id, `${why}; ${decision.reason}`, ctx);
      if (result) return result;
      continue;
    }
    const id = await claimFreeId(zk, ctx, { preferredId, removed: [] });
    const self: ServerSpec = { ...s.self.address, id, role: "observer" };
    return writeFor(options, id, [...membership.servers.filter((m) => m.id !== id), self], "join", `${why}; ${decision.reason}; claimed ID ${id}: start ZooKeeper (it joins as an observer), then run zk-id --promote`, true);
  }
  throw new PreflightRefusedError(`voters stayed unreachable and the leader's view did not settle within ${seconds(options.deadVoterGraceMs + options.waitTimeoutMs)}; rerun zk-id`);
}

/**
 * Takes a dead voter's ID in one version-checked reconfig: the joiner replaces
 * the dead address under the same ID, so the number of voters (and the quorum
 * size) stays what it was. Null when someone else got there first.
 */
async function replaceVoter(zk: ZkClient, options: ZkIdOptions, deps: ZkIdDeps, s: Surroundings, seen: Membership, id: number, reason: string, ctx: Parameters<typeof claimExactId>[1]): Promise<ZkIdResult | null> {
  const selfKey = addressKey(s.self.address);
  const dead = memberById(seen, id);
  if (!dead || !(await claimExactId(zk, ctx, id))) return null;
  const line = renderServerLine({ ...s.self.address, id, role: "participant" });
  let after: Membership;
  try {
    after = await reconfigWithRetry(zk, deps, {
      what: `replace dead voter ${id} with this server`,
      plan: (m) => {
        const current = memberById(m, id);
        if (current && addressKey(current) === selfKey && current.role === "participant") return "done";
        if (!current || addressKey(current) !== addressKey(dead)) throw new VoterChanged();
        return { leaving: String(id), joining: line };
      },
    });
  } catch (error) {
    if (!(error instanceof VoterChanged)) throw error;
    await releaseClaim(zk, selfKey, id);
    return null;
  }
  deps.log.warn(`replaced dead voter ${id} (${dead.host}:${dead.clientPort}) with this server`);
  return writeFor(options, id, after.servers, "replace", `${reason}; took its ID ${id}: start ZooKeeper (it syncs from the leader as a voter), then run zk-id --promote to confirm`, true);
}
