/**
 * The built CLI, as a CI job runs it, against an in-process simulator: SIGTERM
 * (a cancelled job) while `mdeploy staging` follows its deployment, sent at the
 * moment the simulator starts that deployment (an event, not a sleep); and the
 * refusals that must come before anything is sent.
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import type { UncheckedMarathonEvent } from "../src/marathon/types.js";
import { defaultCluster, startSimulator, type Simulator } from "../src/sim/index.js";
import { clickCountTemplate, closeAfterEach, scratchDirectories } from "./helpers/cli-project.js";
import { runCli, type CliRun, type RunCliOptions } from "./helpers/run-cli.js";

const APP = "/staging/click-count";

const CONFIG = `environments:
  staging:
    template: app.json.hbs
  production:
    template: app.json.hbs
`;

/** click-count for the environment, the tag from CI_COMMIT_TAG. */
const TEMPLATE = clickCountTemplate({ id: '"/{{environment}}/click-count"' });

let sim: Simulator | undefined;
closeAfterEach(() => sim);
const scratch = scratchDirectories("mdeploy-interrupt-");

function project(): Promise<string> {
  return scratch.project({ "mdeploy.yml": CONFIG, "app.json.hbs": TEMPLATE });
}

function cli(dir: string, args: string[], tag: string, onStart?: RunCliOptions["onStart"]): Promise<CliRun> {
  if (!sim) throw new Error("simulator not started");
  return runCli(args, {
    cwd: dir,
    timeoutMs: 60_000,
    env: { MARATHON_URL: sim.marathonUrl, MESOS_URL: sim.mesosUrl, CI_COMMIT_TAG: tag },
    ...(onStart ? { onStart } : {}),
  });
}

/** Starts the simulator (slow enough that a deployment outlasts a signal's delivery) with 1.0.0 deployed by the CLI. */
async function deployed(): Promise<{ dir: string; version: string }> {
  sim = await startSimulator({ cluster: defaultCluster(), speed: 100 });
  const dir = await project();
  const first = await cli(dir, ["staging", "--no-image-check", "--dotenv", ""], "1.0.0");
  expect(first.code, first.stderr).toBe(0);
  return { dir, version: (sim.state.app(APP) as { version: string }).version };
}

/** Sends `signal` to the CLI when the simulator starts the deployment of the given image; returns that deployment's id. */
function signalAtDeploymentStart(image: string, signal: NodeJS.Signals): { onStart: NonNullable<RunCliOptions["onStart"]>; deploymentId: () => string | undefined } {
  let deploymentId: string | undefined;
  return {
    deploymentId: () => deploymentId,
    onStart: (child) => {
      const stop = sim?.onEvent((event: UncheckedMarathonEvent) => {
        if (event.eventType !== "deployment_info") return;
        const app = sim?.state.app(APP) as { container: { docker: { image: string } } } | undefined;
        if (!app?.container.docker.image.endsWith(`:${image}`)) return;
        stop?.();
        deploymentId = (event as { plan?: { id?: string } }).plan?.id;
        child.kill(signal);
      });
    },
  };
}

describe("mdeploy staging interrupted", () => {
  it("SIGTERM while following: cancels, restores the previous version, exit 1, and says so", { timeout: 60_000 }, async () => {
    const { dir, version } = await deployed();
    const trigger = signalAtDeploymentStart("slow", "SIGTERM");
    const run = await cli(dir, ["staging", "--no-image-check", "--dotenv", ""], "slow", trigger.onStart);
    const text = run.stdout + run.stderr;
    expect(run.code, text).toBe(1);
    expect(text).toMatch(/SIGTERM received/);
    expect(text).toContain(`interrupted by SIGTERM; cancelling deployment ${trigger.deploymentId()} and restoring version ${version}`);
    expect(text).toMatch(/previous version .* is back .*1\/1 healthy/);
    const app = sim?.state.app(APP) as { container: { docker: { image: string } }; instances: number };
    expect(app.container.docker.image).toMatch(/:1\.0\.0$/);
    expect(sim?.state.deployments()).toEqual([]);
    expect(sim?.state.healthyCount(APP)).toBe(1);
  });

  it("--on-interrupt leave: exit 5 naming the open deployment, which keeps running", { timeout: 60_000 }, async () => {
    const { dir } = await deployed();
    const trigger = signalAtDeploymentStart("slow", "SIGINT");
    const run = await cli(dir, ["staging", "--no-image-check", "--dotenv", "", "--on-interrupt", "leave"], "slow", trigger.onStart);
    const text = run.stdout + run.stderr;
    expect(run.code, text).toBe(5);
    const id = trigger.deploymentId() as string;
    expect(text).toContain(`deployment ${id}`);
    expect(text).toMatch(/to finish the job: mdeploy rollback staging --to \S+ --force/);
    expect(sim?.state.deployments().map((d) => d.id)).toEqual([id]);
  });
});

describe("refused before the PUT (exit 2, nothing sent)", () => {
  async function fresh(): Promise<string> {
    sim = await startSimulator({ cluster: defaultCluster(), speed: 100 });
    return project();
  }

  it("--dotenv into a directory that does not exist", async () => {
    const dir = await fresh();
    const run = await cli(dir, ["staging", "--no-image-check", "--dotenv", "missing/deploy.env"], "1.0.0");
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toMatch(/--dotenv missing\/deploy.env: directory .*missing does not exist; nothing was sent/);
    expect(sim?.state.app(APP)).toBeUndefined();
  });

  it("--dotenv onto a directory", async () => {
    const dir = await fresh();
    await mkdir(path.join(dir, "reports"));
    const run = await cli(dir, ["staging", "--no-image-check", "--dotenv", "reports"], "1.0.0");
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toMatch(/is a directory; nothing was sent/);
    expect(sim?.state.app(APP)).toBeUndefined();
  });

  it("deploy staging --artifact marathon_app_production.json", async () => {
    const dir = await fresh();
    const render = await cli(dir, ["render", "production"], "1.0.0");
    expect(render.code, render.stderr).toBe(0);
    const run = await cli(dir, ["deploy", "staging", "--no-image-check", "--artifact", "marathon_app_production.json"], "1.0.0");
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toMatch(/marathon_app_production.json is the artifact of environment "production", not "staging"; nothing was sent/);
    expect(sim?.state.apps()).toEqual([]);
  });

  it("an artifact whose app id is not the environment's, whatever its file name", async () => {
    const dir = await fresh();
    const render = await cli(dir, ["render", "production"], "1.0.0");
    expect(render.code, render.stderr).toBe(0);
    await writeFile(path.join(dir, "app.json"), await readFile(path.join(dir, "marathon_app_production.json"), "utf8"));
    const run = await cli(dir, ["deploy", "staging", "--no-image-check", "--artifact", "app.json"], "1.0.0");
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toMatch(/app id \/production\/click-count is not the app of environment "staging" \(its template renders \/staging\/click-count\)/);
    expect(sim?.state.apps()).toEqual([]);
  });

  it("an artifact for an environment that does not exist", async () => {
    const dir = await fresh();
    const render = await cli(dir, ["render", "staging"], "1.0.0");
    expect(render.code, render.stderr).toBe(0);
    const run = await cli(dir, ["deploy", "qa", "--no-image-check", "--artifact", "marathon_app_staging.json"], "1.0.0");
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toMatch(/unknown environment "qa"/);
    expect(sim?.state.apps()).toEqual([]);
  });
});
