/**
 * `mdeploy plan <env>`: the normalized diff against the running app and the
 * upgrade plan (strategy, capacity verdict, predicted steps). Reads only.
 * Exit 0 when the deployment can finish, 3 when it cannot.
 */
import type { CliContext } from "../core/ports/cli-context.js";
import type { Clock } from "../core/ports/clock.js";
import { systemClock } from "../host/system-clock.js";
import { resolveSecretPlaceholders } from "../core/secret-placeholders.js";
import { DriftDetectedError, PreflightRefusedError, ValidationError } from "../errors.js";
import { driftChanges, withCiProvenance } from "../deploy/app-provenance.js";
import { formatVersion, summarizeVersion, type VersionSummary } from "../deploy/version-display.js";
import { marathonClientFor, mesosClientFor } from "../deploy/cluster-clients.js";
import { loadCommandTarget } from "../deploy/load-target.js";
import { formatPlan, planDeploy } from "../deploy/plan-deploy.js";
import { formatDiff, type AppChange } from "../plan/diff-app.js";
import type { EnvironmentConfig, StrategyChoice } from "../config/types.js";
import type { MesosAgentsSource } from "../deploy/plan-deploy.js";
import { formatProgressivePlan, planProgressive, type BlueGreenPlan, type CanaryPlan } from "../deploy/progressive/progressive-plan.js";
import type { AppDefinition } from "../marathon/types.js";
import { snapshotFromAgents } from "../plan/cluster-snapshot.js";
import type { UpgradePlan } from "../plan/types.js";

export interface PlanOptions {
  environment: string;
  artifact?: string;
  strategy?: StrategyChoice;
  /** Exit 8 when the running app differs from the artifact (mdeploy's labels and the strategy aside). */
  detailedExitcode?: boolean;
}

export interface PlanResult {
  environment: string;
  plan: UpgradePlan;
  changes: AppChange[];
  capacityChecked: boolean;
  /** What runs now and what the artifact would run. */
  runs?: VersionSummary;
  target: VersionSummary;
  /** Paths that differ, mdeploy's labels and the upgradeStrategy aside (what --detailed-exitcode reports). */
  drift: string[];
  /** Canary steps or the blue/green switch, with gates, peak use and room (strategy canary or blue-green over a running app). */
  progressive?: CanaryPlan | BlueGreenPlan;
}

/** The progressive plan over the cluster as Mesos reports it now (not asked without MESOS_URL). */
async function progressivePlan(strategy: "canary" | "blue-green", app: AppDefinition, runningInstances: number | undefined, envConfig: EnvironmentConfig, mesos: MesosAgentsSource | undefined) {
  const cluster = mesos && runningInstances !== undefined ? snapshotFromAgents(await mesos.getAgents()) : undefined;
  return planProgressive(strategy, app, runningInstances, envConfig, cluster);
}

/** Prints the diff and the plan; throws PreflightRefusedError (exit 3) when it cannot finish. */
export async function runPlan(options: PlanOptions, context: CliContext, clock: Clock = systemClock): Promise<PlanResult> {
  const { output } = context;
  const loaded = await loadCommandTarget(context, options);
  const envConfig = Object.hasOwn(loaded.config.environments, options.environment) ? loaded.config.environments[options.environment] : undefined;
  const marathon = marathonClientFor(loaded.settings.marathon, clock);
  const mesos = mesosClientFor(loaded.settings, clock);
  try {
    const app = resolveSecretPlaceholders(withCiProvenance(loaded.app, context.env), context.env, output.redactor, { environment: options.environment, emptySecretsAllowed: envConfig?.emptySecretsAllowed ?? [] });
    const strategy = options.strategy ?? envConfig?.strategy ?? "auto";
    // Canary and blue/green end with the stable app deployed the ordinary way: that part is planned as ever.
    const planned = await planDeploy(app, strategy === "template" ? "template" : "auto", { marathon, ...(mesos ? { mesos } : {}), redact: output.redactor.redact }, envConfig?.minHealthy);
    const runs = planned.running ? summarizeVersion(planned.running.version, planned.running) : undefined;
    output.info(`${options.environment}: ${app.id} ${runs ? `runs ${formatVersion(runs)}` : "is not deployed (new app)"}; changes:`);
    for (const line of formatDiff(planned.changes)) output.info(`  ${line}`);
    for (const line of formatPlan(planned, options.environment)) output.info(line);
    const drift = driftChanges(planned.running, planned.target).map((c) => c.path);
    const result: PlanResult = {
      environment: options.environment,
      plan: planned.plan,
      changes: planned.changes,
      capacityChecked: planned.capacityChecked,
      ...(runs ? { runs } : {}),
      target: summarizeVersion("(to deploy)", planned.target),
      drift,
    };
    if ((strategy === "canary" || strategy === "blue-green") && envConfig) {
      const progressive = await progressivePlan(strategy, app, planned.running?.instances ?? (planned.running ? 1 : undefined), envConfig, mesos);
      if (progressive && "problem" in progressive) throw new ValidationError(`${options.environment}: strategy ${strategy}: ${progressive.problem}`, [], { state: result });
      if (progressive) {
        result.progressive = progressive;
        for (const line of formatProgressivePlan(progressive, options.environment)) output.info(line);
        if (progressive.room && !progressive.room.fits) {
          const hint = progressive.strategy === "blue-green" ? "free capacity, or deploy with --strategy canary or auto" : "free capacity, or use smaller steps (canary.steps in mdeploy.yml)";
          throw new PreflightRefusedError(`${options.environment}: ${progressive.strategy === "blue-green" ? "blue/green" : "the canary"} cannot start: ${progressive.room.verdict}`, [hint], { state: result });
        }
      } else output.info(`${options.environment}: ${app.id} is not deployed yet: the first deploy is a rolling one, ${strategy} starts from the next`);
    }
    // A plan that ends in exit 3 or 8 is still the answer: it goes into the error document's state.
    if (!planned.plan.feasible) {
      throw new PreflightRefusedError(`${options.environment}: this deployment cannot finish: ${planned.plan.verdict}`, planned.plan.reasons.slice(1), { state: result });
    }
    if (options.detailedExitcode && drift.length > 0) {
      throw new DriftDetectedError(`${options.environment}: ${app.id} differs from the artifact (${drift.length} path${drift.length === 1 ? "" : "s"}: ${drift.slice(0, 5).join(", ")}${drift.length > 5 ? ", ..." : ""})`, [], { state: result });
    }
    output.result(result);
    if (options.detailedExitcode) output.info(`${options.environment}: no drift: ${app.id} runs what the artifact says`);
    return result;
  } finally {
    marathon.close();
    mesos?.close();
  }
}
