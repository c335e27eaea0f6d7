/**
 * `mdeploy init` and `mdeploy stop` end to end: the built CLI scaffolds a project
 * in an empty directory, the result renders and deploys to the in-process simulator
 * unchanged, and `stop` removes a review app until its tasks are gone.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { startSimulator, type Simulator } from "../src/sim/index.js";
import { runCli } from "./helpers/run-cli.js";

let sim: Simulator | undefined;
const dirs: string[] = [];
afterEach(async () => {
  await sim?.close();
  sim = undefined;
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

async function emptyDir(name = "shop-api"): Promise<string> {
  const parent = await mkdtemp(path.join(tmpdir(), "mdeploy-init-"));
  dirs.push(parent);
  const dir = path.join(parent, name);
  await mkdir(dir);
  return dir;
}

const SCAFFOLD = ["mdeploy.yml", "marathon/app.json.hbs", "marathon/staging.yml", "marathon/production.yml", "marathon/review.yml", ".gitlab-ci.yml"];

describe("mdeploy init", () => {
  it("writes the config, a template, values per environment and a pipeline including the components", async () => {
    const dir = await emptyDir();
    const run = await runCli(["init", "--image", "registry.example.com/shop/api:2.1", "--port", "9000", "--mem", "384", "--cpus", "0.5", "--health-path", "/healthz"], { cwd: dir });
    expect(run.code, run.stderr).toBe(0);
    for (const file of SCAFFOLD) expect(run.stdout).toContain(`wrote ${file}`);
    const config = await readFile(path.join(dir, "mdeploy.yml"), "utf8");
    expect(Object.keys((parseYaml(config) as { environments: object }).environments)).toEqual(["staging", "production", "review"]);
    // Not installed in this project: the schema of this version, published with the package.
    expect(config).toMatch(/^# yaml-language-server: \$schema=https:\/\/unpkg\.com\/mdeploy@\d+\.\d+\.\d+\/schemas\/mdeploy\.schema\.json$/m);
    expect(parseYaml(await readFile(path.join(dir, "marathon/production.yml"), "utf8"))).toMatchObject({
      appId: "/production/shop-api",
      image: "registry.example.com/shop/api",
      tag: "2.1",
      port: 9000,
      mem: 384,
      cpus: 0.5,
      healthPath: "/healthz",
    });
    const pipeline = parseYaml(await readFile(path.join(dir, ".gitlab-ci.yml"), "utf8")) as { include: { component: string; inputs?: Record<string, unknown> }[] };
    expect(pipeline.include.map((i) => i.component.replace(/@.*/, ""))).toEqual([
      "$CI_SERVER_FQDN/mdeploy/mdeploy/render",
      "$CI_SERVER_FQDN/mdeploy/mdeploy/deploy",
      "$CI_SERVER_FQDN/mdeploy/mdeploy/deploy",
      "$CI_SERVER_FQDN/mdeploy/mdeploy/review",
    ]);
    expect(pipeline.include[2]?.inputs).toMatchObject({ environment: "production", tier: "production", when: "manual" });
  });

  it("renders the given environments in order, and points $schema into the project's own installation when there is one", async () => {
    const dir = await emptyDir();
    await mkdir(path.join(dir, "node_modules/mdeploy/schemas"), { recursive: true });
    await writeFile(path.join(dir, "node_modules/mdeploy/schemas/mdeploy.schema.json"), "{}");
    const run = await runCli(["init", "--env", "qa", "--env", "prod", "--no-review"], { cwd: dir });
    expect(run.code, run.stderr).toBe(0);
    const config = await readFile(path.join(dir, "mdeploy.yml"), "utf8");
    expect(config).toContain("# yaml-language-server: $schema=./node_modules/mdeploy/schemas/mdeploy.schema.json");
    expect(Object.keys((parseYaml(config) as { environments: object }).environments)).toEqual(["qa", "prod"]);
    const render = await runCli(["render", "qa", "prod"], { cwd: dir });
    expect(render.code, render.stderr).toBe(0);
    const prod = JSON.parse(await readFile(path.join(dir, "marathon_app_prod.json"), "utf8")) as { id: string; container: { docker: { image: string } } };
    expect(prod.id).toBe("/prod/shop-api");
    expect(prod.container.docker.image).toBe("registry.example.com/shop-api:latest");
  });

  it("never overwrites: existing files are listed as skipped and keep their content", async () => {
    const dir = await emptyDir();
    await writeFile(path.join(dir, ".gitlab-ci.yml"), "# mine\n");
    await mkdir(path.join(dir, "marathon"));
    await writeFile(path.join(dir, "marathon/staging.yml"), "appId: /staging/mine\n");
    const run = await runCli(["init"], { cwd: dir });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain("skipped .gitlab-ci.yml (exists; not changed)");
    expect(run.stdout).toContain("skipped marathon/staging.yml (exists; not changed)");
    expect(run.stdout).toContain("wrote mdeploy.yml");
    expect(await readFile(path.join(dir, ".gitlab-ci.yml"), "utf8")).toBe("# mine\n");
    expect(await readFile(path.join(dir, "marathon/staging.yml"), "utf8")).toBe("appId: /staging/mine\n");
    const again = await runCli(["init"], { cwd: dir });
    expect(again.code).toBe(0);
    expect(again.stdout).not.toContain("wrote ");
    for (const file of SCAFFOLD) expect(again.stdout).toContain(`skipped ${file}`);
  });

  it.each([
    [["--env", "Prod_1"], '--env "Prod_1": use lowercase letters'],
    [["--health-path", "healthz"], '--health-path "healthz": must start with /'],
    [["--port", "70000"], "expected a port between 1 and 65535"],
    [["--env", "review"], '--env review: "review" is the review apps'],
  ])("refuses %j with one line and exit 2, writing nothing", async (args, message) => {
    const dir = await emptyDir();
    const run = await runCli(["init", ...args], { cwd: dir });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(message);
    expect(run.stderr.trim().split("\n")).toHaveLength(1);
    await expect(readFile(path.join(dir, "mdeploy.yml"), "utf8")).rejects.toThrow(/ENOENT/);
  });
});

