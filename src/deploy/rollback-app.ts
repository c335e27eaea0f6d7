/**
 * `mdeploy rollback`: put an earlier version of the app back (Marathon
 * redeploys that definition as a new version, instances included) and wait
 * until it verifies. The version before the current configuration is the
 * default, so scale-only versions in between are skipped.
 */
import type { Clock } from "../core/clock.js";
import { UsageError } from "../errors.js";
import type { MarathonClient } from "../marathon/client.js";
import { changesNeedRestart, diffApps } from "../plan/diff-app.js";
import type { AppStatus } from "../marathon/types.js";
import { needsPerson } from "./apply-write.js";
import { defaultTimeoutMs } from "./default-timeout.js";
import { startEventWatch } from "./event-watch.js";
import type { MesosAgentsSource } from "./plan-deploy.js";
import type { Progress } from "./progress.js";
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
  marathon: RestoreMarathon & Pick<MarathonClient, "getAppVersions" | "openEventStream">;
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
}

/** Rolls back and verifies (the same restore as deploy's automatic rollback); throws NeedsPersonError (exit 5) when it does not finish. */
export async function rollbackApp(options: RollbackAppOptions, deps: RollbackAppDeps): Promise<RollbackResult> {
  const { marathon, clock, progress } = deps;
  const env = options.environment;
  const app = await marathon.getApp(options.appId, { embed: ["app.tasks", "app.deployments"] });
  const restored = options.to ?? (await chooseRollbackTarget(app, await marathon.getAppVersions(options.appId), marathon));
  if (!restored) throw new UsageError(`${env}: ${options.appId} has no version before ${app.version}; give one with --to`);
  const timeoutMs = options.timeoutMs ?? defaultTimeoutMs(app);
  const deadline = clock.now() + timeoutMs;
  const limits = startRunLimits(clock, deadline, deadline, options.interruptGraceMs ?? DEFAULT_INTERRUPT_GRACE_MS, deps.interrupts);
  const watch = startEventWatch({ marathon, clock, appId: options.appId });
  try {
    await watch.whenOpen(60_000);
    progress.start("rollback", `${env}: roll back ${options.appId} from ${app.version} to ${restored}`);
    const outcome = await restoreVersion(
      {
        environment: env,
        appId: options.appId,
        version: restored,
        replacing: app.version,
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
        outcome.kind === "superseded" ? `mdeploy status ${env} (someone else's version runs; mdeploy did not restore over it)` : `mdeploy rollback ${env} --to ${restored} --force`,
      );
    }
    const counts = countTasks(outcome.app, outcome.result.version);
    progress.line(`${env}: ${options.appId} is back at ${restored} (as version ${outcome.result.version}): ${counts.healthyNew}/${counts.instances} healthy`);
    return {
      environment: env,
      appId: options.appId,
      restored,
      version: outcome.result.version,
      fromVersion: app.version,
      deploymentId: outcome.result.deploymentId,
      instances: { healthy: counts.healthyNew, total: counts.instances },
    };
  } finally {
    limits.dispose();
    progress.settle();
    await watch.close();
  }
}

/** How many earlier definitions are read when looking for the one to go back to. */
const MAX_CANDIDATES = 10;

/**
 * The version a person means by "the previous one": the newest earlier version
 * with a different configuration that is not a version mdeploy already rolled
 * back from. After an automatic rollback (which restores the last good
 * configuration as a new version), that skips both the failed version and the
 * older copy of the restored one.
 */
export async function chooseRollbackTarget(app: AppStatus, versions: readonly string[], marathon: Pick<MarathonClient, "getAppVersion">): Promise<string | undefined> {
  const current = app.versionInfo?.lastConfigChangeAt ?? app.version;
  const failed = app.labels?.[ROLLBACK_OF_LABEL];
  const candidates = [...versions].sort().reverse().filter((v) => v < current && v !== failed);
  for (const version of candidates.slice(0, MAX_CANDIDATES)) {
    const definition = await marathon.getAppVersion(app.id, version);
    const { [ROLLBACK_OF_LABEL]: _ignored, ...labels } = app.labels ?? {};
    if (changesNeedRestart(diffApps(definition, { ...app, labels }))) return version;
  }
  return candidates[0];
}
