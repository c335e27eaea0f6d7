/**
 * `mdeploy zk-id`: this ZooKeeper server's ID, decided before ZooKeeper starts
 * (and `--promote` after it started as an observer). Reads local files,
 * discovery and the live ensemble, asks the pure planner in src/zk/plan.ts,
 * then writes myid, zoo.cfg and the dynamic membership file.
 */
import type { Output } from "../cli/output.js";
import type { Clock } from "../core/clock.js";
import { PreflightRefusedError, UnreachableError, UsageError } from "../errors.js";
import type { ServerStatus } from "../zk/client/four-letter.js";
import { isZkError, ZkConnectError, ZkErrorCode, type ZkClient } from "../zk/client/zk-client.js";
import { acquireJoinLock, claimFreeId, readMembership, releaseClaim, releaseJoinLock, touchJoinLock, type ClaimTimes } from "../zk/claims.js";
import { defaultDynamicPath, readLocalFiles, writeZkFiles, type LocalFiles, type ZkPaths } from "../zk/local-files.js";
import { addressKey, memberById, renderDynamicConfig, renderServerLine, type Membership, type ServerAddress, type ServerSpec } from "../zk/members.js";
import type { Discovery } from "../zk/peers.js";
import { planBootstrap, planWithQuorum, zkUrl } from "../zk/plan.js";
import { renderStaticConfig, superDigestFor } from "../zk/static-config.js";

export type ZkIdAction = "prepare" | "promote" | "leave" | "print-zk-url";

export interface ZkIdOptions {
  action: ZkIdAction;
  paths: ZkPaths;
  tickTimeMs: number;
  /** Bound for waiting on bootstrap discovery and on another joiner. */
  waitTimeoutMs: number;
  /** How long a server without an ID waits for peers that run without a quorum (an election) before it bootstraps. */
  settleMs: number;
  /** Bound for waiting until this server has synced with the leader (`--promote`). */
  syncTimeoutMs: number;
  pollMs: number;
  /** Path part of the zk:// URL. */
  zkPath: string;
  /** Super-user password for reconfig; null runs the ensemble with skipACL=yes. */
  superPassword: string | null;
  claimTimes: ClaimTimes;
}

/** This server as identity discovery sees it. */
export interface SelfIdentity {
  address: ServerAddress;
  instanceId: string | null;
}

export interface ZkIdDeps {
  output: Output;
  clock: Clock;
  discovery: { discover(): Promise<Discovery> };
  identify(): Promise<SelfIdentity>;
  /** `srvr` on a server's client port: null when nothing answers. */
  probe(address: ServerAddress): Promise<ServerStatus | null>;
  /** A session with the first of these servers that grants one. */
  connect(servers: readonly ServerAddress[]): Promise<ZkClient>;
}

export interface ZkIdResult {
  action: ZkIdAction;
  id: number | null;
  /** keep | bootstrap | join | participant | left | url */
  outcome: string;
  reason: string;
  files: string[];
  /** True when this server starts as an observer and `zk-id --promote` must follow once it runs. */
  promoteAfterStart: boolean;
  zkUrl?: string;
}

const MAX_RECONFIG_ATTEMPTS = 10;

/** Runs one `zk-id` action. Throws PreflightRefusedError when this server must not start. */
export async function runZkId(options: ZkIdOptions, deps: ZkIdDeps): Promise<ZkIdResult> {
  if (options.superPassword) deps.output.redactor.add(options.superPassword);
  const actions: Record<ZkIdAction, () => Promise<ZkIdResult>> = {
    prepare: () => prepare(options, deps),
    promote: () => promote(options, deps),
    leave: () => leave(options, deps),
    "print-zk-url": () => printZkUrl(options, deps),
  };
  const result = await actions[options.action]();
  if (result.zkUrl) deps.output.info(result.zkUrl);
  else deps.output.info(`ZooKeeper server ID ${result.id ?? "-"} (${result.outcome}): ${result.reason}`);
  deps.output.result(result);
  return result;
}

