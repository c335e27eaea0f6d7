/**
 * ZooKeeper's four-letter-word commands (`srvr`, `mntr`, `ruok`) over plain TCP:
 * they answer even when the server has no quorum, which is how `zk-id` tells
 * "not running" from "running but not serving". The server must whitelist them
 * (`4lw.commands.whitelist`), which the zoo.cfg we render does.
 */
import { createConnection } from "node:net";

/** Sends one command and returns the reply, or null when nothing listens or it does not answer in time. */
export function fourLetterWord(host: string, port: number, command: string, timeoutMs = 1_500): Promise<string | null> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port });
    let reply = "";
    let settled = false;
    const done = (value: string | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(value);
    };
    const timer = setTimeout(() => done(null), timeoutMs);
    socket.on("connect", () => socket.write(command));
    socket.on("data", (d: Buffer) => (reply += d.toString("utf8")));
    socket.on("end", () => done(reply));
    socket.on("error", () => done(null));
  });
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
