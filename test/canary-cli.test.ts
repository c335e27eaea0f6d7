/**
 * Canary and blue/green through the built CLI: mdeploy.yml's `strategy`,
 * `canary:` and `blueGreen:` settings and `--strategy`; `plan` shows steps,
 * gates, peak use and room; bad settings are one line and exit 2; `status`
 * shows a canary in progress; SIGTERM mid-canary leaves the stable app serving
 * alone; `rollback` undoes a canary that a killed job left behind.
 */
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import type { UncheckedMarathonEvent } from "../src/marathon/types.js";
import { startSimulator, type ClusterSpec, type Simulator } from "../src/sim/index.js";
import { cliAgainst, closeAfterEach, scratchDirectories } from "./helpers/cli-project.js";
import type { RunCliOptions } from "./helpers/run-cli.js";
import { runCli } from "./helpers/run-cli.js";
import { APP, CANARY, roomyCluster } from "./progressive-harness.js";

const TEMPLATE = `{
  "id": "${APP}", "instances": 4, "cpus": 0.25, "mem": 300,
  "container": { "type": "DOCKER", "docker": { "image": "registry.example.com/demo/click-count:{{str env.CI_COMMIT_TAG}}" }, "portMappings": [{ "containerPort": 8080, "hostPort": 0, "name": "http" }] },
  "networks": [{ "mode": "container/bridge" }],
  "constraints": [["type", "CLUSTER", "production"]],
  "labels": {
    "traefik.http.routers.click-count.rule": "Host(\`click-count.example.com\`)",
    "traefik.http.services.click-count.loadbalancer.server.port": "index:0"
  },
  "healthChecks": [{ "protocol": "HTTP", "portIndex": 0, "gracePeriodSeconds": 120, "intervalSeconds": 15, "timeoutSeconds": 5 }]
}
`;
const CONFIG = `environments:
  production:
    template: app.json.hbs
    strategy: canary
    canary:
      steps: [25, 50, 100]
      window: 1
    blueGreen:
      keepSeconds: 0
      window: 1
`;

/** The repository, where the click-count example lives. */
const ROOT = fileURLToPath(new URL("..", import.meta.url));

let sim: Simulator | undefined;
closeAfterEach(() => sim);
const scratch = scratchDirectories("mdeploy-canary-cli-");

async function project(config = CONFIG): Promise<string> {
  return scratch.project({ "mdeploy.yml": config, "app.json.hbs": TEMPLATE });
}

function cli(dir: string, args: string[], tag: string, onStart?: RunCliOptions["onStart"]) {
  if (!sim) throw new Error("simulator not started");
  if (!onStart) return cliAgainst(sim, dir, args, { CI_COMMIT_TAG: tag });
  return runCli(args, { cwd: dir, timeoutMs: 60_000, env: { MARATHON_URL: sim.marathonUrls.join(","), MESOS_URL: sim.mesosUrl, CI_COMMIT_TAG: tag }, onStart });
}

/** The simulator with 1.0.0 deployed by the CLI (rolling: there is no stable version before it). */
async function deployed(cluster: ClusterSpec = roomyCluster(), speed = 500): Promise<string> {
  sim = await startSimulator({ cluster, speed });
  const dir = await project();
  const first = await cli(dir, ["deploy", "production", "--no-image-check", "--dotenv", ""], "1.0.0");
  expect(first.code, first.stderr).toBe(0);
  expect(first.stdout + first.stderr).toMatch(/not deployed yet: a first deploy has no stable version to compare with, so it is a rolling one/);
  return dir;
}

