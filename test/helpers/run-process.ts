import { spawn, type ChildProcess } from "node:child_process";

export interface ProcessRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface RunProcessOptions {
  cwd?: string;
  env: Record<string, string>;
  /** Written to stdin, which is then closed; without it stdin is ignored. */
  input?: string;
  /** Kill the process after this many ms (bounded wait). */
  timeoutMs?: number;
  /** Called once the process is started (to signal it from a test). */
  onStart?: (child: ChildProcess) => void;
}

/** Runs a command to completion and collects its output; the one spawn loop the test helpers share. */
export function runProcess(command: string, args: string[], options: RunProcessOptions): Promise<ProcessRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: [options.input === undefined ? "ignore" : "pipe", "pipe", "pipe"] });
    options.onStart?.(child);
    let stdout = "";
    let stderr = "";
    child.stdout?.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 60_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    if (options.input !== undefined && child.stdin) {
      // A process that exits before reading its input closes the pipe; that is not a test failure.
      child.stdin.on("error", () => undefined);
      child.stdin.end(options.input);
    }
  });
}
