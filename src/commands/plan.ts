/**
 * `mdeploy plan <env>`: the normalized diff against the running app and the
 * upgrade plan (strategy, capacity verdict, predicted steps). Reads only.
 * Exit 0 when the deployment can finish, 3 when it cannot.
 */
import type { CliContext } from "../cli/context.js";
import { systemClock, type Clock } from "../core/clock.js";
import { resolveSecretPlaceholders } from "../core/secret-placeholders.js";
import { PreflightRefusedError } from "../errors.js";
import { marathonClientFor, mesosClientFor } from "../deploy/cluster-clients.js";
import { loadCommandTarget } from "../deploy/load-target.js";
import { formatPlan, planDeploy } from "../deploy/plan-deploy.js";
import { formatDiff, type AppChange } from "../plan/diff-app.js";
import type { StrategyMode, UpgradePlan } from "../plan/types.js";

export interface PlanOptions {
  environment: string;
  artifact?: string;
  strategy?: StrategyMode;
}

export interface PlanResult {
  environment: string;
  plan: UpgradePlan;
  changes: AppChange[];
  capacityChecked: boolean;
}

/** Prints the diff and the plan; throws PreflightRefusedError (exit 3) when it cannot finish. */
export async function runPlan(options: PlanOptions, context: CliContext, clock: Clock = systemClock): Promise<PlanResult> {
  const { output } = context;
  const loaded = await loadCommandTarget(context, options);
  const envConfig = Object.hasOwn(loaded.config.environments, options.environment) ? loaded.config.environments[options.environment] : undefined;
  const marathon = marathonClientFor(loaded.settings.marathon, clock);
  const mesos = mesosClientFor(loaded.settings, clock);
  try {
    const app = resolveSecretPlaceholders(loaded.app, context.env, output.redactor);
    const planned = await planDeploy(app, options.strategy ?? envConfig?.strategy ?? "auto", { marathon, ...(mesos ? { mesos } : {}), redact: output.redactor.redact }, envConfig?.minHealthy);
    output.info(`${options.environment}: changes to ${app.id}${planned.running ? "" : " (new app)"}:`);
    for (const line of formatDiff(planned.changes)) output.info(`  ${line}`);
    for (const line of formatPlan(planned, options.environment)) output.info(line);
    const result: PlanResult = { environment: options.environment, plan: planned.plan, changes: planned.changes, capacityChecked: planned.capacityChecked };
    output.result(result);
    if (!planned.plan.feasible) {
      throw new PreflightRefusedError(`${options.environment}: this deployment cannot finish: ${planned.plan.verdict}`, planned.plan.reasons.slice(1));
    }
    return result;
  } finally {
    marathon.close();
    mesos?.close();
  }
}
