import type { Deployment, QueueItem } from "../marathon/types.js";
import { isActive, iso, readinessJson, taskJson, type Instance } from "./instance.js";
import type { AppRecord } from "./app-record.js";
import { MarathonEngine, type DeploymentRecord } from "./marathon-engine.js";
import { REJECT_REASON_ORDER } from "./offer-matching.js";

/** How the REST layer renders engine state in Marathon's JSON shapes. */

export interface AppEmbeds {
  tasks: boolean;
  counts: boolean;
  deployments: boolean;
  lastTaskFailure: boolean;
  readiness: boolean;
  taskStats: boolean;
}

/** Reads `embed=` values; `apps.` and `app.` prefixes are both accepted, as Marathon does. */
export function parseEmbeds(values: string[], single: boolean): AppEmbeds {
  const set = new Set(values.map((v) => v.replace(/^apps?\./, "")));
  return {
    tasks: single || set.has("tasks"),
    counts: true,
    deployments: true,
    lastTaskFailure: single || set.has("lastTaskFailure") || set.has("failures"),
    readiness: set.has("readiness"),
    taskStats: set.has("taskStats"),
  };
}

function liveInstances(app: AppRecord): Instance[] {
  return [...app.instances.values()].filter(isActive).sort((a, b) => a.stagedAt - b.stagedAt || a.instanceId.localeCompare(b.instanceId));
}

export function appJson(engine: MarathonEngine, app: AppRecord, embeds: AppEmbeds): Record<string, unknown> {
  const out: Record<string, unknown> = { ...structuredClone(app.def) };
  if (embeds.counts) Object.assign(out, engine.counts(app));
  if (embeds.deployments) {
    const d = engine.runningDeploymentOf(app.id);
    out.deployments = d ? [{ id: d.id }] : [];
  }
  const now = engine.clock.now();
  if (embeds.tasks) out.tasks = liveInstances(app).map((i) => taskJson(i, now));
  if (embeds.lastTaskFailure && app.lastTaskFailure) out.lastTaskFailure = { ...app.lastTaskFailure };
  if (embeds.readiness) out.readinessCheckResults = liveInstances(app).filter((i) => (i.def.readinessChecks?.length ?? 0) > 0).flatMap(readinessJson);
  // The embed is called taskStats, the field tasksStats (app.raml, AppInfo).
  if (embeds.taskStats) out.tasksStats = taskStats(app, now);
  return out;
}

function taskStats(app: AppRecord, now: number): Record<string, unknown> {
  const group = (instances: Instance[]) => {
    if (instances.length === 0) return undefined;
    const lifetimes = instances.map((i) => (now - i.stagedAt) / 1000).sort((a, b) => a - b);
    const mid = Math.floor(lifetimes.length / 2);
    const median = lifetimes.length % 2 ? (lifetimes[mid] as number) : ((lifetimes[mid - 1] as number) + (lifetimes[mid] as number)) / 2;
    return {
      stats: {
        counts: {
          staged: instances.filter((i) => i.state === "TASK_STAGING" || i.state === "TASK_STARTING").length,
          running: instances.filter((i) => i.state === "TASK_RUNNING").length,
          healthy: instances.filter((i) => i.health?.alive === true).length,
          unhealthy: instances.filter((i) => i.health?.alive === false).length,
        },
        lifeTime: { averageSeconds: lifetimes.reduce((a, b) => a + b, 0) / lifetimes.length, medianSeconds: median },
      },
    };
  };
  const live = liveInstances(app);
  const config = app.def.versionInfo?.lastConfigChangeAt;
  const scaling = Date.parse(app.def.versionInfo?.lastScalingAt ?? app.def.version ?? "");
  const out: Record<string, unknown> = {};
  const entries: [string, Instance[]][] = [
    ["startedAfterLastScaling", live.filter((i) => i.stagedAt >= scaling)],
    ["withLatestConfig", live.filter((i) => i.configVersion === config)],
    ["withOutdatedConfig", live.filter((i) => i.configVersion !== config)],
    ["totalSummary", live],
  ];
  for (const [name, instances] of entries) {
    const g = group(instances);
    if (g) out[name] = g;
  }
  return out;
}

export function deploymentJson(engine: MarathonEngine, d: DeploymentRecord): Deployment {
  const plan = engine.planJson(d);
  return {
    id: d.id,
    version: d.version,
    affectedApps: [...d.affectedApps],
    affectedPods: [],
    steps: plan.steps,
    currentActions: d.controllers.map((c) => ({ action: c.action, app: c.appId, readinessCheckResults: c.readiness() })),
    currentStep: d.stepIndex + 1,
    totalSteps: d.steps.length,
  };
}

/** `GET /v2/queue`: one entry per app with instances waiting to launch. */
export function queueJson(engine: MarathonEngine): { queue: QueueItem[] } {
  const now = engine.clock.now();
  const queue: QueueItem[] = [];
  for (const app of engine.visibleApps()) {
    if (app.pending <= 0) continue;
    const stats = app.stats;
    const leftMs = Math.max(0, app.delayUntil - now);
    const { tasksStaged: _s, ...def } = structuredClone(app.def) as Record<string, unknown> & { tasksStaged?: number };
    queue.push({
      app: def as QueueItem["app"],
      count: app.pending,
      role: app.def.role ?? "*",
      // Whole seconds (int64 in queue.raml); overdue = backoff over, waiting for offers.
      delay: { timeLeftSeconds: Math.floor(leftMs / 1000), overdue: leftMs === 0 },
      since: iso(app.queueSince ?? now) as string,
      processedOffersSummary: {
        processedOffersCount: stats.processed,
        unusedOffersCount: stats.unused,
        ...(stats.lastUnusedAt !== null ? { lastUnusedOfferAt: iso(stats.lastUnusedAt) as string } : {}),
        ...(stats.lastUsedAt !== null ? { lastUsedOfferAt: iso(stats.lastUsedAt) as string } : {}),
        rejectSummaryLastOffers: funnel(stats.lastRound.offers, stats.lastRound.declined),
        rejectSummaryLaunchAttempt: funnel(stats.total.offers, stats.total.declined),
      },
    });
  }
  return { queue };
}

/**
 * Marathon's reject summary is a funnel: each reason shows how many offers reached
 * that check (`processed`) and how many it declined.
 */
function funnel(offers: number, declined: number[]): { reason: (typeof REJECT_REASON_ORDER)[number]; declined: number; processed: number }[] {
  let reaching = offers;
  return REJECT_REASON_ORDER.map((reason, i) => {
    const d = declined[i] ?? 0;
    const row = { reason, declined: d, processed: reaching };
    reaching -= d;
    return row;
  });
}

/**
 * Why the app waits, in one word: the reason of the offers that got furthest through
 * Marathon's checks (agents that passed role and constraints but lacked memory say more
 * than agents excluded by a constraint).
 */
export function mainRejectReason(app: AppRecord): string | undefined {
  let deepest = -1;
  app.stats.lastRound.declined.forEach((n, i) => {
    if (n > 0) deepest = i;
  });
  return deepest >= 0 ? MarathonEngine.reasonAt(deepest) : undefined;
}
