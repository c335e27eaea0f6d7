/**
 * The built CLI as CI runs it, on the rollback paths. Secrets: Marathon behind
 * basic auth (MARATHON_PASSWORD) and an app whose env holds a secret value; a
 * deploy that fails and rolls back, and a `mdeploy rollback`, each with --json,
 * --debug and a report, must not show either value anywhere. Signals: SIGTERM to
 * `mdeploy rollback`, sent when the simulator starts its deployment (an event).
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { expect, it } from "vitest";
import type { UncheckedMarathonEvent } from "../src/marathon/types.js";
import { defaultCluster, startSimulator, type Simulator } from "../src/sim/index.js";
import { closeAfterEach, scratchDirectories } from "./helpers/cli-project.js";
import { runCli, type RunCliOptions } from "./helpers/run-cli.js";

const PASSWORD = "pw-4f9c1e7a-marathon";
const REDIS_PASSWORD = "redis-8d2b6c0f-secret";
/** The value before it was rotated: what the version a rollback restores still holds. */
const OLD_REDIS_PASSWORD = "redis-old-31a7e95d-secret";
const CONFIG = `environments:
  staging:
    template: app.json.hbs
`;
const TEMPLATE = `{
  "id": "/staging/click-count", "instances": 1, "cpus": 0.25, "mem": 300,
  "container": { "type": "DOCKER", "docker": { "image": "registry.example.com/demo/click-count:{{str env.CI_COMMIT_TAG}}" } },
  "env": { "REDIS_URL": "redis://:{{str env.REDIS_PASSWORD}}@redis:6379" },
  "constraints": [["type", "CLUSTER", "staging"]],
  "healthChecks": [{ "protocol": "MESOS_HTTP", "path": "/", "gracePeriodSeconds": 180, "intervalSeconds": 5, "timeoutSeconds": 2, "maxConsecutiveFailures": 2 }]
}
`;

let sim: Simulator | undefined;
closeAfterEach(() => sim);
const scratch = scratchDirectories("mdeploy-hostile-");

it("a failed deploy rolled back and a mdeploy rollback, with --json --debug and a report: no password or secret value anywhere", { timeout: 60_000 }, async () => {
  sim = await startSimulator({ cluster: { ...defaultCluster(), credentials: { username: "ci", password: PASSWORD } }, speed: 2000 });
  const dir = await scratch.project({ "mdeploy.yml": CONFIG, "app.json.hbs": TEMPLATE });
  const env = (tag: string, redis: string) => ({ MARATHON_URL: sim?.marathonUrl, MESOS_URL: sim?.mesosUrl, MARATHON_USERNAME: "ci", MARATHON_PASSWORD: PASSWORD, REDIS_PASSWORD: redis, CI_COMMIT_TAG: tag });
  const cli = (args: string[], tag: string, redis = REDIS_PASSWORD) => runCli(args, { cwd: dir, env: env(tag, redis), timeoutMs: 60_000 });
  const report = (name: string) => path.join(dir, name);

  const first = await cli(["staging", "--no-image-check", "--dotenv", ""], "1.0.0", OLD_REDIS_PASSWORD);
  expect(first.code, first.stderr).toBe(0);
  const second = await cli(["staging", "--no-image-check", "--dotenv", ""], "1.1.0");
  expect(second.code, second.stderr).toBe(0);
  const failed = await cli(["staging", "--no-image-check", "--dotenv", "", "--json", "--debug", "--report", report("deploy.html")], "broken", "redis-new-77c0-secret");
  expect(failed.code, failed.stderr).toBe(1);
  const rollback = await cli(["rollback", "staging", "--json", "--debug", "--report", report("rollback.html")], "1.0.0");
  expect(rollback.code, rollback.stderr).toBe(0);

  const everything = [failed.stdout, failed.stderr, rollback.stdout, rollback.stderr, await readFile(report("deploy.html"), "utf8"), await readFile(report("rollback.html"), "utf8")].join("\n");
  expect(everything).toMatch(/http: PUT /);
  expect(everything).not.toContain(PASSWORD);
  expect(everything).not.toContain(REDIS_PASSWORD);
  expect(everything).not.toContain(OLD_REDIS_PASSWORD);
  expect(everything).not.toContain(Buffer.from(`ci:${PASSWORD}`).toString("base64"));
});

/** A project with click-count deployed at "slow" (120 s to turn healthy: a restore outlasts a signal's delivery) then 1.1.0 by the CLI; the runner for more commands. */
async function twoVersions(): Promise<(args: string[], tag: string, onStart?: RunCliOptions["onStart"]) => ReturnType<typeof runCli>> {
  sim = await startSimulator({ cluster: defaultCluster(), speed: 100 });
  const dir = await scratch.project({ "mdeploy.yml": CONFIG, "app.json.hbs": TEMPLATE });
  const cli = (args: string[], tag: string, onStart?: RunCliOptions["onStart"]) =>
    runCli(args, { cwd: dir, env: { MARATHON_URL: sim?.marathonUrl, MESOS_URL: sim?.mesosUrl, REDIS_PASSWORD, CI_COMMIT_TAG: tag }, timeoutMs: 60_000, ...(onStart ? { onStart } : {}) });
  for (const tag of ["slow", "1.1.0"]) {
    const run = await cli(["staging", "--no-image-check", "--dotenv", ""], tag);
    expect(run.code, run.stderr).toBe(0);
  }
  return cli;
}

/**
 * SIGTERM when the simulator starts the rollback's deployment; with `twice`, a
 * second one once the CLI said it heard the first (two signals sent together
 * would merge into one delivery), well before "slow" can turn healthy.
 */
function sigterms(twice: boolean): RunCliOptions["onStart"] {
  return (child) => {
    const stop = sim?.onEvent((event: UncheckedMarathonEvent) => {
      if (event.eventType !== "deployment_info") return;
      stop?.();
      child.kill("SIGTERM");
    });
    if (!twice) return;
    let heard = "";
    const onData = (chunk: Buffer) => {
      heard += chunk.toString();
      if (!heard.includes("SIGTERM received")) return;
      child.stderr?.off("data", onData);
      child.kill("SIGTERM");
    };
    child.stderr?.on("data", onData);
  };
}

it("SIGTERM to mdeploy rollback: it finishes within the grace, says it heard the signal, exit 0 with the version back", { timeout: 60_000 }, async () => {
  const cli = await twoVersions();
  const run = await cli(["rollback", "staging", "--no-report"], "slow", sigterms(false));
  const text = run.stdout + run.stderr;
  expect(run.code, text).toBe(0);
  expect(text).toMatch(/SIGTERM received/);
  expect((sim?.state.app("/staging/click-count") as { container: { docker: { image: string } } }).container.docker.image).toMatch(/:slow$/);
  expect(sim?.state.deployments()).toEqual([]);
  expect(sim?.state.healthyCount("/staging/click-count")).toBe(1);
});

it("two SIGTERMs to mdeploy rollback: stops at once, exit 5 naming the state and one command", { timeout: 60_000 }, async () => {
  const cli = await twoVersions();
  const run = await cli(["rollback", "staging", "--no-report"], "slow", sigterms(true));
  const text = run.stdout + run.stderr;
  expect(run.code, text).toBe(5);
  expect(text).toMatch(/second signal \(SIGTERM\): stopping at once/);
  expect(text).toMatch(/state now: app version \S+|state unknown/);
  expect(text.match(/to finish the job: .+/g)).toHaveLength(1);
});
