/**
 * Plans of the progressive strategies, as values `mdeploy plan` prints and the
 * engines follow: the canary's steps (instances of each copy and the share of
 * the new version), the gates, the peak use of both copies, and for blue/green
 * whether the cluster has room for a second complete copy. Pure.
 */
import type { BlueGreenSettings, CanarySettings, GateSettings } from "../../config/types.js";
import type { AppDefinition } from "../../marathon/types.js";
import { instanceNeeds } from "../../plan/app-resources.js";
import { planUpgrade } from "../../plan/plan-upgrade.js";
import type { ClusterSnapshot, PeakUse } from "../../plan/types.js";
import { defaultPreviewHost, sharedServiceProblem } from "./traefik-labels.js";

/** Suffix of the canary copy's app id. */
export const CANARY_SUFFIX = "-canary";
/** Suffix of the green copy's app id. */
export const GREEN_SUFFIX = "-green";

/** One canary step: how many instances each copy runs once it is done. */
export interface CanaryStep {
  /** 1-based. */
  index: number;
  /** What the config said ("10%", "2 instances"). */
  asked: string;
  canary: number;
  stable: number;
  /** Percent of the serving instances that run the new version (rounded). */
  share: number;
}

/** What the canary will do, step by step. */
export interface CanaryPlan {
  strategy: "canary";
  appId: string;
  canaryId: string;
  instances: number;
  steps: CanaryStep[];
  gates: string[];
  /** Both copies together at the busiest moment (the canary starts before the stable app shrinks). */
  peak: PeakUse;
  /** Whether the free capacity holds the biggest step's new canary instances beside the stable ones (undefined: Mesos not asked). */
  room?: { fits: boolean; verdict: string };
}

/** What blue/green will do. */
export interface BlueGreenPlan {
  strategy: "blue-green";
  appId: string;
  greenId: string;
  instances: number;
  previewHost: string;
  keepSeconds: number;
  gates: string[];
  /** Two complete copies. */
  peak: PeakUse;
  /** Whether the free capacity holds a second complete copy beside the running one (undefined: Mesos not asked). */
  room?: { fits: boolean; verdict: string };
}

/** Instances of each copy per step; a step that changes nothing is dropped. The stable app keeps at least one until the promotion. */
export function canarySteps(instances: number, settings: Pick<CanarySettings, "steps" | "stepUnit">): CanaryStep[] {
  const steps: CanaryStep[] = [];
  for (const value of settings.steps) {
    const wanted = settings.stepUnit === "instances" ? value : Math.round((instances * value) / 100);
    const canary = Math.min(instances, Math.max(1, wanted));
    // The last step (and any step that reaches every instance) ends in the promotion, not in a canary step.
    if (canary >= instances && (settings.stepUnit === "instances" ? value >= instances : value >= 100)) break;
    const stable = Math.max(1, instances - canary);
    if (steps.at(-1)?.canary === canary && steps.at(-1)?.stable === stable) continue;
    steps.push({ index: steps.length + 1, asked: settings.stepUnit === "instances" ? `${value} instance${value === 1 ? "" : "s"}` : `${value}%`, canary, stable, share: Math.round((100 * canary) / (canary + stable)) });
  }
  return steps;
}

/** The gates in words, for the plan and the log. */
function describeGates(gate: GateSettings): string[] {
  const lines = [`every new task healthy, none restarted, for ${gate.windowSeconds} s`];
  if (gate.httpProbe) lines.push(`GET ${gate.httpProbe.url} answers ${gate.httpProbe.expectStatus}`);
  if (gate.prometheus) lines.push(`Prometheus ${gate.prometheus.url}: ${gate.prometheus.query} <= ${gate.prometheus.max}`);
  return lines;
}

/** The canary's plan for `target` (the new definition, stable id) over `instances` stable instances; `cluster` (free capacity now) decides the room. */
export function planCanary(target: AppDefinition, instances: number, settings: CanarySettings, cluster?: ClusterSnapshot): CanaryPlan {
  const steps = canarySteps(instances, settings);
  let peakInstances = instances;
  let previousStable = instances;
  for (const step of steps) {
    peakInstances = Math.max(peakInstances, step.canary + previousStable);
    previousStable = step.stable;
  }
  const plan: CanaryPlan = {
    strategy: "canary",
    appId: target.id,
    canaryId: `${target.id}${CANARY_SUFFIX}`,
    instances,
    steps,
    gates: describeGates(settings),
    peak: peakOf(target, peakInstances),
  };
  if (cluster) plan.room = canaryRoom(plan, target, cluster);
  return plan;
}

/**
 * Room for the busiest move: a step's new canary instances start beside the stable
 * ones still running (the stable app shrinks only after), from free capacity now.
 */
