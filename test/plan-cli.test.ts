/**
 * `mdeploy plan <env>` end to end: reads only, prints the diff and the plan,
 * exits 0 when the deployment can finish and 3 when it cannot, and says so when
 * it could not ask Mesos.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { defaultCluster, startSimulator, type Simulator } from "../src/sim/index.js";
import { runCli } from "./helpers/run-cli.js";

const CONFIG = "environments:\n  production:\n    template: app.json.hbs\n";
const TEMPLATE = `{
  "id": "/production/click-count", "instances": {{json instances}}, "cpus": 0.25, "mem": {{json mem}},
  "container": { "type": "DOCKER", "docker": { "image": "registry.example.com/demo/click-count:1.0.0" } },
  "constraints": [["type", "CLUSTER", "production"]]
}
`;

let sim: Simulator | undefined;
let dir: string | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

async function setup(instances: number, mem: number): Promise<string> {
  sim = await startSimulator({ cluster: defaultCluster(), speed: 500 });
  dir = await mkdtemp(path.join(tmpdir(), "mdeploy-plan-"));
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
