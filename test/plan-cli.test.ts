/**
 * `mdeploy plan <env>` end to end: reads only, prints the diff and the plan,
 * exits 0 when the deployment can finish and 3 when it cannot, and says so when
 * it could not ask Mesos. The environment's floor (`minHealthy` in mdeploy.yml):
 * the original trap (a 300 MB instance on the one 497 MB production agent) can only
 * be upgraded by stopping the old instance first, which `auto` would do; with
 * `minHealthy: 1` plan and deploy refuse it (exit 3, the shortfall in words, nothing
 * sent) and the running version stays.
 */
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { defaultCluster, startSimulator, type Simulator } from "../src/sim/index.js";
import { closeAfterEach, scratchDirectories } from "./helpers/cli-project.js";
import { runCli, type CliRun } from "./helpers/run-cli.js";

const CONFIG = "environments:\n  production:\n    template: app.json.hbs\n";
const TEMPLATE = `{
  "id": "/production/click-count", "instances": {{json instances}}, "cpus": 0.25, "mem": {{json mem}},
  "container": { "type": "DOCKER", "docker": { "image": "registry.example.com/demo/click-count:1.0.0" } },
  "constraints": [["type", "CLUSTER", "production"]]
}
`;

const APP = "/production/click-count";
const FLOOR_TEMPLATE = `{
  "id": "${APP}", "instances": 1, "cpus": 0.25, "mem": 300,
  "container": { "type": "DOCKER", "docker": { "image": "registry.example.com/demo/click-count:{{tag}}" } },
  "constraints": [["type", "CLUSTER", "production"]]
}
`;

let sim: Simulator | undefined;
let dir: string | undefined;
closeAfterEach(() => sim);
const scratch = scratchDirectories("mdeploy-plan-");
afterEach(() => {
  dir = undefined;
});

async function setup(instances: number, mem: number): Promise<string> {
  sim = await startSimulator({ cluster: defaultCluster(), speed: 500 });
  dir = await scratch.dir();
  await writeFile(path.join(dir, "mdeploy.yml"), CONFIG.replace("template: app.json.hbs", `template: app.json.hbs\n    variables: { instances: ${instances}, mem: ${mem} }`));
  await writeFile(path.join(dir, "app.json.hbs"), TEMPLATE);
  return dir;
}

describe("mdeploy plan", () => {
  it("a new app that fits: exit 0, --json carries the plan and the diff, nothing is deployed", async () => {
    const cwd = await setup(1, 300);
    const run = await runCli(["plan", "production", "--json"], { cwd, env: { MARATHON_URL: sim?.marathonUrl, MESOS_URL: sim?.mesosUrl }, timeoutMs: 30_000 });
    expect(run.code, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout) as { plan: { kind: string; feasible: boolean; steps: { action: string }[] }; changes: { path: string }[]; capacityChecked: boolean };
    expect(result.plan).toMatchObject({ kind: "create", feasible: true });
    expect(result.plan.steps[0]?.action).toBe("start 1 new instance (on production)");
    expect(result.changes.map((c) => c.path)).toContain("mem");
    expect(result.capacityChecked).toBe(true);
    expect(sim?.state.app("/production/click-count")).toBeUndefined();
  });

  it("two 300 MB instances on the one 497 MB production agent: exit 3 with the shortfall", async () => {
    const cwd = await setup(2, 300);
    const run = await runCli(["plan", "production"], { cwd, env: { MARATHON_URL: sim?.marathonUrl, MESOS_URL: sim?.mesosUrl }, timeoutMs: 30_000 });
    expect(run.code).toBe(3);
    expect(run.stdout).toContain("needs 300 MB more on one agent with type:production; the largest free is 197 MB");
    expect(run.stderr).toMatch(/this deployment cannot finish/);
  });

  it("without MESOS_URL: exit 0, and the plan says capacity was not checked", async () => {
    const cwd = await setup(2, 300);
    const run = await runCli(["plan", "production"], { cwd, env: { MARATHON_URL: sim?.marathonUrl }, timeoutMs: 30_000 });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/capacity not checked/);
  });
});

async function project(tag: string, floor: string): Promise<string> {
  dir ??= await scratch.dir();
  await writeFile(path.join(dir, "mdeploy.yml"), `environments:\n  production:\n    template: app.json.hbs\n    variables: { tag: "${tag}" }\n${floor}`);
  await writeFile(path.join(dir, "app.json.hbs"), FLOOR_TEMPLATE);
  return dir;
}

function mdeploy(cwd: string, ...args: string[]): Promise<CliRun> {
  return runCli(args, { cwd, env: { MARATHON_URL: sim?.marathonUrl, MESOS_URL: sim?.mesosUrl }, timeoutMs: 60_000 });
}

describe("minHealthy: the fewest healthy instances an upgrade may leave", () => {
  it("one 300 MB instance on a 497 MB agent with minHealthy 1: plan and deploy refuse the upgrade (exit 3) with the shortfall; version 1 keeps running", { timeout: 90_000 }, async () => {
    sim = await startSimulator({ cluster: defaultCluster(), speed: 500 });
    const first = await mdeploy(await project("1.0.0", "    minHealthy: 1\n"), "deploy", "production", "--no-image-check", "--dotenv", "");
    expect(first.code, first.stderr).toBe(0);
    const running = sim.state.app(APP) as { version: string };

    const cwd = await project("1.0.1", "    minHealthy: 1\n");
    const plan = await mdeploy(cwd, "plan", "production");
    expect(plan.code, plan.stderr).toBe(3);
    expect(plan.stdout + plan.stderr).toContain("keeping 1 of 1 healthy (the environment's floor, minHealthy 1) needs 300 MB more on one agent with type:production; the largest free is 197 MB");

    const deploy = await mdeploy(cwd, "deploy", "production", "--no-image-check", "--dotenv", "");
    expect(deploy.code, deploy.stderr).toBe(3);
    expect(deploy.stderr).toContain("refused before any change: cannot upgrade /production/click-count without going below 1 healthy");
    expect(deploy.stderr).toContain("nothing was sent to Marathon");
    expect((sim.state.app(APP) as { version: string }).version).toBe(running.version);
    expect(sim.state.deployments()).toEqual([]);
  });

  it("the same upgrade without a floor goes through with the old instance stopped first (exit 0)", { timeout: 90_000 }, async () => {
    sim = await startSimulator({ cluster: defaultCluster(), speed: 500 });
    expect((await mdeploy(await project("1.0.0", ""), "deploy", "production", "--no-image-check", "--dotenv", "")).code).toBe(0);
    const run = await mdeploy(await project("1.0.1", ""), "deploy", "production", "--no-image-check", "--dotenv", "");
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout + run.stderr).toContain("zero-downtime was not possible");
  });

  it("a bad floor is bad input (exit 2) naming the file and line", async () => {
    sim = await startSimulator({ cluster: defaultCluster(), speed: 500 });
    const run = await mdeploy(await project("1.0.0", "    minHealthy: 1.5\n"), "plan", "production");
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("mdeploy.yml:5:17: environments.production.minHealthy: 1.5 is neither a count");
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });
});
