/**
 * A deploy whose definition equals what runs except for mdeploy's own labels
 * (a retried CI job carries a new pipeline URL) or the upgradeStrategy: it
 * sends nothing, since Marathon would restart every instance for a label, and
 * says so. The dotenv report is still written, so the job's artifacts match a
 * real deploy's.
 */
import type { AppStatus } from "../marathon/types.js";
import type { Output } from "../core/ports/output.js";
import type { Progress } from "../core/ports/progress.js";
import type { DeployResult } from "./deploy-result.js";
import { formatDotenvReport, urlFromLabels } from "./dotenv-report.js";
import type { PlannedDeploy } from "./plan-deploy.js";
import { formatVersion, summarizeVersion } from "./version-display.js";

/** What of deployApp's options an unchanged redeploy reads (declared here, so deploy-app.ts alone imports this file). */
interface UnchangedRedeployOptions {
  environment: string;
  url?: string;
  dotenvPath?: string;
}

/** What of deployApp's deps an unchanged redeploy uses. */
interface UnchangedRedeployDeps {
  output: Output;
  progress: Progress;
  writeFile?: (path: string, text: string) => Promise<void>;
}

/** The result of a deploy that found nothing to send. */
export async function unchangedRedeploy(running: AppStatus, planned: PlannedDeploy, options: UnchangedRedeployOptions, deps: UnchangedRedeployDeps): Promise<DeployResult> {
  const runs = summarizeVersion(running.version, running);
  const url = options.url ?? urlFromLabels(running.labels);
  deps.progress.line(`${options.environment}: ${running.id} already runs ${formatVersion(runs)}; only mdeploy's labels or the upgradeStrategy would change, so nothing was sent`);
  if (options.dotenvPath && deps.writeFile) {
    await deps.writeFile(options.dotenvPath, deps.output.redactor.redact(formatDotenvReport({ version: running.version, previousVersion: running.version, deploymentId: "", url })));
  }
  return {
    environment: options.environment,
    appId: running.id,
    version: running.version,
    previousVersion: running.version,
    deploymentId: "",
    verifiedBy: "state",
    plan: planned.plan,
    changes: [],
    ...(url ? { url } : {}),
    instances: { healthy: running.tasksHealthy, total: running.instances ?? 1 },
    runs,
    previousRuns: runs,
    unchanged: true,
  };
}
