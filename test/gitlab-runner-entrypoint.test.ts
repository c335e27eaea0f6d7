import { spawn } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { scratchDir } from "./gitlab-fakes.js";

const ENTRYPOINT = fileURLToPath(new URL("../marathon/gitlab-runner/entrypoint.sh", import.meta.url));

/**
 * Fakes for the two programs the entrypoint drives. gitlab-runner is a node script because,
 * like the real (Go) runner, it can handle SIGQUIT although sh starts background jobs with
 * SIGQUIT ignored; a shell fake could not.
 */
function installFakes(dir: string): { bin: string; log: string } {
  const bin = join(dir, "bin");
  mkdirSync(bin);
  const log = join(dir, "calls.log");
  // The fake is CommonJS whatever package.json may sit further up (say in the temp dir).
  writeFileSync(join(dir, "package.json"), '{ "type": "commonjs" }\n');
  writeFileSync(
    join(bin, "gitlab-runner"),
    `#!${process.execPath}
const fs = require("node:fs");
const log = (line) => fs.appendFileSync(${JSON.stringify(log)}, line + "\\n");
const args = process.argv.slice(2);
log("gitlab-runner " + args[0] + (process.env.CI_SERVER_TOKEN ? " (token in env)" : ""));
if (args[0] === "register") {
  const config = args[args.indexOf("--config") + 1];
  fs.writeFileSync(config, 'concurrent = 1\\n\\n[[runners]]\\n  url = "http://gitlab"\\n  token = "glrt-x"\\n');
} else if (args[0] === "run") {
  process.on("SIGQUIT", () => {
    log("gitlab-runner got SIGQUIT");
    if (!process.env.FAKE_JOB_OUTLIVES_GRACE) process.exit(0);
  });
  process.on("SIGTERM", () => { log("gitlab-runner got SIGTERM"); process.exit(0); });
  setTimeout(() => { log("gitlab-runner never stopped"); process.exit(3); }, 10000);
  log("gitlab-runner running");
}
`,
  );
  writeFileSync(join(bin, "mdeploy"), `#!/bin/sh\necho "mdeploy $*" >> ${JSON.stringify(log)}\n`);
  chmodSync(join(bin, "gitlab-runner"), 0o755);
  chmodSync(join(bin, "mdeploy"), 0o755);
  return { bin, log };
}

async function waitFor(check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("timed out waiting");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Starts the entrypoint with the fakes, waits until the runner runs, sends SIGTERM and collects what happened. */
async function runEntrypointUntilSigterm(extraEnv: Record<string, string>) {
  const dir = scratchDir("entrypoint");
  const { bin, log } = installFakes(dir);
  const configDir = join(dir, "etc");
  mkdirSync(configDir);
  const child = spawn("sh", [ENTRYPOINT], {
    env: {
      PATH: `${bin}:${dirname(process.execPath)}:/usr/bin:/bin`,
      CI_SERVER_URL: "http://gitlab.example.com",
      GITLAB_RUNNER_TOKEN: "glrt-entrypoint-test-token",
      GITLAB_RUNNER_CONFIG_DIR: configDir,
      RUNNER_WORKING_DIR: dir,
      RUNNER_STOP_GRACE: "5",
      ...extraEnv,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("close", resolve));

  await waitFor(() => existsSync(log) && readFileSync(log, "utf8").includes("gitlab-runner running"), 10_000).catch((error: unknown) => {
    child.kill("SIGKILL");
    throw new Error(`${String(error)}; entrypoint stderr: ${stderr}; calls: ${existsSync(log) ? readFileSync(log, "utf8") : "none"}`);
  });
  child.kill("SIGTERM");
  const code = await exited;
  return { code, stderr, calls: readFileSync(log, "utf8").trim().split("\n"), configDir };
}

describe("marathon/gitlab-runner/entrypoint.sh", () => {
  it("registers, runs with metrics on, and on SIGTERM stops the runner gracefully then unregisters this container", async () => {
    const { code, stderr, calls, configDir } = await runEntrypointUntilSigterm({});
    expect(stderr).toBe("");
    expect(code).toBe(0);
    expect(calls).toEqual([
      "gitlab-runner register (token in env)",
      "gitlab-runner run",
      "gitlab-runner running",
      "gitlab-runner got SIGQUIT",
      `mdeploy runner-unregister --runner-config ${join(configDir, "config.toml")} --timeout 10`,
    ]);
    expect(readFileSync(join(configDir, "config.toml"), "utf8").split("\n")[0]).toBe('listen_address = ":9252"');
  });

  it("a job outliving RUNNER_STOP_GRACE gets SIGTERM, and the container still unregisters", async () => {
    const { code, calls, configDir } = await runEntrypointUntilSigterm({ FAKE_JOB_OUTLIVES_GRACE: "1", RUNNER_STOP_GRACE: "1" });
    expect(code).toBe(0);
    expect(calls.slice(3)).toEqual(["gitlab-runner got SIGQUIT", "gitlab-runner got SIGTERM", `mdeploy runner-unregister --runner-config ${join(configDir, "config.toml")} --timeout 10`]);
  });
});
