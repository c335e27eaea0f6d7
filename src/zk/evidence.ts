/**
 * Whether a first bootstrap is proven. "No quorum answers" is not "no ensemble
 * exists": a survivor of an ensemble that lost its quorum runs, answers on its
 * election port, and holds a config version and an epoch from when the
 * ensemble formed. A node that bootstrapped beside it would start a second
 * ensemble with the same IDs. Pure: the adapters gather, this decides.
 */
import type { ElectionReply } from "./client/election-probe.js";
import { addressKey, describeAddress, parseMembership, type ServerAddress, type ServerSpec } from "./members.js";

/** What one running-or-not peer said. */
export interface PeerObservation {
  address: ServerAddress;
  /** It answered `srvr` (serving or not). */
  answered: boolean;
  /** It did not answer, yet its election port accepts connections: it runs (frozen, paused, stalled). */
  silent: boolean;
  /** It serves clients (a quorum exists around it). */
  serving: boolean;
  /** Its election-port reply, when it gave one. */
  election: ElectionReply | null;
}

/** How a discovery source proves a first bootstrap. */
export type BootstrapGate =
  /** The operator's `--bootstrap` flag (static list, DNS): nothing durable to read. */
  | { kind: "flag" }
  /** A durable marker written once the ensemble formed (EC2 tag); null when absent. */
  | { kind: "marker"; formedMarker: string | null };

export interface BootstrapEvidence {
  /** Proof that an ensemble exists (or that a first bootstrap is not allowed): never bootstrap. */
  blocking: string[];
  /** Peers that run but have not told us enough yet: ask again before deciding. */
  unknown: string[];
}

/** The ID a peer reports as its own: the member of its config at its address. */
function ownIdOf(reply: ElectionReply, address: ServerAddress): { id: number | null; version: bigint | null } {
  let membership;
  try {
    membership = parseMembership(reply.config);
  } catch {
    // parseMembership throws only on text that is not a dynamic config: no ID to report,
    // which bootstrapEvidence counts against bootstrapping.
    return { id: null, version: null };
  }
  const key = addressKey(address);
  const me = membership.servers.find((s) => s.host === address.host && s.electionPort === address.electionPort) ?? membership.servers.find((s) => addressKey(s) === key);
  return { id: me?.id ?? null, version: membership.version };
}

/**
 * Lists the evidence against bootstrapping. `planned` is the numbering this
 * node would use (null while discovery has not settled): a live peer whose own
 * ID differs from it would end with a duplicate.
 */
export function bootstrapEvidence(input: { self: ServerAddress; observations: readonly PeerObservation[]; gate: BootstrapGate; bootstrapFlag: boolean; planned: readonly ServerSpec[] | null }): BootstrapEvidence {
  const blocking: string[] = [];
  const unknown: string[] = [];
  if (input.gate.kind === "flag" && !input.bootstrapFlag) blocking.push("nothing marks this as a first bootstrap (--bootstrap not given)");
  if (input.gate.kind === "marker" && input.gate.formedMarker) blocking.push(`${input.gate.formedMarker} says the ensemble formed before`);
  const selfKey = addressKey(input.self);
  for (const o of input.observations) {
    if (addressKey(o.address) === selfKey) continue;
    const who = describeAddress(o.address);
    // A process that holds its ports but answers nothing may be a survivor in a GC pause:
    // bootstrapping beside it would duplicate its ID once it wakes.
    if (o.silent) unknown.push(`${who} accepts connections but does not answer`);
    if (!o.answered) continue;
    if (!o.election) {
      unknown.push(`${who} runs but has not answered on its election port`);
      continue;
    }
    const own = ownIdOf(o.election, o.address);
    const idText = own.id === null ? "" : ` (ID ${own.id})`;
    if ((own.version ?? 0n) > 0n || o.election.peerEpoch > 0n || o.election.zxid > 0n) {
      const version = own.version === null ? "?" : own.version.toString(16);
      blocking.push(`${who}${idText} belongs to an ensemble that formed (config version ${version}, epoch ${o.election.peerEpoch})`);
      continue;
    }
    if (own.id === null) {
      blocking.push(`${who} runs with a membership that does not list it`);
      continue;
    }
    const planned = input.planned?.find((s) => addressKey(s) === addressKey(o.address));
    if (input.planned && planned?.id !== own.id) {
      blocking.push(`${who} runs as ID ${own.id}, but this node would number it ${planned?.id ?? "not at all"}`);
    }
  }
  return { blocking, unknown };
}

/** A running peer (not this server) that reports `id` as its own, if any: starting with that ID would duplicate it. */
export function peerHoldingId(observations: readonly PeerObservation[], self: ServerAddress, id: number): PeerObservation | undefined {
  const selfKey = addressKey(self);
  return observations.find((o) => addressKey(o.address) !== selfKey && o.election !== null && ownIdOf(o.election, o.address).id === id);
}
