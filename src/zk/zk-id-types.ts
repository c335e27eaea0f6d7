/**
 * The shapes `mdeploy zk-id` runs on: options (plain values from flags),
 * dependencies (adapters, built by src/zk/zk-id-wiring.ts or by tests), and
 * the result. Kept here so nothing under src/zk needs the CLI or the command.
 */
import type { Clock } from "../core/ports/clock.js";
import type { Redactor } from "../core/redact.js";
import type { ClaimTimes } from "./claims.js";
import type { ElectionReply } from "./client/election-probe.js";
import type { ServerStatus } from "./client/four-letter.js";
import type { ZkClient } from "./client/zk-client.js";
import type { ZkPaths } from "./local-files.js";
import type { ServerAddress } from "./members.js";
import type { Discovery } from "./peers.js";

export type ZkIdAction = "prepare" | "promote" | "leave" | "print-zk-url";

export interface ZkIdOptions {
  action: ZkIdAction;
  paths: ZkPaths;
  tickTimeMs: number;
  /** Bound for waiting on bootstrap discovery and on another joiner. */
  waitTimeoutMs: number;
  /**
   * How long a server without an ID waits for a quorum when it sees an ensemble
   * that exists but does not serve (or cannot tell yet), before it gives up
   * with exit 7. It never bootstraps in that case.
   */
  settleMs: number;
  /** Bound for waiting until this server has synced with the leader (`--promote`). */
  syncTimeoutMs: number;
  pollMs: number;
  /** Path part of the zk:// URL. */
  zkPath: string;
  /** Super-user password for reconfig; null runs the ensemble with skipACL=yes. */
  superPassword: string | null;
  claimTimes: ClaimTimes;
  /** `--bootstrap`: the operator says a first bootstrap is allowed (static list and DNS discovery need it). */
  bootstrap: boolean;
  /** A voter unreachable for longer than this (and not synced) is dead and its ID is taken over by a joiner. */
  deadVoterGraceMs: number;
  /** Voters the ensemble should keep; null: the number recorded in ZooKeeper (the voters when first recorded, normally the bootstrap size). */
  targetSize: number | null;
}

/** This server as identity discovery sees it. */
export interface SelfIdentity {
  address: ServerAddress;
  instanceId: string | null;
}

/** Where zk-id speaks; the CLI's Output fits it. */
export interface ZkLog {
  readonly redactor: Pick<Redactor, "add">;
  info(line: string): void;
  warn(line: string): void;
}

export interface ZkIdDeps {
  log: ZkLog;
  clock: Clock;
  /**
   * `markFormed` writes the discovery source's durable "this ensemble formed" marker
   * (EC2: the autoscaling group tag) and says what it wrote; absent where the source
   * holds none. Throws UnreachableError when the write fails.
   */
  discovery: { discover(): Promise<Discovery>; markFormed?(): Promise<string> };
  identify(): Promise<SelfIdentity>;
  /** `srvr` on a server's client port: null when nothing answers. */
  probe(address: ServerAddress): Promise<ServerStatus | null>;
  /** A notification exchange on a server's election port: null when nothing answers. */
  probeElection(address: ServerAddress): Promise<ElectionReply | null>;
  /** Whether the server's election port accepts a TCP connection (its process runs, answering or not). */
  accepts(address: ServerAddress): Promise<boolean>;
  /** `mntr` on a server's client port as key/value pairs: null when nothing answers. */
  monitor(address: ServerAddress): Promise<Record<string, string> | null>;
  /** A session with the first of these servers that grants one. */
  connect(servers: readonly ServerAddress[]): Promise<ZkClient>;
}

export interface ZkIdResult {
  action: ZkIdAction;
  id: number | null;
  /** keep | bootstrap | join | replace | participant | left | url */
  outcome: string;
  reason: string;
  files: string[];
  /** True when `zk-id --promote` must follow once ZooKeeper runs here. */
  promoteAfterStart: boolean;
  zkUrl?: string;
}
