/**
 * Where a command's report goes and how it is written: run the command, then
 * write the page whatever the outcome (a failed deploy needs its report most),
 * redacted, by rename so GitLab never collects half a file. A report that
 * cannot be written is a warning: the deploy's own outcome and exit code stand.
 */
import { randomUUID } from "node:crypto";
import { mkdir, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import type { Output } from "../core/ports/output.js";
import type { Clock } from "../core/ports/clock.js";
import type { Redactor } from "../core/redact.js";
import type { PlannedDeploy } from "../deploy/plan-deploy.js";
import type { Progress } from "../core/ports/progress.js";
import { MdeployError } from "../errors.js";
import { createReportRecorder, type ObservedMarathon, type ReportRecorder } from "./recorder.js";
import type { ReportData, ReportVerdict } from "./report-data.js";
import { renderReport } from "./render-report.js";

/** The file name CI jobs get without asking (the CI template collects it). */
export const DEFAULT_REPORT_FILE = "mdeploy-report.html";

/**
 * The report path for `--report FILE` / `--no-report`: the file when given,
 * {@link DEFAULT_REPORT_FILE} in CI (`CI=true`), none otherwise or when turned
 * off (`--no-report`, or `--report ""` like `--dotenv ""`).
 */
export function reportPathFor(option: string | boolean | undefined, env: Record<string, string | undefined>): string | undefined {
  if (option === false || option === "") return undefined;
  if (typeof option === "string") return option;
  return env.CI === "true" ? DEFAULT_REPORT_FILE : undefined;
}

/** What a command needs to write its report at the end. */
export interface ReportSession {
  recorder: ReportRecorder;
  /** Absolute path of the HTML file. */
  file: string;
  redactor: Redactor;
  /** Says that the report was written, or why not. */
  info(line: string): void;
  warn(line: string): void;
}

/** Runs the command and writes the report after it, on success and on failure alike; returns or rethrows the command's own outcome. */
export async function withReport<T>(session: ReportSession | undefined, run: () => Promise<T>, describe: (result: T) => string): Promise<T> {
  if (!session) return run();
  let result: T;
  try {
    result = await run();
  } catch (error) {
    await writeSessionReport(session, verdictOf(error));
    throw error;
  }
  await writeSessionReport(session, { ok: true, exitCode: 0, message: describe(result), details: [] });
  return result;
}

/** The verdict of a failure: a typed error's exit code and words, or an internal error (70, as the CLI entry exits). */
function verdictOf(error: unknown): ReportVerdict {
  if (error instanceof MdeployError) return { ok: false, exitCode: error.exitCode, message: error.message, details: [...error.details] };
  return { ok: false, exitCode: 70, message: `internal error: ${error instanceof Error ? error.message : String(error)}`, details: [] };
}

async function writeSessionReport(session: ReportSession, verdict: ReportVerdict): Promise<void> {
  const data = session.recorder.finish(verdict);
  try {
    await writeReportFile(session.file, data, session.redactor);
    session.info(`deployment report: ${session.file}`);
  } catch (error) {
    // Only file-system failures reach here (rendering is pure): the deploy's outcome must not be replaced by them.
    if (!isFileSystemError(error)) throw error;
    session.warn(`deployment report not written to ${session.file}: ${error.message}`);
  }
}

/**
 * Renders `data` redacted and writes it to `file` (creating its folder), by rename. Returns the page's size in bytes.
 * @public bench/report-bench.mjs imports it from dist/, where knip cannot follow.
 */
export async function writeReportFile(file: string, data: ReportData, redactor: Redactor): Promise<number> {
  const html = redactor.redact(renderReport(redactor.redactValue(data)));
  await mkdir(path.dirname(file), { recursive: true });
  const temporary = `${file}.${randomUUID()}.tmp`;
  await writeFile(temporary, html, "utf8");
  await rename(temporary, file);
  return Buffer.byteLength(html);
}

function isFileSystemError(error: unknown): error is NodeJS.ErrnoException {
  return error instanceof Error && typeof (error as NodeJS.ErrnoException).code === "string" && typeof (error as NodeJS.ErrnoException).syscall === "string";
}

export interface StartReportOptions {
  /** From {@link reportPathFor}; undefined = no report. */
  file: string | undefined;
  command: "deploy" | "rollback";
  environment: string;
  appId: string;
  clock: Clock;
  env: Record<string, string | undefined>;
  /** The report path is relative to this. */
  cwd: string;
  output: Pick<Output, "redactor" | "info" | "warn">;
}

/** Starts recording for a command that writes a report, or returns undefined when it writes none. */
export function startReport(options: StartReportOptions): ReportSession | undefined {
  if (!options.file) return undefined;
  const { output } = options;
  return {
    recorder: createReportRecorder(options),
    file: path.resolve(options.cwd, options.file),
    redactor: output.redactor,
    info: (line) => output.info(line),
    warn: (line) => output.warn(line),
  };
}

/** The engine's deps with the Marathon client and progress observed and the plan reported, when there is a report. */
export function reportedDeps<D extends { marathon: Partial<ObservedMarathon>; progress: Progress }>(session: ReportSession | undefined, deps: D): D & { onPlanned?: (planned: PlannedDeploy) => void } {
  if (!session) return deps;
  const { recorder } = session;
  return { ...deps, marathon: recorder.observeMarathon(deps.marathon), progress: recorder.observeProgress(deps.progress), onPlanned: recorder.planned };
}