describe("mdeploy with strategy canary", () => {
  it("plan shows the steps, the gates and the peak of both copies", async () => {
    const dir = await deployed();
    const run = await cli(dir, ["plan", "production"], "1.1.0");
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain("step 1 (25%): /production/click-count-canary 1, /production/click-count 3: 25% of traffic on the new version");
    expect(run.stdout).toContain("step 2 (50%): /production/click-count-canary 2, /production/click-count 2: 50% of traffic on the new version");
    expect(run.stdout).toContain("gate after each step: every new task healthy, none restarted, for 1 s");
    expect(run.stdout).toContain("peak (both copies): 5 instances, 1500 MB, 1.25 CPUs");
    expect(run.stdout).toContain("room for the biggest step: 1 instance of /production/click-count-canary beside /production/click-count");
  });

  it("plan --strategy blue-green on a cluster without room for two copies: exit 3, nothing deployed", async () => {
    // One agent of 1.5 GB: the four stable instances fit, four more do not.
    const dir = await deployed(roomyCluster(1, 1536));
    const before = sim?.state.apps().length;
    const run = await cli(dir, ["plan", "production", "--strategy", "blue-green"], "1.1.0");
    expect(run.code, run.stderr).toBe(3);
    expect(run.stderr).toMatch(/blue\/green cannot start: no room for a second copy of \/production\/click-count/);
    expect(sim?.state.apps().length).toBe(before);
  });

  it("canary steps that go down: one line naming file and key, exit 2", async () => {
    sim = await startSimulator({ cluster: roomyCluster(), speed: 500 });
    const dir = await project(CONFIG.replace("steps: [25, 50, 100]", "steps: [50, 25]"));
    const run = await cli(dir, ["deploy", "production", "--no-image-check"], "1.1.0");
    expect(run.code).toBe(2);
    expect(run.stderr.trim()).toMatch(/^mdeploy: mdeploy\.yml:6:\d+: environments\.production\.canary\.steps\.1: 25 does not come after 50; steps must go up$/);
  });

  it("a template without a named Traefik service: exit 2 before anything is sent", async () => {
    const dir = await deployed();
    await writeFile(path.join(dir, "app.json.hbs"), TEMPLATE.replace(/,\n\s*"traefik\.http\.services[^\n]*/, ""));
    const run = await cli(dir, ["deploy", "production", "--no-image-check", "--dotenv", ""], "1.1.0");
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/strategy canary: \/production\/click-count does not name its Traefik service/);
    expect(sim?.state.app(CANARY)).toBeUndefined();
  });

  it("SIGTERM mid-canary: the canary is removed, the stable app serves alone at its instances, exit 1; status then shows no canary", { timeout: 90_000 }, async () => {
    const dir = await deployed(roomyCluster(), 100);
    let signalled = false;
    const run = await cli(dir, ["deploy", "production", "--no-image-check", "--dotenv", "", "--interrupt-grace", "600"], "1.1.0", (child) => {
      const stop = sim?.onEvent((event: UncheckedMarathonEvent) => {
        // The canary's first instance is healthy: step 1 is under way.
        if (signalled || event.eventType !== "health_status_changed_event" || (event as { appId?: string }).appId !== CANARY) return;
        signalled = true;
        stop?.();
        child.kill("SIGTERM");
      });
    });
    const text = run.stdout + run.stderr;
    expect(run.code, text).toBe(1);
    expect(text).toMatch(/SIGTERM received/);
    expect(text).toMatch(/canary of \/production\/click-count aborted at step 1: .*interrupted by SIGTERM; \/production\/click-count-canary removed; \/production\/click-count back at 4 instances/);
    expect(sim?.state.app(CANARY)).toBeUndefined();
    expect(sim?.state.healthyCount(APP)).toBe(4);
    const status = await cli(dir, ["status", "production", "--json"], "1.1.0");
    expect(status.code, status.stderr).toBe(0);
    expect((JSON.parse(status.stdout) as { progressive?: unknown }).progressive).toBeUndefined();
  });

  it("status shows a canary left mid-step, and rollback removes it and scales the stable app back", { timeout: 90_000 }, async () => {
    const dir = await deployed();
    // What a job killed with SIGKILL after step 1 leaves: the canary at 1, the stable app at 3.
    const stable = sim?.state.app(APP) as { labels: Record<string, string> };
    const canaryApp = {
      ...JSON.parse(TEMPLATE.replace("{{str env.CI_COMMIT_TAG}}", "1.1.0")),
      id: CANARY,
      instances: 1,
      labels: { ...stable.labels, MDEPLOY_CANARY_OF: APP, MDEPLOY_CANARY_STABLE_INSTANCES: "4", MDEPLOY_CANARY_STEPS: "25%=1/3,50%=2/2", MDEPLOY_GATES: "every new task healthy, none restarted, for 1 s" },
    };
    expect(sim?.apply({ method: "PUT", path: `/v2/apps${CANARY}`, body: canaryApp }).status).toBeLessThan(300);
    expect(sim?.apply({ method: "PUT", path: `/v2/apps${APP}`, body: { instances: 3 } }).status).toBeLessThan(300);
    await sim?.clock.runUntil(() => (sim?.state.deployments().length ?? 1) === 0 && sim?.state.healthyCount(CANARY) === 1, { maxMs: 600_000 });

    const status = await cli(dir, ["status", "production", "--json"], "1.1.0");
    expect(status.code, status.stderr).toBe(0);
    expect(JSON.parse(status.stdout).progressive).toMatchObject({ strategy: "canary", step: "1/2 (25%)", share: 25, canary: { healthy: 1, total: 1 }, stable: { healthy: 3, total: 3 } });
    expect(status.stderr).toMatch(/canary in progress: \/production\/click-count-canary .*step 1\/2 \(25%\)/);

    const rollback = await cli(dir, ["rollback", "production"], "1.1.0");
    expect(rollback.code, rollback.stderr).toBe(0);
    expect(rollback.stdout + rollback.stderr).toMatch(/canary \/production\/click-count-canary found: removing it and scaling \/production\/click-count back to 4/);
    expect(sim?.state.app(CANARY)).toBeUndefined();
    expect(sim?.state.healthyCount(APP)).toBe(4);
  });

  it("deploy --strategy blue-green: green on its preview Host, the switch, then the app id runs the new version alone; --json tells the switch", { timeout: 90_000 }, async () => {
    // Two agents of 1.5 GB: room for the eight instances of two copies.
    const dir = await deployed(roomyCluster(2, 1536));
    const run = await cli(dir, ["deploy", "production", "--strategy", "blue-green", "--no-image-check", "--dotenv", "", "--json"], "1.1.0");
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/start \/production\/click-count-green \(4 instances\) on Host preview\.click-count\.example\.com/);
    expect(run.stderr).toMatch(/switched: \/production\/click-count-green serves \/production\/click-count's public rule/);
    const result = JSON.parse(run.stdout) as { appId: string; progressive: { strategy: string; greenId: string; gate: { passed: boolean } } };
    expect(result).toMatchObject({ appId: APP, progressive: { strategy: "blue-green", greenId: `${APP}-green`, gate: { passed: true } } });
    expect((sim?.state.app(APP) as { container: { docker: { image: string } } }).container.docker.image).toMatch(/:1\.1\.0$/);
    expect(sim?.state.app(`${APP}-green`)).toBeUndefined();
  });

  it("the click-count example's production canary configuration plans and runs through every step", { timeout: 90_000 }, async () => {
    sim = await startSimulator({ cluster: roomyCluster(), speed: 500 });
    // The example as it stands, but with gate windows a test can wait for (the CLI waits in real time) and its files by absolute path.
    const example = path.join(ROOT, "marathon", "click-count");
    const text = (await readFile(path.join(example, "canary.mdeploy.yml"), "utf8"))
      .replace(/window: \d+/g, "window: 1")
      .replace("template: app.json.hbs", `template: ${path.join(example, "app.json.hbs")}`)
      .replace("values: production.yml", `values: ${path.join(example, "production.yml")}`);
    expect(text).toContain("strategy: canary");
    const dir = await scratch.project({ "mdeploy.yml": text });
    const first = await cli(dir, ["deploy", "production", "--no-image-check", "--dotenv", ""], "1.0.0");
    expect(first.code, first.stderr).toBe(0);
    const plan = await cli(dir, ["plan", "production"], "1.1.0");
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout).toContain("step 1 (25%): /production/click-count-canary 1, /production/click-count 3");
    const run = await cli(dir, ["deploy", "production", "--no-image-check", "--dotenv", ""], "1.1.0");
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout + run.stderr).toMatch(/\/production\/click-count-canary removed; \/production\/click-count version \S+ serves all traffic/);
    expect((sim.state.app(APP) as { container: { docker: { image: string } } }).container.docker.image).toBe("registry.gitlab.example.com/demo/click-count:1.1.0");
    expect(sim.state.app(CANARY)).toBeUndefined();
  });
});
