import { spawn } from "node:child_process";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CLI_PATH, runCli } from "./helpers/run-cli.js";

describe("mdeploy sim", () => {
  it("prints its URLs, answers /ping, and exits 0 on SIGTERM", async () => {
    const child = spawn(process.execPath, [CLI_PATH, "sim", "--port", "0", "--mesos-port", "0", "--speed", "50"], { stdio: ["ignore", "pipe", "pipe"], env: { PATH: process.env.PATH ?? "" } });
    let stdout = "";
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const urls = await new Promise<{ marathon: string; mesos: string }>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no URLs after 10 s: ${stdout} ${stderr}`)), 10_000);
      child.stdout.on("data", (d: Buffer) => {
        stdout += d.toString();
        const marathon = /Marathon: (\S+)/.exec(stdout)?.[1];
        const mesos = /Mesos:\s+(\S+)/.exec(stdout)?.[1];
        if (marathon && mesos) {
          clearTimeout(timer);
          resolve({ marathon: marathon.replace(/,$/, ""), mesos });
        }
      });
    });
    try {
      expect(await (await fetch(`${urls.marathon}/ping`)).text()).toBe("pong");
      const slaves = (await (await fetch(`${urls.mesos}/master/slaves`)).json()) as { slaves: { hostname: string }[] };
      expect(slaves.slaves.map((s) => s.hostname)).toEqual(["svc", "staging", "production"]);
    } finally {
      child.kill("SIGTERM");
    }
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    expect(code).toBe(0);
    expect(stderr).toBe("");
  });

  it("refuses a bad cluster file with exit 2, file and line, no stack trace", async () => {
    const dir = await mkdtemp(join(tmpdir(), "mdeploy-sim-cli-"));
    await writeFile(join(dir, "cluster.yml"), "agents:\n  - hostname: a\n    cpus: 1\n    mem: lots\n");
    const run = await runCli(["sim", "--cluster", "cluster.yml", "--port", "0", "--mesos-port", "0"], { cwd: dir, timeoutMs: 10_000 });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("mdeploy: cluster file");
    expect(run.stderr).toContain("cluster.yml:4: /agents/0/mem: must be number");
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  it("says which port is taken instead of crashing", async () => {
    const { createServer } = await import("node:net");
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const run = await runCli(["sim", "--port", String(port), "--mesos-port", "0"], { timeoutMs: 10_000 });
      expect(run.code).toBe(2);
      expect(run.stderr.trim()).toBe(`mdeploy: cannot listen on 127.0.0.1:${port}: address already in use (choose others with --port and --mesos-port)`);
    } finally {
      blocker.close();
    }
  });

  it("refuses a bad --speed with exit 2", async () => {
    const run = await runCli(["sim", "--speed", "0", "--port", "0", "--mesos-port", "0"], { timeoutMs: 10_000 });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--speed must be a positive number of simulated seconds per real second (at most 1000000), got "0"');
  });
});
