/**
 * The mdeploy command line: parses flags, wires adapters, and holds the one
 * `catch` that turns typed errors into exit codes (DESIGN.md, "Exit codes").
 * `main` returns the exit code; the entries (main.ts, and the bundle's loader,
 * scripts/cli-loader.cjs, which also answers a lone `--version` or `--help` from
 * files) end the process with it. Command modules are imported lazily, and
 * commander itself only when a command needs its parser.
 */
import { readFileSync } from "node:fs";
import { format } from "node:util";
import type { CliContext, GlobalOptions } from "../core/ports/cli-context.js";
import type { Output } from "../core/ports/output.js";
import { describeFailure } from "./failure-document.js";
import { subscribe } from "node:diagnostics_channel";
import { formatHttpEvent, HTTP_EVENTS_CHANNEL, noAnswerNotice, type HttpEvent } from "../http/http-events.js";

export async function main(argv: string[]): Promise<number> {
  const globalOptions: GlobalOptions = {
    json: argv.includes("--json"),
    debug: argv.includes("--debug"),
  };
  const { createOutput } = await import("./output.js");
  const output: Output = createOutput({ json: globalOptions.json });
  keepStdoutForResults(output);
  showHttpEvents(output, globalOptions.debug);
  try {
    if (isPlainHealthCheck(argv)) {
      await runHealthCheckWithoutCommander(argv.slice(3), { output, env: process.env, cwd: process.cwd(), global: globalOptions });
      return 0;
    }
    const context: CliContext = { output, env: process.env, cwd: process.cwd(), global: globalOptions };
    const quick = (await import("./quick-commands.js")).parseQuickCommand(argv.slice(2));
    if (quick) {
      globalOptions.config = quick.config;
      await quick.command.run(quick.environments, quick.flags, context);
      return 0;
    }
    const { createProgram, rewriteEnvironmentShorthand } = await import("./program.js");
    const program = createProgram(readVersion(), globalOptions, () => context);
    await program.parseAsync(rewriteEnvironmentShorthand(argv, program), { from: "node" });
    return 0;
  } catch (error) {
    return report(error, output, globalOptions.debug);
  }
}

/**
 * `mdeploy runner-health` runs on every runner every health-check interval, so it
 * skips commander (about a third of its start-up); `--help` still goes through it.
 */
function isPlainHealthCheck(argv: string[]): boolean {
  return argv[2] === "runner-health" && !argv.slice(3).some((a) => a === "--help" || a === "-h");
}

async function runHealthCheckWithoutCommander(args: string[], context: CliContext): Promise<void> {
  const [{ parseFlags, runnerHealthFlags }, { runRunnerHealth }] = await Promise.all([
    import("./runner-health-flags.js"),
    import("../commands/runner-health.js"),
  ]);
  const flags = parseFlags(runnerHealthFlags, args);
  if (typeof flags.config === "string") context.global.config = flags.config;
  await runRunnerHealth(flags as unknown as import("../commands/runner-health.js").RunnerHealthFlags, context);
}

function readVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };
  return pkg.version;
}

/**
 * Whatever a dependency prints with `console.*` (Handlebars' `{{log}}` among
 * them) goes to stderr through the redactor: stdout carries only results, and
 * under --json exactly one document.
 */
function keepStdoutForResults(output: Output): void {
  const toStderr = (...args: unknown[]) => output.error(format(...args));
  for (const method of ["log", "info", "debug", "warn", "error", "trace"] as const) console[method] = toStderr;
}

/**
 * HTTP as the adapters report it: with --debug one line per request, retry and
 * event-stream change; always a note when a server takes connections but does
 * not answer, so a hung Marathon is not a minute of silence.
 */
function showHttpEvents(output: Output, debug: boolean): void {
  const told = new Set<string>();
  subscribe(HTTP_EVENTS_CHANNEL, (message) => {
    const event = message as HttpEvent;
    if (debug) output.error(formatHttpEvent(event));
    const notice = noAnswerNotice(event);
    // Once per server: parallel reads would otherwise repeat it.
    if (notice && !told.has(notice.server)) output.warn(notice.text);
    if (notice) told.add(notice.server);
  });
}

/**
 * The one catch: map an error to its exit code and one clear message, and
 * under --json to the one document stdout carries when the command printed none.
 */
function report(error: unknown, output: Output, debug: boolean): number {
  const failure = describeFailure(error);
  if (failure.exitCode === 0) return 0;
  output.result({ ok: false, exitCode: failure.exitCode, error: failure.error });
  if (isCommanderError(error)) {
    output.error(`mdeploy: ${failure.error.message} (see mdeploy --help)`);
    return failure.exitCode;
  }
  if (isMdeployError(error)) {
    if (error.message) output.error(`mdeploy: ${error.message}`);
    for (const line of error.details) output.error(`  ${line}`);
    if (debug && error.stack) output.error(error.stack);
    return error.exitCode;
  }
  // Not one of ours: an internal error, so the stack is the useful part.
  const err = error instanceof Error ? error : new Error(String(error));
  output.error(`mdeploy: internal error: ${err.message}`);
  output.error(err.stack ?? "");
  output.error("This is a bug in mdeploy; please report it with the output above.");
  return failure.exitCode;
}

// Checked by shape so the catch does not have to load commander to recognise its errors.
function isCommanderError(error: unknown): error is Error & { code: string } {
  return error instanceof Error && error.name === "CommanderError" && typeof (error as { code?: unknown }).code === "string";
}

function isMdeployError(error: unknown): error is Error & { exitCode: number; details: readonly string[] } {
  return error instanceof Error && typeof (error as { exitCode?: unknown }).exitCode === "number" && Array.isArray((error as { details?: unknown }).details);
}
