/**
 * Peers as discovery finds them (static list, DNS, EC2) and the `--peers`
 * syntax. Pure.
 */
import type { BootstrapGate } from "./evidence.js";
import type { ServerAddress } from "./members.js";

/** A server that discovery says should be part of the ensemble. */
export interface Peer extends ServerAddress {
  /** EC2 instance ID, when discovered through EC2. */
  instanceId?: string;
  /** The old `zkid` EC2 tag, honoured as a migration path. */
  zkidTag?: number | null;
}

/**
 * What discovery found. `peers` are in the source's stable order (static list
 * order; DNS by address; EC2 by launch time then instance ID), which bootstrap
 * numbering follows, so every node computes the same assignment from the same
 * set, and an instance launched later to replace one never renumbers the others.
 */
export interface Discovery {
  source: string;
  peers: Peer[];
  /** How many servers the ensemble should have at bootstrap (list length, ASG desired capacity, or a flag). */
  expectedSize: number | null;
  /** What proves a first bootstrap for this source: the operator's flag, or a marker it holds. */
  gate: BootstrapGate;
}

/** Default ports (the ZooKeeper conventions). */
export interface PortDefaults {
  clientPort: number;
  quorumPort: number;
  electionPort: number;
}

export const DEFAULT_PORTS: PortDefaults = { clientPort: 2181, quorumPort: 2888, electionPort: 3888 };

/**
 * Parses `host[:clientPort[:quorumPort[:electionPort]]]`; missing ports take the
 * defaults. Throws a plain Error describing the bad entry.
 */
export function parsePeerSpec(spec: string, defaults: PortDefaults = DEFAULT_PORTS): ServerAddress {
  const parts = spec.trim().split(":");
  const [host, ...ports] = parts;
  if (!host || ports.length > 3 || !/^[A-Za-z0-9.-]+$/.test(host)) {
    throw new Error(`"${spec}" is not host[:clientPort[:quorumPort[:electionPort]]]`);
  }
  const nums = ports.map((p) => Number(p));
  if (nums.some((n) => !Number.isInteger(n) || n < 1 || n > 65535)) throw new Error(`"${spec}" has a port outside 1..65535`);
  return {
    host,
    clientPort: nums[0] ?? defaults.clientPort,
    quorumPort: nums[1] ?? defaults.quorumPort,
    electionPort: nums[2] ?? defaults.electionPort,
  };
}

/** Parses a comma- or space-separated `--peers` list; collects every bad entry. */
export function parsePeerList(list: string, defaults: PortDefaults = DEFAULT_PORTS): { peers: ServerAddress[]; problems: string[] } {
  const peers: ServerAddress[] = [];
  const problems: string[] = [];
  for (const entry of list.split(/[\s,]+/).filter(Boolean)) {
    try {
      peers.push(parsePeerSpec(entry, defaults));
    } catch (error) {
      problems.push((error as Error).message);
    }
  }
  return { peers, problems };
}

/** Orders addresses the way DNS discovery does: numerically by IPv4 octets, then by name. */
export function compareAddresses(a: ServerAddress, b: ServerAddress): number {
  const octets = (h: string) => (/^\d+\.\d+\.\d+\.\d+$/.test(h) ? h.split(".").map(Number) : null);
  const oa = octets(a.host);
  const ob = octets(b.host);
  if (oa && ob) {
    for (let i = 0; i < 4; i++) if (oa[i] !== ob[i]) return (oa[i] ?? 0) - (ob[i] ?? 0);
  } else if (a.host !== b.host) {
    return a.host < b.host ? -1 : 1;
  }
  return a.quorumPort - b.quorumPort || a.clientPort - b.clientPort;
}