function canaryRoom(plan: CanaryPlan, target: AppDefinition, cluster: ClusterSnapshot): { fits: boolean; verdict: string } {
  let biggest = 0;
  let before = 0;
  for (const step of plan.steps) {
    biggest = Math.max(biggest, step.canary - before);
    before = step.canary;
  }
  const what = `${biggest} instance${biggest === 1 ? "" : "s"} of ${plan.canaryId} beside ${plan.appId}`;
  if (biggest === 0) return { fits: true, verdict: "no canary step to make room for" };
  const start = planUpgrade({ cluster, target: { ...target, id: plan.canaryId, instances: biggest }, mode: "auto" });
  return start.feasible ? { fits: true, verdict: `room for the biggest step: ${what}` } : { fits: false, verdict: `no room for the biggest step (${what}): ${start.shortfall ?? start.verdict}` };
}

/** The blue/green plan; `cluster` (free capacity now, the running copy included) decides whether the green copy fits. */
export function planBlueGreen(target: AppDefinition, instances: number, settings: BlueGreenSettings, previewHost: string, cluster: ClusterSnapshot | undefined): BlueGreenPlan {
  const greenId = `${target.id}${GREEN_SUFFIX}`;
  const plan: BlueGreenPlan = {
    strategy: "blue-green",
    appId: target.id,
    greenId,
    instances,
    previewHost,
    keepSeconds: settings.keepSeconds,
    gates: describeGates(settings),
    peak: peakOf(target, 2 * instances),
  };
  if (cluster) {
    // Starting the green copy as a new app beside everything that runs now is exactly the question.
    const start = planUpgrade({ cluster, target: { ...target, id: greenId, instances }, mode: "auto" });
    plan.room = start.feasible
      ? { fits: true, verdict: `room for a second copy: ${instances} more instance${instances === 1 ? "" : "s"} of ${greenId} fit beside ${target.id}` }
      : { fits: false, verdict: `no room for a second copy of ${target.id}: ${start.shortfall ?? start.verdict}` };
  }
  return plan;
}

/** Lines that show a progressive plan to a person. */
export function formatProgressivePlan(plan: CanaryPlan | BlueGreenPlan, environment: string): string[] {
  const lines: string[] = [];
  const peak = `peak (both copies): ${plan.peak.instances} instances, ${plan.peak.mem} MB, ${plan.peak.cpus} CPUs`;
  if (plan.strategy === "canary") {
    lines.push(`${environment}: canary of ${plan.appId} as ${plan.canaryId} (same Traefik service: traffic splits by healthy instances)`);
    for (const step of plan.steps) lines.push(`  step ${step.index} (${step.asked}): ${plan.canaryId} ${step.canary}, ${plan.appId} ${step.stable}: ${step.share}% of traffic on the new version`);
    lines.push(`  then: ${plan.appId} gets the new version (rolling, verified), ${plan.canaryId} is removed`);
    lines.push(`  gate after each step: ${plan.gates.join("; ")}`);
    lines.push(`  ${peak}`);
    lines.push(`  ${plan.room ? plan.room.verdict : "room for the canary not checked (no MESOS_URL)"}`);
    return lines;
  }
  lines.push(`${environment}: blue/green of ${plan.appId}: ${plan.greenId} (${plan.instances} instances) on Host ${plan.previewHost}, then the public rule switches to it`);
  lines.push(`  gate before the switch: ${plan.gates.join("; ")}`);
  lines.push(`  ${plan.appId} stays up ${plan.keepSeconds} s after the switch (mdeploy rollback ${environment} switches back), then gets the new version and ${plan.greenId} is removed`);
  lines.push(`  ${peak}`);
  lines.push(`  ${plan.room ? plan.room.verdict : "room for a second copy not checked (no MESOS_URL)"}`);
  return lines;
}

/**
 * The plan for `strategy` over the app as it runs (`runningInstances`, undefined
 * when it is not deployed: the first deploy is a rolling one), or the reason the
 * app's Traefik labels cannot carry it.
 */
export function planProgressive(
  strategy: "canary" | "blue-green",
  target: AppDefinition,
  runningInstances: number | undefined,
  settings: { canary: CanarySettings; blueGreen: BlueGreenSettings },
  cluster: ClusterSnapshot | undefined,
): CanaryPlan | BlueGreenPlan | { problem: string } | undefined {
  if (runningInstances === undefined) return undefined;
  const problem = sharedServiceProblem(target.labels, target.id);
  if (problem) return { problem };
  if (strategy === "canary") return planCanary(target, runningInstances, settings.canary, cluster);
  const previewHost = settings.blueGreen.previewHost ?? defaultPreviewHost(target.labels);
  if (!previewHost) return { problem: `no Host in ${target.id}'s Traefik rules to make a preview host from; set blueGreen.previewHost in mdeploy.yml` };
  return planBlueGreen(target, target.instances ?? runningInstances, settings.blueGreen, previewHost, cluster);
}

function peakOf(app: AppDefinition, instances: number): PeakUse {
  const { resources } = instanceNeeds(app);
  const round = (n: number) => Math.round(n * 1000) / 1000;
  return { instances, cpus: round(resources.cpus * instances), mem: round(resources.mem * instances), disk: round(resources.disk * instances) };
}
