import type { AppDefinition } from "../marathon/types.js";
import { requestedHostPorts } from "./app-definition.js";
import type { AgentState } from "./cluster-state.js";
import { fieldValue, matchOffer, REJECT_REASON_ORDER, type LaunchRequirements } from "./offer-matching.js";

/** Offer statistics of one launch-queue entry (what `/v2/queue` summarises). */
export interface OfferStats {
  processed: number;
  unused: number;
  lastUnusedAt: number | null;
  lastUsedAt: number | null;
  /** Offers and first-failing reasons of the latest offer round. */
  lastRound: { offers: number; declined: number[] };
  /** The same, summed since the entry was queued. */
  total: { offers: number; declined: number[] };
}

export function emptyOfferStats(): OfferStats {
  return {
    processed: 0,
    unused: 0,
    lastUnusedAt: null,
    lastUsedAt: null,
    lastRound: { offers: 0, declined: REJECT_REASON_ORDER.map(() => 0) },
    total: { offers: 0, declined: REJECT_REASON_ORDER.map(() => 0) },
  };
}

/** The launch-queue side of an app. */
export interface QueuedApp {
  def: AppDefinition;
  /** Instances waiting for an offer. */
  pending: number;
  queueSince: number | null;
  /** Backoff: no launch before this instant. */
  delayUntil: number;
  stats: OfferStats;
  /** Resource epoch at which the last round placed nothing (unchanged epoch = same answer). */
  stuckAt: number;
  /** Active instances per agent, for constraints. */
  agentCounts: Map<AgentState, number>;
}

export interface OfferRound<A extends QueuedApp> {
  /** Apps with pending instances, in queue order. */
  apps: A[];
  agents: AgentState[];
  now: number;
  /** Round number; rotates which agent offers first so placements spread. */
  round: number;
  resourceEpoch: number;
  maxInstancesPerOffer: number;
  intervalMs: number;
  launch(app: A, agent: AgentState, ports: number[]): void;
}

/**
 * One round of offers: every agent offers its free resources to each queued app in
 * turn; each offer launches up to `maxInstancesPerOffer` instances or is declined with
 * its first failing reason. Returns when the next round is due (Infinity: none needed).
 */
export function runOfferRound<A extends QueuedApp>(round: OfferRound<A>): number {
  const { now, agents } = round;
  let wake = Number.POSITIVE_INFINITY;
  for (const app of round.apps) {
    if (app.delayUntil > now) {
      wake = Math.min(wake, app.delayUntil);
      continue;
    }
    const stats = app.stats;
    if (app.stuckAt === round.resourceEpoch) {
      // Nothing changed since the last round placed nothing: it would decide the same.
      countRound(stats, stats.lastRound.offers, 0, stats.lastRound.declined, now);
      wake = Math.min(wake, now + round.intervalMs);
      continue;
    }
    const req = requirements(app.def);
    const counts = fieldCounter(app);
    const declined = REJECT_REASON_ORDER.map(() => 0);
    let offers = 0;
    let used = 0;
    const start = agents.length > 0 ? round.round % agents.length : 0;
    for (let k = 0; k < agents.length && app.pending > 0; k++) {
      const agent = agents[(start + k) % agents.length] as AgentState;
      if (!agent.active) continue;
      offers++;
      let launched = 0;
      while (app.pending > 0 && launched < round.maxInstancesPerOffer) {
        const match = matchOffer(req, agent, counts.get);
        if (!match.ok) {
          const index = REJECT_REASON_ORDER.indexOf(match.reason);
          if (launched === 0) declined[index] = (declined[index] ?? 0) + 1;
          break;
        }
        app.pending--;
        launched++;
        round.launch(app, agent, match.ports);
        counts.add(agent);
      }
      if (launched > 0) used++;
    }
    if (app.pending === 0) app.queueSince = null;
    countRound(stats, offers, used, declined, now);
    if (app.pending > 0) {
      if (used === 0) app.stuckAt = round.resourceEpoch;
      wake = Math.min(wake, now + round.intervalMs);
    }
  }
  return wake;
}

function requirements(def: AppDefinition): LaunchRequirements {
  return {
    cpus: def.cpus ?? 1,
    mem: def.mem ?? 128,
    disk: def.disk ?? 0,
    gpus: def.gpus ?? 0,
    hostPorts: requestedHostPorts(def),
    acceptedRoles: def.acceptedResourceRoles && def.acceptedResourceRoles.length > 0 ? def.acceptedResourceRoles : ["*", ...(def.role && def.role !== "*" ? [def.role] : [])],
    constraints: def.constraints ?? [],
  };
}

function countRound(stats: OfferStats, offers: number, used: number, declined: number[], now: number): void {
  stats.processed += offers;
  stats.unused += offers - used;
  if (offers - used > 0) stats.lastUnusedAt = now;
  if (used > 0) stats.lastUsedAt = now;
  stats.lastRound = { offers, declined: [...declined] };
  stats.total.offers += offers;
  declined.forEach((n, i) => (stats.total.declined[i] = (stats.total.declined[i] ?? 0) + n));
}

/** Instance counts per constraint-field value, updated as the round launches. */
function fieldCounter(app: QueuedApp): { get: (field: string) => ReadonlyMap<string, number>; add: (agent: AgentState) => void } {
  const byField = new Map<string, Map<string, number>>();
  const build = (field: string): Map<string, number> => {
    const m = new Map<string, number>();
    for (const [agent, n] of app.agentCounts) {
      const v = fieldValue(agent, field);
      if (v !== undefined) m.set(v, (m.get(v) ?? 0) + n);
    }
    return m;
  };
  for (const c of app.def.constraints ?? []) {
    const field = c[0] as string;
    if (!byField.has(field)) byField.set(field, build(field));
  }
  return {
    get: (field) => byField.get(field) ?? build(field),
    add: (agent) => {
      for (const [field, m] of byField) {
        const v = fieldValue(agent, field);
        if (v !== undefined) m.set(v, (m.get(v) ?? 0) + 1);
      }
    },
  };
}
