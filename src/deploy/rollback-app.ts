/**
 * `mdeploy rollback`: put an earlier version of the app back (Marathon
 * redeploys that definition as a new version, instances included) and wait
 * until it verifies. The version before the current configuration is the
 * default, so scale-only versions in between are skipped.
 */
import type { Clock } from "../core/ports/clock.js";
import type { MarathonClient } from "../marathon/client.js";
import { previousHealthyLabel } from "./app-provenance.js";
import { pickRollbackVersion } from "./rollback-choice.js";
import { formatVersion, type VersionSummary } from "./version-display.js";
import { needsPerson } from "./apply-write.js";
import { defaultTimeoutMs } from "./default-timeout.js";
import { startEventWatch } from "./event-watch.js";
import type { MesosAgentsSource } from "./plan-deploy.js";
import type { Progress } from "../core/ports/progress.js";
import { ROLLBACK_OF_LABEL } from "./replan-version.js";
import { restoreVersion, type RestoreMarathon } from "./restore-version.js";
import { DEFAULT_INTERRUPT_GRACE_MS, startRunLimits, type Interrupts } from "./run-limits.js";
import { countTasks } from "./verify-app.js";

export interface RollbackAppOptions {
  environment: string;
  appId: string;
  /** The version to go back to; default the one before the current configuration. */
  to?: string;
  timeoutMs?: number;
  /** Cancel a deployment holding the app. */
  force: boolean;
  /** How long a deployment holding the app is waited for (default: the timeout). */
  lockTimeoutMs?: number;
  /** How long the rollback may go on after a first SIGINT/SIGTERM (default 20 s). */
  interruptGraceMs?: number;
}

export interface RollbackAppDeps {
  marathon: RestoreMarathon & Pick<MarathonClient, "findApp" | "getAppVersion" | "getAppVersions" | "openEventStream" | "urls">;
  /** When given, the old definition goes back with a strategy today's capacity can carry. */
  mesos?: MesosAgentsSource;
  clock: Clock;
  progress: Progress;
  interrupts?: Interrupts;
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

/** Rolls back and verifies (the same restore as deploy's automatic rollback); throws NeedsPersonError (exit 5) when it does not finish. */
export async function rollbackApp(options: RollbackAppOptions, deps: RollbackAppDeps): Promise<RollbackResult> {
  const { marathon, clock, progress } = deps;
  const env = options.environment;
  const { app, version: restored, reason, restoredRuns, fromRuns } = await pickRollbackVersion(marathon, options.appId, env, options.to);
  const timeoutMs = options.timeoutMs ?? defaultTimeoutMs(app);
  const deadline = clock.now() + timeoutMs;
  const limits = startRunLimits(clock, deadline, deadline, options.interruptGraceMs ?? DEFAULT_INTERRUPT_GRACE_MS, deps.interrupts);
  const watch = startEventWatch({ marathon, clock, appId: options.appId });
  try {
    await watch.whenOpen(60_000);
    progress.start("rollback", `${env}: roll back ${options.appId} from ${app.version} to ${restored}`);
    progress.line(`  ${reason}`);
    const outcome = await restoreVersion(
      {
        environment: env,
        appId: options.appId,
        version: restored,
        replacing: app.version,
        labels: { [ROLLBACK_OF_LABEL]: app.version, ...previousHealthyLabel(app) },
        force: options.force,
        withoutCapacity: "marathon-rollback",
        deadline,
        lockSeconds: Math.round((options.lockTimeoutMs ?? timeoutMs) / 1000),
        watch,
        signal: limits.cleanup,
      },
      deps,
    );
    progress.end("rollback");
    if (outcome.kind !== "restored") {
      const why = outcome.kind === "superseded" ? outcome.reason : outcome.problem;
      const signal = limits.interruptedBy();
      throw needsPerson(
        `${env}: the rollback of ${options.appId} to ${restored} did not finish${signal ? ` (interrupted by ${signal})` : ""}: ${why}`,
        outcome.facts,
        outcome.kind === "superseded" ? outcome.finish : `mdeploy rollback ${env} --to ${restored} --force`,
      );
    }
    const counts = countTasks(outcome.app, outcome.result.version);
    progress.line(`${env}: ${options.appId} is back at ${formatVersion(restoredRuns)} (as version ${outcome.result.version}): ${counts.healthyNew}/${counts.instances} healthy`);
    return {
      environment: env,
      appId: options.appId,
      restored,
      version: outcome.result.version,
      fromVersion: app.version,
      deploymentId: outcome.result.deploymentId,
      instances: { healthy: counts.healthyNew, total: counts.instances },
      restoredRuns,
      fromRuns,
      reason,
    };
  } finally {
    limits.dispose();
    progress.settle();
    await watch.close();
  }
}
