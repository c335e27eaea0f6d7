/**
 * `mdeploy rollback`: put an earlier version of the app back (Marathon
 * redeploys that definition as a new version, instances included) and wait
 * until it verifies. The version before the current configuration is the
 * default, so scale-only versions in between are skipped.
 */
import type { Clock } from "../core/clock.js";
import { NeedsPersonError } from "../errors.js";
import { MarathonApiError, type MarathonClient } from "../marathon/client.js";
import { previousHealthyLabel } from "./app-provenance.js";
import { pickRollbackVersion } from "./rollback-choice.js";
import { formatVersion, type VersionSummary } from "./version-display.js";
import { follow, type DeployMarathon } from "./deploy-app.js";
import { defaultTimeoutMs } from "./default-timeout.js";
import { startEventWatch } from "./event-watch.js";
import type { MesosAgentsSource } from "./plan-deploy.js";
import type { Progress } from "./progress.js";
import { replanVersion, ROLLBACK_OF_LABEL } from "./replan-version.js";
import { countTasks } from "./verify-app.js";

export interface RollbackAppOptions {
  environment: string;
  appId: string;
  /** The version to go back to; default the one before the current configuration. */
  to?: string;
  timeoutMs?: number;
  /** Cancel a deployment holding the app. */
  force: boolean;
}

export interface RollbackAppDeps {
  marathon: DeployMarathon & Pick<MarathonClient, "getAppVersions" | "urls">;
  /** When given, the old definition goes back with a strategy today's capacity can carry. */
  mesos?: MesosAgentsSource;
  clock: Clock;
  progress: Progress;
}

export interface RollbackResult {
  environment: string;
  appId: string;
  /** The version asked for. */
  restored: string;
  /** The new version Marathon made of it. */
  version: string;
  fromVersion: string;
  deploymentId: string;
  instances: { healthy: number; total: number };
  /** What the restored version runs and what ran before, and why that version was chosen. */
  restoredRuns: VersionSummary;
  fromRuns: VersionSummary;
  reason: string;
}

/** Rolls back and verifies; throws NeedsPersonError (exit 5) when the rollback does not finish. */
export async function rollbackApp(options: RollbackAppOptions, deps: RollbackAppDeps): Promise<RollbackResult> {
  const { marathon, clock, progress } = deps;
  const { app, version: restored, reason, restoredRuns, fromRuns } = await pickRollbackVersion(marathon, options.appId, options.environment, options.to);
  const watch = startEventWatch({ marathon, clock, appId: options.appId });
  try {
    await watch.whenOpen(60_000);
    progress.start("rollback", `${options.environment}: roll back ${options.appId} from ${app.version} to ${restored}`);
    progress.line(`  ${reason}`);
    let put;
    try {
      const settleMs = (options.timeoutMs ?? defaultTimeoutMs(app)) / 2;
      const replanned = deps.mesos ? await replanVersion({ ...deps, mesos: deps.mesos }, options.appId, restored, { [ROLLBACK_OF_LABEL]: app.version, ...previousHealthyLabel(app) }, settleMs) : undefined;
      const force = options.force ? { force: true } : {};
      put = replanned ? await marathon.putApp(replanned, { partialUpdate: false, ...force }) : await marathon.rollbackApp(options.appId, restored, force);
    } catch (error) {
      if (error instanceof MarathonApiError && error.status === 409) {
        throw new NeedsPersonError(`${options.environment}: ${options.appId} is locked by deployment ${error.lockingDeploymentIds.join(", ")}; nothing was changed`, ["re-run with --force to cancel that deployment and roll back"]);
      }
      throw error;
    }
    const timeoutMs = options.timeoutMs ?? defaultTimeoutMs(app);
    const outcome = await follow(deps, watch, options.appId, put, clock.now() + timeoutMs);
    progress.end("rollback");
    if (outcome.kind !== "success") {
      const why = outcome.kind === "timeout" ? `did not finish within ${Math.round(timeoutMs / 1000)} s` : outcome.kind === "failed" ? `failed: ${outcome.reason}` : "was replaced by another deployment";
      throw new NeedsPersonError(`${options.environment}: the rollback of ${options.appId} to ${restored} ${why}`, [...outcome.details, `look at mdeploy status ${options.environment}; try an older version with --to`]);
    }
    const counts = countTasks(outcome.app, outcome.version);
    progress.line(`${options.environment}: ${options.appId} is back at ${formatVersion(restoredRuns)} (as version ${put.version}): ${counts.healthyNew}/${counts.instances} healthy`);
    return {
      environment: options.environment,
      appId: options.appId,
      restored,
      version: put.version,
      fromVersion: app.version,
      deploymentId: put.deploymentId,
      instances: { healthy: counts.healthyNew, total: counts.instances },
      restoredRuns,
      fromRuns,
      reason,
    };
  } finally {
    progress.settle();
    await watch.close();
  }
}
