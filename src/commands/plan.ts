/**
 * `mdeploy plan <env>`: the normalized diff against the running app and the
 * upgrade plan (strategy, capacity verdict, predicted steps). Reads only.
 * Exit 0 when the deployment can finish, 3 when it cannot.
 */
import type { CliContext } from "../core/ports/cli-context.js";
import type { Clock } from "../core/ports/clock.js";
import { systemClock } from "../host/system-clock.js";
import { resolveSecretPlaceholders } from "../core/secret-placeholders.js";
import { DriftDetectedError, PreflightRefusedError } from "../errors.js";
import { driftChanges, withCiProvenance } from "../deploy/app-provenance.js";
import { formatVersion, summarizeVersion, type VersionSummary } from "../deploy/version-display.js";
import { marathonClientFor, mesosClientFor } from "../deploy/cluster-clients.js";
import { loadCommandTarget } from "../deploy/load-target.js";
import { formatPlan, planDeploy } from "../deploy/plan-deploy.js";
import { formatDiff, type AppChange } from "../plan/diff-app.js";
import type { StrategyMode, UpgradePlan } from "../plan/types.js";

export interface PlanOptions {
  environment: string;
  artifact?: string;
  strategy?: StrategyMode;
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
    const planned = await planDeploy(app, options.strategy ?? envConfig?.strategy ?? "auto", { marathon, ...(mesos ? { mesos } : {}), redact: output.redactor.redact }, envConfig?.minHealthy);
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
