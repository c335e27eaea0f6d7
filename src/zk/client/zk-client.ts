/**
 * A minimal ZooKeeper client speaking the wire protocol directly, so `npm ci`
 * needs no compiler (the npm `zookeeper` package builds the C client) and
 * `reconfig`, which the pure-JS clients on npm lack, is one request away.
 *
 * One session over one connection, no reconnect: a caller that loses the
 * connection makes a new client. That is all `mdeploy zk-id` needs, and it keeps
 * "did my create happen?" questions out of this file.
 */
import { createConnection, type Socket } from "node:net";
import { JuteReader, JuteWriter, readStat, type ZnodeStat } from "./jute.js";

/** ZooKeeper error codes (KeeperException.Code) that callers branch on. */
export const ZkErrorCode = {
  connectionLoss: -4,
  operationTimeout: -7,
  newConfigNoQuorum: -13,
  reconfigInProgress: -14,
  noNode: -101,
  noAuth: -102,
  badVersion: -103,
  nodeExists: -110,
  notEmpty: -111,
  sessionExpired: -112,
  reconfigDisabled: -123,
} as const;

const errorNames: Record<number, string> = {
  [-1]: "SystemError",
  [-2]: "RuntimeInconsistency",
  [-3]: "DataInconsistency",
  [-4]: "ConnectionLoss",
  [-5]: "MarshallingError",
  [-6]: "Unimplemented",
  [-7]: "OperationTimeout",
  [-8]: "BadArguments",
  [-13]: "NewConfigNoQuorum",
  [-14]: "ReconfigInProgress",
  [-100]: "APIError",
  [-101]: "NoNode",
  [-102]: "NoAuth",
  [-103]: "BadVersion",
  [-108]: "NoChildrenForEphemerals",
  [-110]: "NodeExists",
  [-111]: "NotEmpty",
  [-112]: "SessionExpired",
  [-115]: "AuthFailed",
  [-123]: "ReconfigDisabled",
};

/** A ZooKeeper error reply (or a lost connection, code -4). */
export class ZkError extends Error {
  constructor(
    readonly code: number,
    readonly op: string,
    readonly path: string,
  ) {
    super(`ZooKeeper ${op} ${path}: ${errorNames[code] ?? `error ${code}`}`);
    this.name = "ZkError";
  }
}

/** Whether an error is a ZooKeeper reply with one of the given codes. */
export function isZkError(error: unknown, ...codes: number[]): error is ZkError {
  return error instanceof ZkError && (codes.length === 0 || codes.includes(error.code));
}

export type CreateMode = "persistent" | "ephemeral" | "persistent-sequential" | "ephemeral-sequential";
const createFlags: Record<CreateMode, number> = { persistent: 0, ephemeral: 1, "persistent-sequential": 2, "ephemeral-sequential": 3 };

const Op = { create: 1, delete: 2, exists: 3, getData: 4, setData: 5, getChildren: 8, sync: 9, ping: 11, reconfig: 16, auth: 100, close: -11 } as const;
const PING_XID = -2;
const AUTH_XID = -4;
const WATCH_XID = -1;

export interface ZkClientOptions {
  /** `host:port` client addresses, tried in order until one gives a session. */
  servers: readonly string[];
  sessionTimeoutMs?: number;
  /** Bound for TCP connect plus session handshake, per server. */
  connectTimeoutMs?: number;
  /** Bound for each request. */
  requestTimeoutMs?: number;
  /** Digest credentials (`user:password`) sent with addauth right after connecting. */
  digestAuth?: string;
}

export interface ZkClient {
  /** The `host:port` this session is connected to. */
  readonly server: string;
  readonly sessionId: bigint;
  getData(path: string): Promise<{ data: Buffer; stat: ZnodeStat }>;
  exists(path: string): Promise<ZnodeStat | null>;
  getChildren(path: string): Promise<string[]>;
  /** Creates a znode (open ACL); returns the created path (with the sequence suffix for sequential modes). */
  create(path: string, data: Buffer | string, mode?: CreateMode): Promise<string>;
  setData(path: string, data: Buffer | string, version: number): Promise<ZnodeStat>;
  delete(path: string, version: number): Promise<void>;
  /** Brings the connected server up to date with the leader before the next read. */
  sync(path: string): Promise<void>;
  /**
   * Incremental reconfig. `fromConfigVersion` makes it conditional on the
   * committed config version (BadVersion otherwise); -1n means unconditional.
   */
  reconfig(change: { joining?: string; leaving?: string; fromConfigVersion: bigint }): Promise<{ data: Buffer; stat: ZnodeStat }>;
  close(): Promise<void>;
}

