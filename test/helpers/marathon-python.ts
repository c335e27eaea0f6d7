import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { fileURLToPath } from "node:url";

const DRIVER = fileURLToPath(new URL("./marathon_python_driver.py", import.meta.url));
/** Debian's interpreter: python3-marathon installs into its dist-packages, which a pyenv or venv python3 on PATH does not see. */
const PYTHON = "/usr/bin/python3";

/** An error marathon-python raised, as the driver reports it. */
export interface PythonError {
  type: string;
  status: number | null;
  body: string;
}

export type PythonAnswer<T> = { ok: true; result: T } | { ok: false; error: PythonError };

/**
 * A marathon-python client in a python3 process (test/helpers/marathon_python_driver.py):
 * each call is one JSON line each way, answered in order and bounded in real time.
 */
export class MarathonPython {
  private readonly child: ChildProcessWithoutNullStreams;
  private buffer = "";
  private stderr = "";
  private nextId = 1;
  private readonly waiting = new Map<number, (line: Record<string, unknown>) => void>();

  constructor() {
    this.child = spawn(PYTHON, [DRIVER], { stdio: ["pipe", "pipe", "pipe"], env: { ...process.env, PYTHONUNBUFFERED: "1" } });
    this.child.stdout.on("data", (chunk: Buffer) => {
      this.buffer += chunk.toString();
      for (let nl = this.buffer.indexOf("\n"); nl >= 0; nl = this.buffer.indexOf("\n")) {
        const line = JSON.parse(this.buffer.slice(0, nl)) as Record<string, unknown>;
        this.buffer = this.buffer.slice(nl + 1);
        this.waiting.get(line.id as number)?.(line);
      }
    });
    this.child.stderr.on("data", (chunk: Buffer) => (this.stderr += chunk.toString()));
  }

  /** Calls a MarathonClient method (or a driver call) and returns its answer, error included. */
  call<T = unknown>(call: string, args: unknown[] = [], kwargs: Record<string, unknown> = {}, timeoutMs = 15_000): Promise<PythonAnswer<T>> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(new Error(`marathon-python: no answer to ${call} within ${timeoutMs} ms; stderr: ${this.stderr.slice(-2000)}`));
      }, timeoutMs);
      this.waiting.set(id, (line) => {
        clearTimeout(timer);
        this.waiting.delete(id);
        resolve(line.ok ? { ok: true, result: line.result as T } : { ok: false, error: line.error as PythonError });
      });
      this.child.stdin.write(`${JSON.stringify({ id, call, args, kwargs })}\n`);
    });
  }

  /** Like {@link call}, but a Python exception fails the test with its message. */
  async ok<T = unknown>(call: string, args: unknown[] = [], kwargs: Record<string, unknown> = {}): Promise<T> {
    const answer = await this.call<T>(call, args, kwargs);
    if (!answer.ok) throw new Error(`marathon-python ${call} raised ${answer.error.type} (${answer.error.status}): ${answer.error.body}`);
    return answer.result;
  }

  /** Ends the process (its event-stream thread dies with it). */
  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.child.exitCode !== null) return resolve();
      this.child.once("close", () => resolve());
      this.child.stdin.end();
      this.child.kill("SIGTERM");
    });
  }
}
