/**
 * Asks a ZooKeeper server on its election port what it knows, even when it has
 * no quorum (every four-letter word but `ruok`/`envi` then says "not currently
 * serving"). ZooKeeper's leader election (QuorumCnxManager + FastLeaderElection)
 * answers a notification from a server that is not a voter "right away" with its
 * current vote and its membership, so a short exchange tells us:
 *
 * - the config version it holds (0 for a server started from a first-bootstrap
 *   file that never formed a quorum; an epoch-based version once it did),
 * - the zxid and epoch of its vote (non-zero once it has data),
 * - the membership it believes in, from which its own ID follows by address.
 *
 * We connect as a server ID far above any real one (a connection from a smaller
 * ID is dropped and dialled back) and send the 40-byte notification of the
 * pre-reconfig protocol: that form carries no config, so the peer cannot adopt
 * anything from us; it only answers.
 */
import { tcpExchange } from "./tcp-exchange.js";

/** ZooKeeper's QuorumCnxManager.PROTOCOL_VERSION_V1. */
const PROTOCOL_VERSION_V1 = -65536n;
/** A server ID no ensemble uses (IDs are 1..255; the observer sentinel is Long.MAX_VALUE). */
const PROBE_SID = 0x4d44_4550_4c4f_5900n;
const STATES = ["looking", "following", "leading", "observing"] as const;

/** What a peer said on its election port. */
export interface ElectionReply {
  state: (typeof STATES)[number] | "unknown";
  /** The server this peer votes for (itself while it looks alone). */
  votedFor: bigint;
  /** Zxid of that vote: the peer's own last zxid while it votes for itself. */
  zxid: bigint;
  peerEpoch: bigint;
  /** The peer's membership as dynamic-config text (server.N lines and version=). */
  config: string;
}

function header(selfAddress: string): Buffer {
  const addr = Buffer.from(selfAddress, "utf8");
  const b = Buffer.alloc(8 + 8 + 4 + addr.length);
  b.writeBigInt64BE(PROTOCOL_VERSION_V1, 0);
  b.writeBigInt64BE(PROBE_SID, 8);
  b.writeInt32BE(addr.length, 16);
  addr.copy(b, 20);
  return b;
}

function lookingNotification(): Buffer {
  // Frame length, then state LOOKING, leader, zxid, election epoch, peer epoch (40 bytes).
  const b = Buffer.alloc(4 + 40);
  b.writeInt32BE(40, 0);
  b.writeInt32BE(0, 4);
  b.writeBigInt64BE(PROBE_SID, 8);
  b.writeBigInt64BE(-1n, 16);
  // Election epoch and peer epoch stay 0.
  return b;
}

/** Parses one notification frame body; null when it is not the shape we asked for. */
export function parseElectionReply(body: Buffer): ElectionReply | null {
  if (body.length < 40) return null;
  const state = STATES[body.readInt32BE(0)] ?? "unknown";
  const votedFor = body.readBigInt64BE(4);
  const zxid = body.readBigInt64BE(12);
  const peerEpoch = body.readBigInt64BE(28);
  const version = body.readInt32BE(36);
  if (version < 2) return { state, votedFor, zxid, peerEpoch, config: "" };
  if (body.length < 44) return null;
  const len = body.readInt32BE(40);
  if (len < 0 || 44 + len > body.length) return null;
  return { state, votedFor, zxid, peerEpoch, config: body.subarray(44, 44 + len).toString("utf8") };
}

/**
 * Probes `host:electionPort`. Resolves null when nothing listens or no
 * notification arrives in time (a server still starting, or not ZooKeeper).
 */
export function probeElectionPort(host: string, electionPort: number, timeoutMs = 2_000): Promise<ElectionReply | null> {
  // The address we claim to listen on is never dialled: the peer keeps our connection (higher ID).
  const request = Buffer.concat([header("127.0.0.1:1"), lookingNotification()]);
  return tcpExchange(host, electionPort, request, timeoutMs, firstReply, () => null);
}

/** The first notification frame in what arrived: undefined while incomplete, null when malformed. */
function firstReply(received: Buffer): ElectionReply | null | undefined {
  if (received.length < 4) return undefined;
  const len = received.readInt32BE(0);
  if (len <= 0 || len > 1_000_000) return null;
  if (received.length < 4 + len) return undefined;
  return parseElectionReply(received.subarray(4, 4 + len));
}
