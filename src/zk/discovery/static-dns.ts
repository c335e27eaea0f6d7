/**
 * Discovery from a static `--peers` list or a DNS name whose A records are the
 * ensemble's servers.
 */
import { promises as dns } from "node:dns";
import { UnreachableError } from "../../errors.js";
import type { ServerAddress } from "../members.js";
import { compareAddresses, type Discovery, type PortDefaults } from "../peers.js";

/** The list is the membership: its order numbers the bootstrap, its length is the ensemble size. */
export function staticDiscovery(peers: readonly ServerAddress[], expectedSize: number | null): { discover(): Promise<Discovery> } {
  return {
    discover: async () => ({ source: "static list", peers: peers.map((p) => ({ ...p })), expectedSize: expectedSize ?? peers.length, gate: { kind: "flag" } }),
  };
}

/** A resolver returning IPv4 addresses; the default is the system's. */
export type Resolve4 = (name: string) => Promise<string[]>;

/** A name with one A record per server; all share the given ports. Ordered by address so every node numbers alike. */
export function dnsDiscovery(name: string, ports: PortDefaults, expectedSize: number | null, resolve4: Resolve4 = (n) => dns.resolve4(n)): { discover(): Promise<Discovery> } {
  return {
    async discover() {
      let addresses: string[];
      try {
        addresses = await resolve4(name);
      } catch (error) {
        const code = (error as { code?: string }).code;
        if (code === "ENOTFOUND" || code === "ENODATA") addresses = [];
        else throw new UnreachableError(`DNS lookup of ${name} failed: ${code ?? (error as Error).message}`);
      }
      const peers = [...new Set(addresses)].map((host) => ({ host, ...ports })).sort(compareAddresses);
      return { source: `DNS ${name}`, peers, expectedSize: expectedSize ?? (peers.length || null), gate: { kind: "flag" } };
    },
  };
}
