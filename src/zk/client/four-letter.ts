/**
 * ZooKeeper's four-letter-word commands (`srvr`, `mntr`, `ruok`) over plain TCP:
 * they answer even when the server has no quorum, which is how `zk-id` tells
 * "not running" from "running but not serving". The server must whitelist them
 * (`4lw.commands.whitelist`), which the zoo.cfg we render does.
 */
import { tcpExchange } from "./tcp-exchange.js";

/** Sends one command and returns the reply, or null when nothing listens or it does not answer in time. */
export function fourLetterWord(host: string, port: number, command: string, timeoutMs = 1_500): Promise<string | null> {
  // The server answers and closes: the reply is whatever arrived by then.
  return tcpExchange(host, port, command, timeoutMs, () => undefined, (received) => received.toString("utf8"));
}

/** What `srvr` says about one server. */
export interface ServerStatus {
  /** `leader`, `follower`, `observer`, `standalone`; null when running but not serving. */
  mode: string | null;
  /** Last zxid the server has applied, when serving. */
  zxid: bigint | null;
}

/** Parses a `srvr` reply. */
export function parseSrvr(reply: string): ServerStatus {
  const mode = /^Mode:\s*(\S+)/m.exec(reply)?.[1] ?? null;
  const zxid = /^Zxid:\s*(0x[0-9a-fA-F]+)/m.exec(reply)?.[1];
  return { mode, zxid: zxid ? BigInt(zxid) : null };
}

/**
 * Text only ZooKeeper sends in reply to `srvr`: its status, the "not serving"
 * line, or the whitelist refusal. Anything else on the port (an HTTP error from
 * a service that took a dead server's port) is not a ZooKeeper server answering.
 */
const ZOOKEEPER_SRVR_REPLY = /^Zookeeper version:|^This ZooKeeper instance is not currently serving requests|^srvr is not executed because it is not in the whitelist/m;

/** `srvr` as a probe: the server's status, or null when nothing answers or what answers is not ZooKeeper. */
export async function probeSrvr(host: string, port: number, timeoutMs?: number): Promise<ServerStatus | null> {
  const reply = await fourLetterWord(host, port, "srvr", timeoutMs);
  return reply !== null && ZOOKEEPER_SRVR_REPLY.test(reply) ? parseSrvr(reply) : null;
}

/** Parses a `mntr` reply (tab-separated key/value lines); a server that does not serve answers with no pairs. */
export function parseMntr(reply: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of reply.split("\n")) {
    const tab = line.indexOf("\t");
    if (tab > 0) out[line.slice(0, tab)] = line.slice(tab + 1).trim();
  }
  return out;
}
