/**
 * What a zk-id run sees around it: local files, discovery, and how every server
 * we know of answers. Probes run in parallel, so one look costs one probe
 * timeout at most, however many peers there are.
 */
import { UnreachableError } from "../errors.js";
import type { ServerStatus } from "./client/four-letter.js";
import type { PeerObservation } from "./evidence.js";
import { readLocalFiles, type LocalFiles } from "./local-files.js";
import { addressKey, type ServerAddress } from "./members.js";
import type { Discovery } from "./peers.js";
import type { SelfIdentity, ZkIdDeps, ZkIdOptions } from "./zk-id-types.js";

export interface Surroundings {
  self: SelfIdentity;
  local: LocalFiles;
  discovery: Discovery;
  /** Status of every server we know of except self, by address key. */
  status: Map<string, { address: ServerAddress; status: ServerStatus | null }>;
}

/** Reads local files and discovery, then probes every known server but this one with `srvr`. */
export async function look(options: Pick<ZkIdOptions, "paths">, deps: Pick<ZkIdDeps, "identify" | "discovery" | "probe">, extra: readonly ServerAddress[] = []): Promise<Surroundings> {
  const local = readLocalFiles(options.paths);
  const [self, discovery] = await Promise.all([deps.identify(), deps.discovery.discover()]);
  const selfKey = addressKey(self.address);
  const known = new Map<string, ServerAddress>();
  for (const a of [...discovery.peers, ...(local.dynamicMembership?.servers ?? []), ...extra]) if (addressKey(a) !== selfKey) known.set(addressKey(a), a);
  const entries = await Promise.all([...known].map(async ([key, address]) => [key, { address, status: await deps.probe(address) }] as const));
  return { self, local, discovery, status: new Map(entries) };
}

/** Servers that serve clients (a quorum stands behind them). */
export const serving = (s: Surroundings): ServerAddress[] => [...s.status.values()].filter((v) => v.status?.mode).map((v) => v.address);

/** Adds election-port replies for the servers that answered `srvr` (the ones that run). */
export async function observe(s: Surroundings, deps: Pick<ZkIdDeps, "probeElection" | "accepts">): Promise<PeerObservation[]> {
  return Promise.all(
    [...s.status.values()].map(async ({ address, status }) => ({
      address,
      answered: status !== null,
      // A silent peer may be a frozen survivor: ask whether its ports are held at all.
      silent: status === null && (await deps.accepts(address)),
      serving: Boolean(status?.mode),
      election: status === null ? null : await deps.probeElection(address),
    })),
  );
}

/** Address keys that are discovered or answering, and this server's. */
export function liveKeys(s: Surroundings): Set<string> {
  const keys = new Set(s.discovery.peers.map((p) => addressKey(p)));
  for (const [key, v] of s.status) if (v.status) keys.add(key);
  keys.add(addressKey(s.self.address));
  return keys;
}

/**
 * This run saw the ensemble serve with a quorum: write the discovery source's
 * "formed" marker when it does not hold one yet, so a later node never takes an
 * empty look for a first bootstrap. Failing to write it only warns: the run's
 * own verdict stands, and the next run that sees a quorum tries again.
 */
export async function recordFormed(s: Surroundings, deps: Pick<ZkIdDeps, "discovery" | "log">): Promise<void> {
  if (s.discovery.gate.kind !== "marker" || s.discovery.gate.formedMarker !== null || !deps.discovery.markFormed) return;
  try {
    deps.log.info(`the ensemble serves with a quorum: wrote ${await deps.discovery.markFormed()}`);
  } catch (error) {
    if (!(error instanceof UnreachableError)) throw error;
    deps.log.warn(`could not mark the ensemble as formed: ${error.message}`);
  }
}