/** Connects to the first server in the list that grants a session. */
export async function createZkClient(options: ZkClientOptions): Promise<ZkClient> {
  const failures: string[] = [];
  for (const server of options.servers) {
    try {
      return await connectOne(server, options);
    } catch (error) {
      failures.push(`${server}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  throw new ZkConnectError(failures);
}

/** No server in the list granted a session (down, or up without a quorum). */
export class ZkConnectError extends Error {
  constructor(readonly failures: readonly string[]) {
    super(`no ZooKeeper server granted a session (${failures.join("; ") || "no servers given"})`);
    this.name = "ZkConnectError";
  }
}

interface Pending {
  op: string;
  path: string;
  resolve(reader: JuteReader): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

function splitHostPort(server: string): { host: string; port: number } {
  const i = server.lastIndexOf(":");
  return { host: server.slice(0, i).replace(/^\[|\]$/g, ""), port: Number(server.slice(i + 1)) };
}

async function connectOne(server: string, options: ZkClientOptions): Promise<ZkClient> {
  const sessionTimeoutMs = options.sessionTimeoutMs ?? 10_000;
  const connectTimeoutMs = options.connectTimeoutMs ?? 3_000;
  const requestTimeoutMs = options.requestTimeoutMs ?? 10_000;
  const { host, port } = splitHostPort(server);
  const socket: Socket = createConnection({ host, port });
  socket.setNoDelay(true);

  let inbox: Buffer = Buffer.alloc(0);
  let onFrame: (frame: Buffer) => void = () => undefined;
  let closedError: Error | undefined;
  const onClosed: Array<(e: Error) => void> = [];
  socket.on("data", (chunk: Buffer) => {
    inbox = inbox.length === 0 ? chunk : Buffer.concat([inbox, chunk]);
    while (inbox.length >= 4) {
      const len = inbox.readInt32BE(0);
      if (inbox.length < 4 + len) break;
      const frame = inbox.subarray(4, 4 + len);
      inbox = inbox.subarray(4 + len);
      onFrame(frame);
    }
  });
  const fail = (error: Error) => {
    if (closedError) return;
    closedError = error;
    for (const f of onClosed) f(error);
  };
  socket.on("error", (e) => fail(e));
  socket.on("close", () => fail(new ZkError(ZkErrorCode.connectionLoss, "connection", server)));

  // Handshake: ConnectRequest / ConnectResponse. A server without a quorum accepts
  // the TCP connection and then closes it, which lands in `fail` above.
  const handshake = await new Promise<{ sessionId: bigint; timeout: number }>((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no session within ${connectTimeoutMs} ms`));
    }, connectTimeoutMs);
    onClosed.push((e) => {
      clearTimeout(timer);
      reject(e.message.includes("ConnectionLoss") ? new Error("connection closed during handshake (server not serving)") : e);
    });
    onFrame = (frame) => {
      clearTimeout(timer);
      const r = new JuteReader(frame);
      r.int();
      const timeout = r.int();
      const sessionId = r.long();
      if (timeout <= 0) {
        socket.destroy();
        reject(new Error("session refused"));
        return;
      }
      resolve({ sessionId, timeout });
    };
    socket.once("connect", () => {
      socket.write(new JuteWriter().int(0).long(0n).int(sessionTimeoutMs).long(0n).buffer(Buffer.alloc(16)).bool(false).frame());
    });
  });
  onClosed.length = 0;

  const pending = new Map<number, Pending>();
  let nextXid = 1;
  let authWaiter: { resolve(): void; reject(e: Error): void } | undefined;
  onClosed.push((e) => {
    clearInterval(pinger);
    const err = e instanceof ZkError ? e : new ZkError(ZkErrorCode.connectionLoss, "connection", server);
    for (const p of pending.values()) {
      clearTimeout(p.timer);
      p.reject(new ZkError(err.code, p.op, p.path));
    }
    pending.clear();
    authWaiter?.reject(err);
  });
  onFrame = (frame) => {
    const r = new JuteReader(frame);
    const xid = r.int();
    r.long();
    const err = r.int();
    if (xid === PING_XID || xid === WATCH_XID) return;
    if (xid === AUTH_XID) {
      if (err === 0) authWaiter?.resolve();
      else authWaiter?.reject(new ZkError(err, "addauth", "digest"));
      authWaiter = undefined;
      return;
    }
    const p = pending.get(xid);
    if (!p) return;
    pending.delete(xid);
    clearTimeout(p.timer);
    if (err !== 0) p.reject(new ZkError(err, p.op, p.path));
    else p.resolve(r);
  };
  // Keep the session alive: the server expires it after `timeout` without traffic.
  const pinger = setInterval(() => {
    if (!closedError) socket.write(new JuteWriter().int(PING_XID).int(Op.ping).frame());
  }, Math.max(200, Math.floor(handshake.timeout / 3)));
  pinger.unref();

  function request(op: string, type: number, path: string, body: (w: JuteWriter) => void): Promise<JuteReader> {
    if (closedError) return Promise.reject(new ZkError(ZkErrorCode.connectionLoss, op, path));
    const xid = nextXid++;
    const w = new JuteWriter().int(xid).int(type);
    body(w);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        pending.delete(xid);
        reject(new ZkError(ZkErrorCode.operationTimeout, op, path));
      }, requestTimeoutMs);
      pending.set(xid, { op, path, resolve, reject, timer });
      socket.write(w.frame());
    });
  }

  if (options.digestAuth) {
    const credential = options.digestAuth;
    await new Promise<void>((resolve, reject) => {
      authWaiter = { resolve, reject };
      socket.write(new JuteWriter().int(AUTH_XID).int(Op.auth).int(0).string("digest").buffer(Buffer.from(credential, "utf8")).frame());
    });
  }

  const toBuffer = (d: Buffer | string) => (typeof d === "string" ? Buffer.from(d, "utf8") : d);
  return {
    server,
    sessionId: handshake.sessionId,
    async getData(path) {
      const r = await request("getData", Op.getData, path, (w) => w.string(path).bool(false));
      const data = r.buffer() ?? Buffer.alloc(0);
      return { data, stat: readStat(r) };
    },
    async exists(path) {
      try {
        const r = await request("exists", Op.exists, path, (w) => w.string(path).bool(false));
        return readStat(r);
      } catch (error) {
        if (isZkError(error, ZkErrorCode.noNode)) return null;
        throw error;
      }
    },
    async getChildren(path) {
      const r = await request("getChildren", Op.getChildren, path, (w) => w.string(path).bool(false));
      const n = r.int();
      const out: string[] = [];
      for (let i = 0; i < n; i++) out.push(r.string() ?? "");
      return out;
    },
    async create(path, data, mode = "persistent") {
      const r = await request("create", Op.create, path, (w) =>
        // One ACL: world:anyone with all permissions (ZooDefs.Ids.OPEN_ACL_UNSAFE).
        w.string(path).buffer(toBuffer(data)).int(1).int(31).string("world").string("anyone").int(createFlags[mode]),
      );
      return r.string() ?? path;
    },
    async setData(path, data, version) {
      const r = await request("setData", Op.setData, path, (w) => w.string(path).buffer(toBuffer(data)).int(version));
      return readStat(r);
    },
    async delete(path, version) {
      await request("delete", Op.delete, path, (w) => w.string(path).int(version));
    },
    async sync(path) {
      await request("sync", Op.sync, path, (w) => w.string(path));
    },
    async reconfig(change) {
      const label = [change.joining ? `add ${change.joining}` : "", change.leaving ? `remove ${change.leaving}` : ""].filter(Boolean).join(", ");
      const r = await request("reconfig", Op.reconfig, label, (w) =>
        w
          .string(change.joining ?? null)
          .string(change.leaving ?? null)
          .string(null)
          .long(change.fromConfigVersion),
      );
      const data = r.buffer() ?? Buffer.alloc(0);
      return { data, stat: readStat(r) };
    },
    async close() {
      if (closedError) return;
      try {
        await Promise.race([request("close", Op.close, "", () => undefined), new Promise((resolve) => setTimeout(resolve, 500))]);
      } catch {
        // The server closes the socket as its answer; nothing to report.
      }
      fail(new ZkError(ZkErrorCode.connectionLoss, "close", server));
      socket.destroy();
    },
  };
}
