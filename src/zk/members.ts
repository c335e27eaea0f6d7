/**
 * ZooKeeper membership as it appears in a dynamic config file and in the
 * `/zookeeper/config` znode:
 *
 *   server.3=10.0.0.7:2888:3888:participant;10.0.0.7:2181
 *   version=100000000
 *
 * Pure: parse and render only.
 */

/** Smallest and largest ID mdeploy hands out (ZooKeeper allows 255 only without TTL nodes). */
export const MIN_SERVER_ID = 1;
export const MAX_SERVER_ID = 254;

/** Where a ZooKeeper server listens. Two servers are the same server when host and quorum port match. */
export interface ServerAddress {
  host: string;
  clientPort: number;
  quorumPort: number;
  electionPort: number;
}

export type ServerRole = "participant" | "observer";

/** One `server.N=` line. */
export interface ServerSpec extends ServerAddress {
  id: number;
  role: ServerRole;
}

/** A membership and the config version it was committed at (null for a file not yet seen by ZooKeeper). */
export interface Membership {
  servers: ServerSpec[];
  version: bigint | null;
}

/** The identity of a server: host plus quorum port (ports differ only when several servers share a host). */
export function addressKey(address: Pick<ServerAddress, "host" | "quorumPort">): string {
  return `${address.host}:${address.quorumPort}`;
}

/** Human form of an address for messages. */
export function describeAddress(address: ServerAddress): string {
  return `${address.host}:${address.clientPort} (quorum ${address.quorumPort}, election ${address.electionPort})`;
}

/** Whether an ID is one mdeploy may hand out. */
export function isValidServerId(id: number): boolean {
  return Number.isInteger(id) && id >= MIN_SERVER_ID && id <= MAX_SERVER_ID;
}

const serverLine = /^server\.(\d+)=([^:;\s]+|\[[^\]]+\]):(\d+):(\d+)(?::(participant|observer))?(?:;(?:([^;\s]*):)?(\d+))?$/;

/**
 * Parses dynamic config text. Throws a plain Error naming the bad line; callers
 * turn it into the right typed error for where the text came from.
 */
export function parseMembership(text: string): Membership {
  const servers: ServerSpec[] = [];
  let version: bigint | null = null;
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, index) => {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) return;
    if (line.startsWith("version=")) {
      const hex = line.slice("version=".length);
      if (!/^[0-9a-fA-F]+$/.test(hex)) throw new Error(`line ${index + 1}: bad version "${hex}"`);
      version = BigInt(`0x${hex}`);
      return;
    }
    const m = serverLine.exec(line);
    if (!m) throw new Error(`line ${index + 1}: not a server line: ${line}`);
    // The client address part (`;0.0.0.0:2181` or `;10.0.0.7:2181`) is where the server
    // binds; clients reach it at the server's own host, so only the port is kept.
    const [, id, host, quorum, election, role, , clientPort] = m;
    const address = host ?? "";
    servers.push({
      id: Number(id),
      host: address,
      quorumPort: Number(quorum),
      electionPort: Number(election),
      role: role === "observer" ? "observer" : "participant",
      clientPort: clientPort === undefined ? 2181 : Number(clientPort),
    });
  });
  servers.sort((a, b) => a.id - b.id);
  return { servers, version };
}

/** One `server.N=` line; the client port listens on the server's own address. */
export function renderServerLine(spec: ServerSpec): string {
  return `server.${spec.id}=${spec.host}:${spec.quorumPort}:${spec.electionPort}:${spec.role};${spec.host}:${spec.clientPort}`;
}

/** A dynamic config file's text: one server line per member, by ID. */
export function renderDynamicConfig(servers: readonly ServerSpec[]): string {
  return [...servers]
    .sort((a, b) => a.id - b.id)
    .map((s) => `${renderServerLine(s)}\n`)
    .join("");
}

/** The member holding an ID, if any. */
export function memberById(membership: Membership, id: number): ServerSpec | undefined {
  return membership.servers.find((s) => s.id === id);
}

/** The member at an address, if any. */
export function memberByAddress(membership: Membership, address: Pick<ServerAddress, "host" | "quorumPort">): ServerSpec | undefined {
  const key = addressKey(address);
  return membership.servers.find((s) => addressKey(s) === key);
}
