import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultCluster, startSimulator, type Simulator } from "../src/sim/index.js";
import { ANSIBLE_DIR, runAnsible } from "./fixtures/ansible/run-ansible.js";
import { CLI_PATH } from "./helpers/run-cli.js";

// One Traefik per node on the simulator's cluster: ansible/playbooks/traefik.yml writes the
// static configuration (roles/traefik_node) and deploys marathon/traefik with `mdeploy deploy`,
// which turns `instances: per-agent` into the number of agents; then an upgrade of the app
// (new image, the same one-node-at-a-time strategy) must finish without a spare node,
// keeping 3 of 4 healthy throughout.

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const APP_PLAYBOOK = fileURLToPath(new URL("./fixtures/ansible/marathon-app.yml", import.meta.url));
const TRAEFIK = "/infra/traefik";

let sim: Simulator;
let work: string;

/** Four agents (one more than the config's hint of 3), all offering host ports 80 and 443. */
function clusterWithEdgeNode() {
  const cluster = defaultCluster();
  const agents = [...cluster.agents, { hostname: "edge", cpus: 1, mem: 497, disk: 4000, attributes: { type: "edge" } }];
  return { ...cluster, agents: agents.map((agent) => ({ ...agent, ports: "[80-80, 443-443, 31000-32000]" })) };
}

describe("the per-node Traefik app on the simulator", () => {
  beforeAll(async () => {
    sim = await startSimulator({ cluster: clusterWithEdgeNode(), speed: 400 });
    work = mkdtempSync(join(tmpdir(), "mdeploy-traefik-"));
    cpSync(join(ROOT, "marathon"), join(work, "project", "marathon"), { recursive: true });
    // --skip-image-check still asks the registry: point the image at a closed loopback port so the
    // test never leaves the machine (Docker Hub is not asked; the check only warns).
    const values = join(work, "project", "marathon", "traefik", "values.yml");
    writeFileSync(values, readFileSync(values, "utf8").replace(/^image: (.*)$/m, "image: 127.0.0.1:1/$1"));
    writeFileSync(join(work, "hosts.ini"), "[mesos_agents]\nnode1 ansible_connection=local ansible_become=false\n");
  });
  afterAll(async () => {
    await sim?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("traefik.yml installs the configuration and runs one Traefik on every eligible agent", { timeout: 180_000 }, async () => {
    const vars = {
      ansible_python_interpreter: "{{ ansible_playbook_python }}",
      marathon_url: sim.marathonUrl,
      mesos_url: sim.mesosUrl,
      traefik_marathon_endpoint: "https://marathon.cluster.internal:8443",
      traefik_marathon_password: "s3cret-for-traefik",
      traefik_config_dir: join(work, "etc-traefik"),
      traefik_owner: process.getuid?.() === 0 ? "root" : (process.env.USER ?? "root"),
      mdeploy_command: `${process.execPath} ${CLI_PATH}`,
      mdeploy_project_dir: join(work, "project"),
      mdeploy_deploy_options: ["--skip-image-check"],
    };
    const run = await runAnsible("ansible-playbook", ["-i", join(work, "hosts.ini"), join(ANSIBLE_DIR, "playbooks", "traefik.yml"), "-e", JSON.stringify(vars)], {
      timeoutMs: 150_000,
    });
    expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
    expect(run.stdout).not.toContain("s3cret-for-traefik");
    expect(readFileSync(join(work, "etc-traefik", "traefik.toml"), "utf8")).toContain('httpBasicPassword = "s3cret-for-traefik"');
    expect(existsSync(join(work, "etc-traefik", "dynamic", "gitlab-registry.toml"))).toBe(true);

    const app = sim.state.app(TRAEFIK);
    // One node at a time: Marathon keeps ceil(4 x 0.75) = 3 of 4 up, with no surge.
    expect(app).toMatchObject({ instances: 4, constraints: [["hostname", "UNIQUE"]], upgradeStrategy: { minimumHealthCapacity: 0.75, maximumOverCapacity: 0 } });
    const hosts = sim.state.tasks(TRAEFIK).map((t) => t.host).sort();
    expect(hosts).toEqual(["edge", "production", "staging", "svc"]);
    expect(sim.state.healthyCount(TRAEFIK)).toBe(4);
  });

  it("upgrades one node at a time without a spare one (3 of 4 healthy throughout)", { timeout: 180_000 }, async () => {
    const current = sim.state.app(TRAEFIK) as Record<string, unknown> & { container: { docker: { image: string } } };
    const upgradeStarted = sim.clock.now();
    const definition = { ...current, container: { ...current.container, docker: { ...current.container.docker, image: "traefik:v1.7.35" } } };
    const resultFile = join(work, "upgrade.json");
    const run = await runAnsible(
      "ansible-playbook",
      ["-i", "localhost,", APP_PLAYBOOK, "-e", JSON.stringify({ marathon_url: sim.marathonUrl, app_id: TRAEFIK, app_definition: definition, result_file: resultFile, wait_timeout: 120 })],
      { timeoutMs: 150_000 },
    );
    expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
    const result = JSON.parse(readFileSync(resultFile, "utf8")) as { changed: boolean; version: string; deployment_id: string; changed_fields: string[] };
    expect(result).toMatchObject({ changed: true, changed_fields: ["container"] });
    const ended = sim.state.events().filter((e) => (e as { id?: string }).id === result.deployment_id).map((e) => e.eventType);
    expect(ended).toEqual(["deployment_success"]);
    const tasks = sim.state.tasks(TRAEFIK);
    expect(tasks.map((t) => t.version)).toEqual([result.version, result.version, result.version, result.version]);
    expect(new Set(tasks.map((t) => t.host)).size).toBe(4);
    expect(sim.state.deployments()).toEqual([]);
    expect(sim.timeline.extremes(TRAEFIK, upgradeStarted)?.minHealthy).toBe(3);
  });
});
