import { fileURLToPath } from "node:url";
import type { ChildProcess } from "node:child_process";
import { runProcess, type ProcessRun } from "./run-process.js";

/** The built CLI as users run it (package.json `bin`, the esbuild bundle); `npm test` builds it before vitest starts. */
export const CLI_PATH = fileURLToPath(new URL("../../dist/bundle/mdeploy.js", import.meta.url));

export type CliRun = ProcessRun;

export interface RunCliOptions {
  cwd?: string;
  /** Replaces the environment (PATH and HOME are kept) so a developer's variables cannot leak into a test. */
  env?: Record<string, string | undefined>;
  input?: string;
  /** Kill the CLI after this many ms (bounded wait). */
  timeoutMs?: number;
  /** Called once the CLI is started (to signal it from a test). */
  onStart?: (child: ChildProcess) => void;
}

/** Runs `mdeploy ...args` as a user would and collects its output. */
export function runCli(args: string[], options: RunCliOptions = {}): Promise<CliRun> {
  const env: Record<string, string> = { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp" };
  for (const [k, v] of Object.entries(options.env ?? {})) if (v !== undefined) env[k] = v;
  return runProcess(process.execPath, [CLI_PATH, ...args], { cwd: options.cwd, env, input: options.input ?? "", timeoutMs: options.timeoutMs ?? 60_000, ...(options.onStart ? { onStart: options.onStart } : {}) });
}
