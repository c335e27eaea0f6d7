/**
 * The read-then-plan step shared by `mdeploy plan` and `mdeploy deploy`: read
 * the running app and the Mesos agents, then plan. Nothing is written.
 */
import { MarathonApiError, MarathonRejectedInputError, type MarathonClient } from "../marathon/client.js";
import type { AppDefinition, AppStatus, MesosAgent } from "../marathon/types.js";
import { previousHealthyLabel } from "./app-provenance.js";
import { snapshotFromAgents } from "../plan/cluster-snapshot.js";
import { diffApps, type AppChange } from "../plan/diff-app.js";
import { planUpgrade, planWithoutCapacity } from "../plan/plan-upgrade.js";
import type { StrategyMode, UpgradePlan } from "../plan/types.js";

/** What the planner needs from Mesos. */
export interface MesosAgentsSource {
  getAgents(): Promise<MesosAgent[]>;
}

export interface PlanDeployDeps {
  marathon: Pick<MarathonClient, "findApp" | "getInfo">;
  /** Absent when no Mesos URL is configured: the plan then says capacity was not checked. */
  mesos?: MesosAgentsSource;
  /** Hides secret values in the diff. */
  redact: (text: string) => string;
}

export interface PlannedDeploy {
  running: AppStatus | undefined;
  /** The definition to PUT: instances resolved, the plan's upgradeStrategy set. */
  target: AppDefinition;
  plan: UpgradePlan;
  /** Normalized diff running -> target, secrets hidden. */
  changes: AppChange[];
  capacityChecked: boolean;
}

/**
 * Reads and plans. `app` must have its secret placeholders resolved already (so an unchanged secret is no change).
 * `minHealthy` is the environment's floor (mdeploy.yml): no plan leaves fewer healthy instances.
 */
export async function planDeploy(app: AppDefinition, mode: StrategyMode, deps: PlanDeployDeps, minHealthy?: number): Promise<PlannedDeploy> {
  const [running, agents, version] = await Promise.all([
    deps.marathon.findApp(app.id, { embed: ["app.tasks", "app.readiness", "app.lastTaskFailure", "app.deployments"] }),
    deps.mesos ? deps.mesos.getAgents() : Promise.resolve(undefined),
    marathonVersion(deps.marathon),
  ]);
  const plan = agents
    ? planUpgrade({ cluster: snapshotFromAgents(agents), running, target: app, mode, ...(minHealthy !== undefined ? { minHealthy } : {}), ...(version !== undefined ? { marathonVersion: version } : {}) })
    : planWithoutCapacity(running, app, minHealthy, version);
  // The running version's health is known now and nowhere later: the new version keeps a note of it (mdeploy history).
  const target: AppDefinition = { ...app, labels: { ...app.labels, ...previousHealthyLabel(running) }, instances: plan.instances.to, upgradeStrategy: plan.strategy };
  const changes = diffApps(running, target, { redact: deps.redact });
  return { running, target, plan, changes, capacityChecked: agents !== undefined };
}

/**
 * Marathon's version as `GET /v2/info` reports it: which old instances a restart counts
 * depends on it. Undefined when this Marathon (or a proxy before it) answers the route
 * with an HTTP error or leaves the field out; the planner then assumes 1.10+ and says so.
 */
export async function marathonVersion(marathon: Pick<MarathonClient, "getInfo">): Promise<string | undefined> {
  try {
    const info = await marathon.getInfo();
    return typeof info.version === "string" ? info.version : undefined;
  } catch (error) {
    // Any HTTP refusal of this one read (a proxy that serves only /v2/apps, a 5xx) costs only the
    // version: the stricter 1.10+ rule is then assumed and said. No answer at all, or wrong
    // credentials, are not about the version and surface as they are.
    if (error instanceof MarathonApiError && !(error instanceof MarathonRejectedInputError)) return undefined;
    throw error;
  }
}

/** Lines that show a plan to a person. */
export function formatPlan(planned: PlannedDeploy, environment: string): string[] {
  const { plan } = planned;
  const lines = [`${environment}: ${plan.appId}: ${plan.verdict}`];
  lines.push(`  instances ${plan.instances.from} -> ${plan.instances.to}; upgradeStrategy minimumHealthCapacity ${plan.strategy.minimumHealthCapacity}, maximumOverCapacity ${plan.strategy.maximumOverCapacity} (${plan.strategySource})`);
  if (plan.restartRule) lines.push(`  ${plan.restartRule}`);
  for (const reason of plan.reasons) lines.push(`  ${reason}`);
  if (plan.steps.length > 0) {
    lines.push("  predicted steps:");
    plan.steps.forEach((step, i) => lines.push(`    ${i + 1}. ${step.action} [old ${step.oldRunning}, new ${step.newRunning}, healthy ${step.healthy}]`));
    lines.push(`  peak: ${plan.peak.instances} instances, ${plan.peak.mem} MB, ${plan.peak.cpus} CPUs`);
  }
  for (const warning of plan.warnings) lines.push(`  warning: ${warning}`);
  return lines;
}
