/**
 * `mdeploy deploy traefik` with the project's own marathon/cluster.mdeploy.yml
 * against an in-process simulator: `instances: "per-agent"` counts only agents
 * that offer host ports 80 and 443, a cluster that offers none is refused with
 * the reason, and an image upgrade goes one node at a time: hostname UNIQUE on fixed
 * ports leaves no spare node, so an old instance stops before a new one takes its
 * node, and the simulator's timeline shows N-1 healthy throughout.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { defaultCluster, startSimulator, type Simulator } from "../src/sim/index.js";
import { runCli, type CliRun } from "./helpers/run-cli.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const TRAEFIK = "/infra/traefik";
// A registry on a closed loopback port: the image check is refused at once and only warns under --skip-image-check.
const REGISTRY = "127.0.0.1:1";

let sim: Simulator | undefined;
let work: string | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
  if (work) rmSync(work, { recursive: true, force: true });
  work = undefined;
});

/** A copy of marathon/ with the Traefik image tag set to `tag`. */
function project(tag: string): string {
  work ??= mkdtempSync(join(tmpdir(), "mdeploy-traefik-deploy-"));
  const dir = join(work, "marathon");
  cpSync(join(ROOT, "marathon"), dir, { recursive: true });
  setTag(tag);
  return dir;
}

function setTag(tag: string): void {
  const file = join(work as string, "marathon", "traefik", "values.yml");
  writeFileSync(file, readFileSync(file, "utf8").replace(/^image: .*$/m, `image: ${REGISTRY}/traefik:${tag}`));
}

function deploy(dir: string): Promise<CliRun> {
  if (!sim) throw new Error("simulator not started");
  return runCli(["--config", join(dir, "cluster.mdeploy.yml"), "--json", "deploy", "traefik", "--skip-image-check", "--dotenv", ""], {
    cwd: dir,
    timeoutMs: 60_000,
    env: { MARATHON_URL: sim.marathonUrl, MESOS_URL: sim.mesosUrl },
  });
}

describe("mdeploy deploy traefik (per agent, host ports 80 and 443)", () => {
  it("agents offering only [31000-32000]: refused (exit 3) because the ports are not offered, not because an old instance holds them", { timeout: 60_000 }, async () => {
    sim = await startSimulator({ cluster: defaultCluster(), speed: 400 });
    const run = await deploy(project("v1.7.34"));
    expect(run.code, run.stderr).toBe(3);
    expect(run.stderr).toContain("ports 80, 443 are not among the ports agent svc offers (its ranges are [31000-32000])");
    expect(run.stderr).not.toContain("old instance");
    expect(sim.state.app(TRAEFIK)).toBeUndefined();
  });

  it("one instance per agent that offers the ports; a new tag upgrades one node at a time (never below N-1 = 2 healthy) to a verified end", { timeout: 90_000 }, async () => {
    const cluster = defaultCluster();
    const agents = cluster.agents.map((agent) => ({ ...agent, ports: "[80-80, 443-443, 31000-32000]" }));
    // A worker without the edge ports: not counted, so the deployment does not wait for it forever.
    agents.push({ hostname: "worker", cpus: 1, mem: 497, disk: 4000, ports: "[31000-32000]", attributes: { type: "worker" } });
    sim = await startSimulator({ cluster: { ...cluster, agents }, speed: 400 });
    const dir = project("v1.7.34");

    const first = await deploy(dir);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toContain("warning: image tag not checked (--skip-image-check)");
    expect(JSON.parse(first.stdout)).toMatchObject({ plan: { kind: "create", instances: { to: 3 } }, instances: { healthy: 3, total: 3 } });

    setTag("v1.7.35");
    const upgradeStarted = sim.clock.now();
    const second = await deploy(dir);
    expect(second.code, second.stderr).toBe(0);
    const result = JSON.parse(second.stdout) as { version: string; verifiedBy: string; plan: { kind: string; feasible: boolean; strategy: { minimumHealthCapacity: number }; instances: unknown; minHealthy: number }; instances: unknown };
    expect(result.plan).toMatchObject({ kind: "restart", feasible: true, minHealthy: 2, instances: { from: 3, to: 3 } });
    // ceil(3 x mhc) = 2: Marathon keeps two of three up while the third node is replaced.
    expect(Math.ceil(3 * result.plan.strategy.minimumHealthCapacity)).toBe(2);
    // What really happened, moment by moment: never fewer than 2 healthy, never more than 3 at once.
    const upgrade = sim.timeline.samples(TRAEFIK).filter((s) => s.t >= upgradeStarted);
    expect(upgrade.length).toBeGreaterThan(3);
    expect(Math.min(...upgrade.map((s) => s.healthy))).toBe(2);
    expect(Math.max(...upgrade.map((s) => s.active))).toBeLessThanOrEqual(3);
    expect(upgrade.at(-1)?.healthyByVersion[result.version]).toBe(3);
    expect(result.verifiedBy).toBe("event");
    expect(result.instances).toEqual({ healthy: 3, total: 3 });
    const tasks = sim.state.tasks(TRAEFIK);
    expect(tasks.map((t) => t.host).sort()).toEqual(["production", "staging", "svc"]);
    expect(tasks.every((t) => t.version === result.version)).toBe(true);
    expect((sim.state.app(TRAEFIK) as { container: { docker: { image: string } } }).container.docker.image).toBe(`${REGISTRY}/traefik:v1.7.35`);
    expect(sim.state.deployments()).toEqual([]);
  });
});