interface Surroundings {
  self: SelfIdentity;
  local: LocalFiles;
  discovery: Discovery;
  /** Status of every server we know of except self, by address key. */
  status: Map<string, { address: ServerAddress; status: ServerStatus | null }>;
}

async function look(options: ZkIdOptions, deps: ZkIdDeps, extra: readonly ServerAddress[] = []): Promise<Surroundings> {
  const local = readLocalFiles(options.paths);
  const [self, discovery] = await Promise.all([deps.identify(), deps.discovery.discover()]);
  const selfKey = addressKey(self.address);
  const known = new Map<string, ServerAddress>();
  for (const a of [...discovery.peers, ...(local.dynamicMembership?.servers ?? []), ...extra]) if (addressKey(a) !== selfKey) known.set(addressKey(a), a);
  const entries = await Promise.all([...known].map(async ([key, address]) => [key, { address, status: await deps.probe(address) }] as const));
  return { self, local, discovery, status: new Map(entries) };
}

const serving = (s: Surroundings) => [...s.status.values()].filter((v) => v.status?.mode).map((v) => v.address);

/**
 * Runs `use` with a session to one of `servers`. A lost session is retried with a
 * fresh one (bounded): a reconfig that removes the leader, or a new participant,
 * makes ZooKeeper re-elect and drop client connections. Every `use` here re-reads
 * what it acts on, so running it again is safe.
 */
