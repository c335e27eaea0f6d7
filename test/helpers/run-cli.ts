import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

/** The built CLI; `npm test` builds it before vitest starts. */
export const CLI_PATH = fileURLToPath(new URL("../../dist/cli/main.js", import.meta.url));

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface RunCliOptions {
  cwd?: string;
  /** Replaces the environment (PATH and HOME are kept) so a developer's variables cannot leak into a test. */
  env?: Record<string, string | undefined>;
  input?: string;
  /** Kill the CLI after this many ms (bounded wait). */
  timeoutMs?: number;
}

/** Runs `mdeploy ...args` as a user would and collects its output. */
export function runCli(args: string[], options: RunCliOptions = {}): Promise<CliRun> {
  const env: Record<string, string> = { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp" };
  for (const [k, v] of Object.entries(options.env ?? {})) if (v !== undefined) env[k] = v;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI_PATH, ...args], { cwd: options.cwd, env, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 60_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    // A CLI that exits before reading its input closes the pipe; that is not a test failure.
    child.stdin.on("error", () => undefined);
    child.stdin.end(options.input ?? "");
  });
}
