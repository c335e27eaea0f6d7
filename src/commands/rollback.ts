/** `mdeploy rollback <env> [--to VERSION]`: wiring for the rollback engine. */
import { writeFile } from "node:fs/promises";
import path from "node:path";
import type { CliContext } from "../core/ports/cli-context.js";
import type { Clock } from "../core/ports/clock.js";
import { systemClock } from "../host/system-clock.js";
import { marathonClientFor, mesosClientFor } from "../deploy/cluster-clients.js";
import { loadCommandTarget } from "../deploy/load-target.js";
import { createProgress, progressModeFor } from "../deploy/progress.js";
import { rollbackApp, type RollbackResult } from "../deploy/rollback-app.js";
import { reportedDeps, reportPathFor, startReport, withReport } from "../report/write-report.js";
import { formatDotenvReport } from "../deploy/dotenv-report.js";
import { progressiveCopyOf, undoProgressive, type ProgressiveUndoResult } from "../deploy/progressive/undo-progressive.js";
import { listenForInterrupts } from "./process-interrupts.js";

export interface RollbackOptions {
  environment: string;
  to?: string;
  artifact?: string;
  timeoutSeconds?: number;
  force?: boolean;
  /** `--report FILE`; false with `--no-report`; default: mdeploy-report.html in CI only. */
  report?: string | false;
  /** Where to write the dotenv report naming the restored version (GitLab artifacts:reports:dotenv); empty or absent: none. */
  dotenv?: string;
  /** Seconds the rollback may go on after a first SIGINT/SIGTERM (default 20). */
  interruptGraceSeconds?: number;
}

/** Rolls the environment's app back and waits for it. */
export async function runRollback(options: RollbackOptions, context: CliContext, clock: Clock = systemClock): Promise<RollbackResult | ProgressiveUndoResult> {
  const { output } = context;
  const loaded = await loadCommandTarget(context, options);
  const marathon = marathonClientFor(loaded.settings.marathon, clock);
  const mesos = mesosClientFor(loaded.settings, clock);
  const report = startReport({ file: reportPathFor(options.report, context.env), command: "rollback", environment: options.environment, appId: loaded.app.id, clock, env: context.env, cwd: context.cwd, output });
  const signals = listenForInterrupts(output);
  try {
    // A canary or blue/green copy in progress is what a rollback undoes first (and what its exit 5 names).
    const progress = createProgress(output, progressModeFor(context.env, output.isTerminal), clock);
    const copy = options.to ? undefined : await progressiveCopyOf(loaded.app.id, marathon);
    const undone = copy ? await withReport(report, () => undoProgressive(
      {
        environment: options.environment,
        appId: loaded.app.id,
        ...(options.timeoutSeconds ? { timeoutMs: options.timeoutSeconds * 1000 } : {}),
        ...(options.interruptGraceSeconds !== undefined ? { interruptGraceMs: options.interruptGraceSeconds * 1000 } : {}),
      },
      reportedDeps(report, { marathon, clock, progress, interrupts: signals.interrupts }),
    ), (r) => (r ? `${r.removed} removed; ${r.appId} serves alone: ${r.instances.healthy}/${r.instances.total} healthy` : `${copy} was gone already`)) : undefined;
    if (undone) {
      output.result(undone);
      return undone;
    }
    const result = await withReport(report, () => rollbackApp(
      {
        environment: options.environment,
        appId: loaded.app.id,
        ...(options.to ? { to: options.to } : {}),
        ...(options.timeoutSeconds ? { timeoutMs: options.timeoutSeconds * 1000 } : {}),
        force: options.force ?? false,
        ...(options.interruptGraceSeconds !== undefined ? { interruptGraceMs: options.interruptGraceSeconds * 1000 } : {}),
      },
      reportedDeps(report, {
        marathon,
        ...(mesos ? { mesos } : {}),
        clock,
        progress,
        interrupts: signals.interrupts,
      }),
    ), (r) => `${r.appId} is back at ${r.restored} (as version ${r.version}): ${r.instances.healthy}/${r.instances.total} healthy`);
    if (options.dotenv) {
      const restoredApp = await marathon.getAppVersion(loaded.app.id, result.restored);
      await writeFile(path.resolve(context.cwd, options.dotenv), rollbackReport(result, restoredApp.container?.docker?.image), "utf8");
    }
    output.result(result);
    return result;
  } finally {
    signals.dispose();
    marathon.close();
    mesos?.close();
  }
}

/**
 * The deploy report's keys for the version now running, plus what was restored:
 * a rollback job records the version it put back, not the pipeline's commit.
 */
function rollbackReport(result: RollbackResult, restoredImage: string | undefined): string {
  const clean = (value: string) => value.replace(/[\r\n]/g, "");
  return `${formatDotenvReport({ version: result.version, previousVersion: result.fromVersion, deploymentId: result.deploymentId })}MDEPLOY_RESTORED_VERSION=${clean(result.restored)}\nMDEPLOY_RESTORED_IMAGE=${clean(restoredImage ?? "")}\n`;
}