async function withEnsemble<T>(deps: ZkIdDeps, servers: readonly ServerAddress[], use: (zk: ZkClient) => Promise<T>): Promise<T> {
  const attempts = 4;
  for (let attempt = 1; ; attempt++) {
    let zk: ZkClient;
    try {
      zk = await deps.connect(servers);
    } catch (error) {
      if (!(error instanceof ZkConnectError)) throw error;
      if (attempt >= attempts) throw new UnreachableError(`cannot get a ZooKeeper session: ${error.message}`);
      await deps.clock.sleep(500 * attempt);
      continue;
    }
    try {
      return await use(zk);
    } catch (error) {
      if (isZkError(error, ZkErrorCode.connectionLoss, ZkErrorCode.operationTimeout, ZkErrorCode.sessionExpired)) {
        if (attempt >= attempts) throw new UnreachableError(`lost the ZooKeeper session to ${zk.server}: ${error.message}; rerun zk-id`);
        deps.output.warn(`lost the ZooKeeper session to ${zk.server} (${error.message}); retrying with a new one`);
        await deps.clock.sleep(500 * attempt);
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

function staticConfigText(options: ZkIdOptions, dynamicFile: string): string {
  return renderStaticConfig({
    dataDir: options.paths.dataDir,
    dynamicConfigFile: dynamicFile,
    tickTimeMs: options.tickTimeMs,
    superDigest: options.superPassword ? superDigestFor(options.superPassword) : null,
  });
}

function liveKeys(s: Surroundings): Set<string> {
  const keys = new Set(s.discovery.peers.map((p) => addressKey(p)));
  for (const [key, v] of s.status) if (v.status) keys.add(key);
  keys.add(addressKey(s.self.address));
  return keys;
}

/** Before ZooKeeper starts: decide the ID and write the files. */
async function prepare(options: ZkIdOptions, deps: ZkIdDeps): Promise<ZkIdResult> {
  let s = await look(options, deps);
  const deadline = deps.clock.now() + options.waitTimeoutMs;
  const maxRounds = Math.ceil(options.waitTimeoutMs / Math.max(1, options.pollMs)) + 1;
  const settleUntil = deps.clock.now() + options.settleMs;
  let toldSettle = false;
  for (let round = 0; round < maxRounds; round++) {
    if (serving(s).length > 0) return prepareWithQuorum(options, deps, s);
    const running = [...s.status.values()].some((v) => v.status !== null);
    if (running && s.local.state.myid === null && deps.clock.now() < settleUntil) {
      // Peers run but none serves: most often an election after a member left, over in
      // a second. A server without an ID that bootstrapped now would write `initialize`
      // and might vote with an empty database, so give a quorum time to appear first.
      if (!toldSettle) deps.output.warn(`peers are running but none serves yet; waiting up to ${Math.round(options.settleMs / 1000)} s for a quorum before bootstrapping`);
      toldSettle = true;
      await deps.clock.sleep(options.pollMs);
      s = await look(options, deps);
      continue;
    }
    const verdict = planBootstrap({ self: s.self.address, local: s.local.state, peers: s.discovery.peers, expectedSize: s.discovery.expectedSize });
    if (verdict.kind === "refuse") throw new PreflightRefusedError(verdict.reason);
    if (verdict.kind === "keep") {
      const dynamic = s.local.dynamicFile ? null : bootstrapDynamic(options, s, verdict.id);
      const dynamicFile = s.local.dynamicFile ?? defaultDynamicPath(options.paths);
      const files = writeZkFiles(options.paths, { myid: verdict.id, zooCfg: staticConfigText(options, dynamicFile), dynamic, initialize: false });
      return { action: "prepare", id: verdict.id, outcome: "keep", reason: verdict.reason, files, promoteAfterStart: false };
    }
    if (verdict.kind === "bootstrap") {
      const file = defaultDynamicPath(options.paths);
      const files = writeZkFiles(options.paths, {
        myid: verdict.id,
        zooCfg: staticConfigText(options, file),
        dynamic: { file, text: renderDynamicConfig(verdict.servers) },
        initialize: verdict.initialize,
      });
      const members = verdict.servers.map((m) => `${m.id}=${m.host}:${m.clientPort}`).join(" ");
      return { action: "prepare", id: verdict.id, outcome: "bootstrap", reason: `no quorum serves; numbered ${s.discovery.source}: ${members}`, files, promoteAfterStart: false };
    }
    // verdict.kind === "wait": discovery has not settled on the expected set yet.
    if (round === 0) deps.output.warn(`waiting for discovery (${s.discovery.source}): ${verdict.reason}`);
    if (deps.clock.now() >= deadline) throw new PreflightRefusedError(`no quorum serves and bootstrap cannot number the ensemble: ${verdict.reason} (waited ${Math.round(options.waitTimeoutMs / 1000)} s)`);
    await deps.clock.sleep(options.pollMs);
    s = await look(options, deps);
  }
  throw new PreflightRefusedError("no quorum serves and discovery did not settle");
}

/** A restarting member with data but no dynamic file: the bootstrap numbering must agree with its myid. */
function bootstrapDynamic(options: ZkIdOptions, s: Surroundings, id: number): { file: string; text: string } {
  const verdict = planBootstrap({ self: s.self.address, local: { myid: null, hasData: false }, peers: s.discovery.peers, expectedSize: s.discovery.expectedSize });
  if (verdict.kind !== "bootstrap" || verdict.id !== id) {
    throw new PreflightRefusedError(`myid says ${id} but there is no membership file and discovery ${verdict.kind === "bootstrap" ? `numbers this server ${verdict.id}` : "cannot number the ensemble"}; restore ${defaultDynamicPath(options.paths)} or wipe and rejoin`);
  }
  return { file: defaultDynamicPath(options.paths), text: renderDynamicConfig(verdict.servers) };
}

async function prepareWithQuorum(options: ZkIdOptions, deps: ZkIdDeps, s: Surroundings): Promise<ZkIdResult> {
  return withEnsemble(deps, serving(s), async (zk) => {
    let membership = await readMembership(zk);
    // Members the discovery does not know: probe them too before calling them gone.
    const unknown = membership.servers.filter((m) => addressKey(m) !== addressKey(s.self.address) && !s.status.has(addressKey(m)));
    for (const m of unknown) s.status.set(addressKey(m), { address: m, status: await deps.probe(m) });
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

    const selfKey = addressKey(s.self.address);
    const ctx = { selfKey, membership, liveKeys: liveKeys(s), times: options.claimTimes };
    await acquireJoinLock(zk, { ...ctx, id: verdict.preferredId ?? 0 }, {
      clock: deps.clock,
      timeoutMs: options.waitTimeoutMs,
      pollMs: options.pollMs,
      onWait: (holder) => deps.output.warn(`another server is joining (${holder}); waiting for it to finish`),
    });
    try {
      // Waiting for another joiner may have changed the membership: read it again.
      membership = await removeGone(zk, deps, await readMembership(zk), goneKeys);
      const id = await claimFreeId(zk, { ...ctx, membership }, { preferredId: verdict.preferredId, removed: [] });
      await touchJoinLock(zk, selfKey, id);
      const self: ServerSpec = { ...s.self.address, id, role: "observer" };
      const file = defaultDynamicPath(options.paths);
      const files = writeZkFiles(options.paths, {
        myid: id,
        zooCfg: staticConfigText(options, file),
        dynamic: { file, text: renderDynamicConfig([...membership.servers.filter((m) => m.id !== id), self]) },
        initialize: false,
      });
      return {
        action: "prepare" as const,
        id,
        outcome: "join",
        reason: `${verdict.reason}; claimed ID ${id}: start ZooKeeper (it joins as an observer), then run zk-id --promote`,
        files,
        promoteAfterStart: true,
      };
    } catch (error) {
      await releaseJoinLock(zk, selfKey).catch(() => undefined);
      throw error;
    }
  });
}

/** Removes gone members with version-checked reconfigs, retrying on a version clash. */
async function removeGone(zk: ZkClient, deps: ZkIdDeps, start: Membership, goneKeys: ReadonlySet<string>): Promise<Membership> {
  let membership = start;
  for (let attempt = 0; attempt < MAX_RECONFIG_ATTEMPTS; attempt++) {
    const gone = membership.servers.filter((m) => goneKeys.has(addressKey(m)));
    if (gone.length === 0) return membership;
    try {
      const { data } = await zk.reconfig({ leaving: gone.map((m) => m.id).join(","), fromConfigVersion: membership.version ?? -1n });
      deps.output.warn(`removed gone member(s) ${gone.map((m) => `${m.id} (${m.host}:${m.clientPort})`).join(", ")} from the ensemble`);
      membership = await readMembership(zk);
      void data;
    } catch (error) {
      if (isZkError(error, ZkErrorCode.badVersion, ZkErrorCode.reconfigInProgress)) {
        await deps.clock.sleep(200);
        membership = await readMembership(zk);
        continue;
      }
      if (isZkError(error, ZkErrorCode.newConfigNoQuorum)) throw new PreflightRefusedError(`cannot remove gone members ${gone.map((m) => m.id).join(",")}: the rest would have no quorum`);
      throw reconfigFailure(error);
    }
  }
  throw new PreflightRefusedError(`the membership kept changing; gave up removing gone members after ${MAX_RECONFIG_ATTEMPTS} attempts`);
}

function reconfigFailure(error: unknown): Error {
  if (isZkError(error, ZkErrorCode.noAuth)) return new PreflightRefusedError("ZooKeeper refused reconfig (NoAuth): set the same super password on every server, or run with skipACL");
  if (isZkError(error, ZkErrorCode.reconfigDisabled)) return new PreflightRefusedError("ZooKeeper has reconfig disabled (reconfigEnabled=false)");
  return error instanceof Error ? error : new Error(String(error));
}

/** After ZooKeeper started as an observer: wait until synced, then add as a participant. */
async function promote(options: ZkIdOptions, deps: ZkIdDeps): Promise<ZkIdResult> {
  const s = await look(options, deps);
  const id = s.local.state.myid;
  if (id === null) throw new UsageError(`no myid in ${options.paths.dataDir}: run mdeploy zk-id (without --promote) first`);
  const selfKey = addressKey(s.self.address);
  const others = serving(s);
  if (others.length === 0) throw new UnreachableError("no other ZooKeeper server is serving; nothing to join");
  return withEnsemble(deps, others, async (zk) => {
    let membership = await readMembership(zk);
    const done = (why: string): ZkIdResult => ({ action: "promote", id, outcome: "participant", reason: why, files: [], promoteAfterStart: false });
    const holder = memberById(membership, id);
    if (holder && addressKey(holder) !== selfKey) throw new PreflightRefusedError(`ID ${id} belongs to ${holder.host}:${holder.clientPort} in the ensemble; stop this server, wipe it and rerun zk-id`);
    if (holder?.role === "participant") {
      await cleanup(zk, selfKey, id);
      return done("already a participant");
    }
    const ctx = { selfKey, membership, liveKeys: liveKeys(s), times: options.claimTimes, id };
    await acquireJoinLock(zk, ctx, { clock: deps.clock, timeoutMs: options.waitTimeoutMs, pollMs: options.pollMs, onWait: (h) => deps.output.warn(`another server is joining (${h}); waiting`) });
    try {
      await waitUntilSynced(options, deps, zk, s.self.address, id, selfKey);
      const spec = renderServerLine({ ...s.self.address, id, role: "participant" });
      for (let attempt = 0; attempt < MAX_RECONFIG_ATTEMPTS; attempt++) {
        membership = await readMembership(zk);
        const current = memberById(membership, id);
        if (current && addressKey(current) !== selfKey) throw new PreflightRefusedError(`ID ${id} was given to ${current.host}:${current.clientPort} meanwhile; wipe this server and rerun zk-id`);
        if (current?.role === "participant") break;
        try {
          await zk.reconfig({ joining: spec, fromConfigVersion: membership.version ?? -1n });
          break;
        } catch (error) {
          if (isZkError(error, ZkErrorCode.badVersion, ZkErrorCode.reconfigInProgress)) {
            deps.output.warn(`membership changed under the reconfig (${error.message}); retrying`);
            await deps.clock.sleep(200);
            continue;
          }
          if (isZkError(error, ZkErrorCode.newConfigNoQuorum)) throw new PreflightRefusedError(`ZooKeeper refused to add server ${id}: no quorum of the new config is synced`);
          throw reconfigFailure(error);
        }
      }
      membership = await readMembership(zk);
      const added = memberById(membership, id);
      if (!added || added.role !== "participant" || addressKey(added) !== selfKey) throw new PreflightRefusedError(`server ${id} is still not a participant after ${MAX_RECONFIG_ATTEMPTS} reconfig attempts`);
      await cleanup(zk, selfKey, id);
      const mode = await waitForParticipantMode(options, deps, s.self.address);
      return done(`synced and added as participant (config version ${membership.version?.toString(16) ?? "?"}; now ${mode})`);
    } catch (error) {
      await releaseJoinLock(zk, selfKey).catch(() => undefined);
      throw error;
    }
  });
}

/**
 * An observer promoted to participant restarts its client service while it
 * becomes a follower; wait (bounded) until it serves again so "done" means usable.
 */
async function waitForParticipantMode(options: ZkIdOptions, deps: ZkIdDeps, self: ServerAddress): Promise<string> {
  const rounds = Math.ceil(options.syncTimeoutMs / Math.max(1, options.pollMs)) + 1;
  for (let round = 0; round < rounds; round++) {
    const mode = (await deps.probe(self))?.mode;
    if (mode === "follower" || mode === "leader") return mode;
    await deps.clock.sleep(Math.min(options.pollMs, 200));
  }
  deps.output.warn(`server ${addressKey(self)} is a participant in the committed config but does not serve as one yet`);
  return "not serving yet";
}

async function cleanup(zk: ZkClient, selfKey: string, id: number): Promise<void> {
  await releaseJoinLock(zk, selfKey);
  await releaseClaim(zk, selfKey, id);
}

/**
 * ZooKeeper adds a server by reconfig whether or not it runs (ZooKeeper does not
 * check), so check it here: write through the quorum, then read that write back
 * through this server's own client port. A server only serves clients after it
 * synced with the leader, so seeing the write proves it is in sync.
 */
async function waitUntilSynced(options: ZkIdOptions, deps: ZkIdDeps, zk: ZkClient, self: ServerAddress, id: number, selfKey: string): Promise<void> {
  const deadline = deps.clock.now() + options.syncTimeoutMs;
  const rounds = Math.ceil(options.syncTimeoutMs / Math.max(1, options.pollMs)) + 1;
  let last = "not answering";
  for (let round = 0; round < rounds; round++) {
    const status = await deps.probe(self);
    if (status?.mode === "observer" || status?.mode === "follower") {
      const mark = await touchJoinLock(zk, selfKey, id);
      try {
        const own = await deps.connect([self]);
        try {
          await own.sync("/mdeploy/zk-join");
          const { stat } = await own.getData("/mdeploy/zk-join");
          if (stat.mzxid >= mark) return;
          last = `behind (zxid ${stat.mzxid.toString(16)} < ${mark.toString(16)})`;
        } finally {
          await own.close();
        }
      } catch (error) {
        last = error instanceof Error ? error.message : String(error);
      }
    } else {
      last = status ? `mode ${status.mode ?? "not serving"}` : "not answering";
    }
    if (deps.clock.now() >= deadline) break;
    await deps.clock.sleep(options.pollMs);
  }
  throw new PreflightRefusedError(`server ${id} (${self.host}:${self.clientPort}) did not sync with the leader within ${Math.round(options.syncTimeoutMs / 1000)} s (${last}); not adding it as a participant`);
}

/**
 * Before this server goes away for good (scale-in, an ASG Terminating:Wait hook):
 * remove it from the membership with a version-checked reconfig, so the
 * ensemble does not count a dead voter until the next joiner cleans up.
 */
async function leave(options: ZkIdOptions, deps: ZkIdDeps): Promise<ZkIdResult> {
  const s = await look(options, deps);
  const selfKey = addressKey(s.self.address);
  const others = serving(s);
  if (others.length === 0) throw new UnreachableError("no other ZooKeeper server is serving; cannot remove this one");
  return withEnsemble(deps, others, async (zk) => {
    let removed: number | null = null;
    for (let attempt = 0; attempt <= MAX_RECONFIG_ATTEMPTS; attempt++) {
      const membership = await readMembership(zk);
      const mine = membership.servers.find((m) => addressKey(m) === selfKey);
      if (!mine) {
        if (s.local.state.myid !== null) await cleanup(zk, selfKey, s.local.state.myid);
        const reason = removed === null ? "not a member of the ensemble" : `removed server ${removed} from the ensemble; stop ZooKeeper here and wipe its data before any reuse`;
        return { action: "leave" as const, id: s.local.state.myid, outcome: "left", reason, files: [], promoteAfterStart: false };
      }
      try {
        await zk.reconfig({ leaving: String(mine.id), fromConfigVersion: membership.version ?? -1n });
        removed = mine.id;
      } catch (error) {
        if (isZkError(error, ZkErrorCode.badVersion, ZkErrorCode.reconfigInProgress)) {
          await deps.clock.sleep(200);
          continue;
        }
        if (isZkError(error, ZkErrorCode.newConfigNoQuorum)) throw new PreflightRefusedError(`removing server ${mine.id} would leave no synced quorum; not removed`);
        throw reconfigFailure(error);
      }
    }
    throw new PreflightRefusedError(`the membership kept changing; gave up leaving after ${MAX_RECONFIG_ATTEMPTS} attempts`);
  });
}

/** The zk:// string for the current members (live config; the local dynamic file when no quorum serves). */
async function printZkUrl(options: ZkIdOptions, deps: ZkIdDeps): Promise<ZkIdResult> {
  const s = await look(options, deps);
  const live = serving(s);
  const selfStatus = await deps.probe(s.self.address);
  const candidates = selfStatus?.mode ? [s.self.address, ...live] : live;
  let members: ServerSpec[];
  let reason: string;
  if (candidates.length > 0) {
    members = (await withEnsemble(deps, candidates, readMembership)).servers;
    reason = "committed membership";
  } else if (s.local.dynamicMembership) {
    members = s.local.dynamicMembership.servers;
    reason = `no quorum serves; from ${s.local.dynamicFile ?? "the local dynamic file"}`;
    deps.output.warn(reason);
  } else {
    throw new UnreachableError("no ZooKeeper server is serving and there is no local membership file");
  }
  return { action: "print-zk-url", id: s.local.state.myid, outcome: "url", reason, files: [], promoteAfterStart: false, zkUrl: zkUrl(members, options.zkPath) };
}
