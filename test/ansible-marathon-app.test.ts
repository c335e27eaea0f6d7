import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator, type Simulator } from "../src/sim/index.js";
import { runAnsible } from "./fixtures/ansible/run-ansible.js";

// Real ansible-playbook (Debian ansible-core) driving mdeploy.marathon.marathon_app against
// the simulator (Marathon 1.10/1.11 semantics over a simulated Mesos cluster).
const PLAYBOOK = fileURLToPath(new URL("./fixtures/ansible/marathon-app.yml", import.meta.url));

interface ModuleResult {
  changed: boolean;
  failed?: boolean;
  msg?: string;
  changed_fields?: string[];
  deployment_id?: string;
  version?: string;
  app: Record<string, unknown>;
}

// Each ansible-playbook run takes seconds, more on a busy machine.
describe("mdeploy.marathon.marathon_app driven by ansible-playbook", { timeout: 120_000 }, () => {
  let sim: Simulator;
  let work: string;
  let runs = 0;

  async function apply(vars: Record<string, unknown>, flags: string[] = []): Promise<ModuleResult> {
    const resultFile = join(work, `result-${runs++}.json`);
    const extra = JSON.stringify({ marathon_url: sim.marathonUrl, app_id: "/click-count", result_file: resultFile, ...vars });
    const run = await runAnsible("ansible-playbook", ["-i", "localhost,", PLAYBOOK, "-e", extra, ...flags]);
    if (run.code !== 0 && !vars.expect_failure) throw new Error(`ansible-playbook exited ${run.code}\n${run.stdout}\n${run.stderr}`);
    return JSON.parse(readFileSync(resultFile, "utf8")) as ModuleResult;
  }

  const appId = "/click-count";
  const definition = {
    mem: 300,
    cpus: 0.25,
    instances: 2,
    container: { type: "DOCKER", docker: { image: "registry.example.com/demo/click-count:1.0.0" } },
    portDefinitions: [{ port: 0, name: "http" }],
    healthChecks: [{ protocol: "HTTP", path: "/", portIndex: 0, gracePeriodSeconds: 60, intervalSeconds: 10 }],
    env: { GREETING: "hello" },
  };
  const ended = (deploymentId: string | undefined) =>
    sim.state.events().filter((e) => (e as { id?: string }).id === deploymentId).map((e) => e.eventType);
  const versions = () => sim.state.tasks(appId).map((t) => t.version);

  beforeAll(async () => {
    // Speed mode: the module polls in real time while the cluster runs 200x faster.
    sim = await startSimulator({ speed: 200 });
    work = mkdtempSync(join(tmpdir(), "mdeploy-ansible-"));
  });
  afterAll(async () => {
    await sim.close();
    rmSync(work, { recursive: true, force: true });
  });

  it("creates the app and returns once its instances are healthy", async () => {
    const result = await apply({ app_definition: definition });
    expect(result.changed).toBe(true);
    expect(ended(result.deployment_id)).toEqual(["deployment_success"]);
    expect(result.app).toMatchObject({ id: appId, tasksHealthy: 2, version: result.version });
    expect(sim.state.healthyCount(appId)).toBe(2);
  });

  it("reports changed: false and starts nothing when the definition already matches", async () => {
    const before = sim.state.app(appId)?.version;
    const deploymentsBefore = sim.state.events().filter((e) => e.eventType === "deployment_info").length;
    // Marathon's own defaults written out, and numbers spelt differently, are no difference.
    const result = await apply({ app_definition: { ...definition, mem: 300.0, instances: 2, upgradeStrategy: { minimumHealthCapacity: 1, maximumOverCapacity: 1 } } });
    expect(result).toMatchObject({ changed: false, changed_fields: [] });
    expect(sim.state.app(appId)?.version).toBe(before);
    expect(sim.state.events().filter((e) => e.eventType === "deployment_info").length).toBe(deploymentsBefore);
  });

  it("moves on to the next Marathon of a comma-separated list when one refuses connections", async () => {
    // Nothing listens on port 1 of the loopback interface.
    const result = await apply({ marathon_url: `http://127.0.0.1:1,${sim.marathonUrl}`, app_definition: definition });
    expect(result).toMatchObject({ changed: false, changed_fields: [] });
  });

  it("in check mode reports the change and changes nothing", async () => {
    const before = sim.state.app(appId)?.version;
    const result = await apply({ app_definition: { ...definition, instances: 3 } }, ["--check", "--diff"]);
    expect(result).toMatchObject({ changed: true, changed_fields: ["instances"] });
    expect(sim.state.app(appId)).toMatchObject({ version: before, instances: 2 });
    expect(sim.state.deployments()).toEqual([]);
  });

  it("updates and waits until the rolling upgrade has replaced every instance", async () => {
    const image = "registry.example.com/demo/click-count:1.1.0";
    const result = await apply({ app_definition: { ...definition, container: { type: "DOCKER", docker: { image } } } });
    expect(result).toMatchObject({ changed: true, changed_fields: ["container"] });
    // When the module returns the deployment has ended in success, with only new tasks left.
    expect(ended(result.deployment_id)).toEqual(["deployment_success"]);
    expect(sim.state.deployments()).toEqual([]);
    expect(versions()).toEqual([result.version, result.version]);
    expect(sim.state.healthyCount(appId)).toBe(2);
  });

  it("resets a field the playbook no longer sets, since Marathon's PUT would keep it", async () => {
    await apply({ app_definition: { ...definition, labels: { team: "web" } } });
    expect(sim.state.app(appId)?.labels).toEqual({ team: "web" });
    const result = await apply({ app_definition: definition });
    expect(result).toMatchObject({ changed: true, changed_fields: ["labels"] });
    expect(sim.state.app(appId)?.labels).toEqual({});
  });

  it("restarts every instance with state restarted", async () => {
    const before = sim.state.tasks(appId).map((t) => t.id);
    const result = await apply({ app_state: "restarted" });
    expect(result.changed).toBe(true);
    expect(ended(result.deployment_id)).toEqual(["deployment_success"]);
    const after = sim.state.tasks(appId).map((t) => t.id);
    expect(after).toHaveLength(2);
    expect(after.filter((id) => before.includes(id))).toEqual([]);
  });

  it("removes the app with state absent, then has nothing to do", async () => {
    expect(await apply({ app_state: "absent" })).toMatchObject({ changed: true, app: {} });
    expect(sim.state.app(appId)).toBeUndefined();
    expect(await apply({ app_state: "absent" })).toMatchObject({ changed: false });
  });

  it("fails after wait_timeout when the deployment cannot finish, and says which one", async () => {
    // ":broken" images never pass their health check, so Marathon keeps replacing them.
    const broken = { ...definition, instances: 1, container: { type: "DOCKER", docker: { image: "registry.example.com/demo/click-count:broken" } } };
    const result = await apply({ app_id: "/never-healthy", app_definition: broken, wait_timeout: 2, expect_failure: true });
    expect(result.failed).toBe(true);
    expect(result.msg).toMatch(/^timed out after 2s waiting for the deployment of \/never-healthy \(deployment [0-9a-f-]+\) to finish/);
    expect(sim.state.deployments().map((d) => d.affectedApps)).toEqual([["/never-healthy"]]);
  });
});