describe("an init project on the simulator", () => {
  it("deploys staging and production unchanged, then a review app that stop removes until its tasks are gone", { timeout: 120_000 }, async () => {
    sim = await startSimulator({ speed: 400 });
    const dir = await emptyDir();
    expect((await runCli(["init"], { cwd: dir })).code).toBe(0);
    const env = { MARATHON_URL: sim.marathonUrl, MESOS_URL: sim.mesosUrl, CI_COMMIT_SHA: "0123abcd" };
    for (const environment of ["staging", "production"]) {
      const run = await runCli(["deploy", environment, "--no-image-check", "--dotenv", ""], { cwd: dir, env });
      expect(run.code, run.stderr).toBe(0);
      expect(sim.state.healthyCount(`/${environment}/shop-api`)).toBe(1);
    }
    const review = { ...env, CI_COMMIT_REF_SLUG: "feature-login" };
    expect((await runCli(["render", "review"], { cwd: dir, env: review })).code).toBe(0);
    const deployed = await runCli(["deploy", "review", "--artifact", "marathon_app_review.json", "--no-image-check", "--dotenv", "deploy.env"], { cwd: dir, env: review });
    expect(deployed.code, deployed.stderr).toBe(0);
    expect(await readFile(path.join(dir, "deploy.env"), "utf8")).toContain("MDEPLOY_URL=http://feature-login.shop-api.review.example.com");
    const appId = "/review/shop-api-feature-login";
    expect(sim.state.healthyCount(appId)).toBe(1);
    const taskIds = sim.state.tasks(appId).map((t) => t.id);
    expect(taskIds).toHaveLength(1);

    // No checkout in a stop job: only the artifact and MARATHON_URL.
    const stopDir = await emptyDir("stop-job");
    await writeFile(path.join(stopDir, "marathon_app_review.json"), await readFile(path.join(dir, "marathon_app_review.json")));
    const stop = await runCli(["stop", "review", "--artifact", "marathon_app_review.json"], { cwd: stopDir, env });
    expect(stop.code, stop.stderr).toBe(0);
    expect(stop.stdout).toContain(`review: removed ${appId}; its tasks are gone`);
    expect(sim.state.app(appId)).toBeUndefined();
    expect(sim.state.tasks(appId)).toEqual([]);
    expect(sim.state.deployments()).toEqual([]);
    // The other environments are untouched.
    expect(sim.state.healthyCount("/staging/shop-api")).toBe(1);

    const twice = await runCli(["stop", "review", "--artifact", "marathon_app_review.json"], { cwd: stopDir, env });
    expect(twice.code).toBe(0);
    expect(twice.stdout).toContain(`${appId} does not exist; nothing to stop`);
  });
});
