import { spawn, execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator, type Simulator } from "../src/sim/index.js";
import { CLI_PATH } from "./helpers/run-cli.js";

// The example pipeline (gitlab-ci/examples/click-count) run by gitlab-ci-local 4.73 in shell
// mode against the simulator: the jobs call the built CLI, as the mdeploy image would.

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const GITLAB_CI_LOCAL = join(ROOT, "node_modules", ".bin", "gitlab-ci-local");
const STAGING = "/staging/click-count";
const PRODUCTION = "/production/click-count";

interface PipelineRun {
  code: number | null;
  output: string;
}

let sim: Simulator;
let repo: string;

/** A project like click-count's: its config, templates and the example pipeline. */
function createProject(): string {
  const dir = mkdtempSync(join(tmpdir(), "mdeploy-pipeline-"));
  cpSync(join(ROOT, "mdeploy.yml"), join(dir, "mdeploy.yml"));
  cpSync(join(ROOT, "marathon", "click-count"), join(dir, "marathon", "click-count"), { recursive: true });
  mkdirSync(join(dir, "gitlab-ci"));
  cpSync(join(ROOT, "gitlab-ci", "mdeploy.gitlab-ci.yml"), join(dir, "gitlab-ci", "mdeploy.gitlab-ci.yml"));
  const example = readFileSync(join(ROOT, "gitlab-ci", "examples", "click-count", ".gitlab-ci.yml"), "utf8");
  // The example includes the template from the mdeploy project; here it is a local copy.
  const local = example.replace(/^include:\n(?:\s+.*\n)+?(?=\S)/m, "include:\n  - local: gitlab-ci/mdeploy.gitlab-ci.yml\n\n");
  expect(local).toContain("local: gitlab-ci/mdeploy.gitlab-ci.yml");
  // A job reading the environment url the way GitLab resolves it: from the dotenv report.
  const verify = [
    "",
    "verify-staging-url:",
    "  stage: .post",
    "  needs: [mdeploy-staging]",
    "  environment: { name: staging, url: $MDEPLOY_URL, action: verify }",
    "  script:",
    '    - echo "environment url is $CI_ENVIRONMENT_URL"',
    "",
  ].join("\n");
  writeFileSync(join(dir, ".gitlab-ci.yml"), local + verify);
  const git = (...args: string[]) => execFileSync("git", args, { cwd: dir, stdio: "pipe" });
  git("init", "-q", "-b", "main");
  git("config", "user.email", "ci@example.com");
  git("config", "user.name", "ci");
  git("remote", "add", "origin", "https://gitlab.example.com/demo/click-count.git");
  git("symbolic-ref", "refs/remotes/origin/HEAD", "refs/remotes/origin/main");
  git("add", "-A");
  git("commit", "-q", "-m", "click-count");
  return dir;
}

/** gitlab-ci-local with a clean environment; asynchronous, so the simulator keeps running. */
function pipeline(args: string[]): Promise<PipelineRun> {
  const variables = {
    // A shell runner with mdeploy installed, instead of the mdeploy image (no Docker here).
    MDEPLOY_COMMAND: `${process.execPath} ${CLI_PATH}`,
    MARATHON_URL: sim.marathonUrl,
    MESOS_URL: sim.mesosUrl,
    // The simulator has no registry: do not ask one.
    MDEPLOY_DEPLOY_OPTIONS: "--no-image-check",
  };
  const flags = Object.entries(variables).flatMap(([k, v]) => ["--variable", `${k}=${v}`]);
  return new Promise((resolve, reject) => {
    const child = spawn(GITLAB_CI_LOCAL, ["--shell-isolation", "--force-shell-executor", "--no-color", ...flags, ...args], {
      cwd: repo,
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: repo, LANG: "C.UTF-8" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr.on("data", (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), 120_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

const image = (appId: string) => (sim.state.app(appId)?.container as { docker: { image: string } } | undefined)?.docker.image;
const commit = () => execFileSync("git", ["rev-parse", "HEAD"], { cwd: repo, encoding: "utf8" }).trim();

describe("the example pipeline under gitlab-ci-local", () => {
  beforeAll(async () => {
    sim = await startSimulator({ speed: 400 });
    repo = createProject();
  });
  afterAll(async () => {
    await sim?.close();
    if (repo) rmSync(repo, { recursive: true, force: true });
  });

  it("renders both apps, deploys staging, feeds the environment url from the dotenv report, and waits for a person before production", { timeout: 180_000 }, async () => {
    const run = await pipeline([]);
    expect(run.code, run.output).toBe(0);
    expect(run.output).toMatch(/PASS\s+mdeploy-render/);
    expect(run.output).toMatch(/PASS\s+mdeploy-staging/);
    for (const env of ["staging", "production"]) {
      const artifact = JSON.parse(readFileSync(join(repo, `marathon_app_${env}.json`), "utf8")) as { id: string };
      expect(artifact.id).toBe(`/${env}/click-count`);
    }
    expect(image(STAGING)).toMatch(new RegExp(`:${commit()}$`));
    expect(sim.state.healthyCount(STAGING)).toBe(1);
    expect(readFileSync(join(repo, "deploy.env"), "utf8")).toContain("MDEPLOY_URL=http://click-count.staging.example.com");
    expect(run.output).toContain("environment url is http://click-count.staging.example.com");
    // Manual and blocking: not run unless someone starts it.
    expect(run.output).not.toMatch(/PASS\s+mdeploy-production/);
    expect(sim.state.app(PRODUCTION)).toBeUndefined();
  });

  it("runs the manual production deploy when asked", { timeout: 180_000 }, async () => {
    const run = await pipeline(["--manual", "mdeploy-production", "mdeploy-production"]);
    expect(run.code, run.output).toBe(0);
    expect(run.output).toMatch(/PASS\s+mdeploy-production/);
    expect(image(PRODUCTION)).toMatch(new RegExp(`:${commit()}$`));
    expect(sim.state.healthyCount(PRODUCTION)).toBe(1);
  });

  it("fails the job on a broken version and leaves staging on the previous one", { timeout: 180_000 }, async () => {
    const before = image(STAGING);
    // A tag pipeline deploys $CI_REGISTRY_IMAGE:<tag>; the simulator's ":broken" images never get healthy.
    const run = await pipeline(["--variable", "CI_COMMIT_TAG=broken"]);
    expect(run.code).toBe(1);
    expect(run.output).toMatch(/FAIL\s+mdeploy-staging/);
    expect(run.output).toContain("rolled back");
    expect(image(STAGING)).toBe(before);
    expect(sim.state.healthyCount(STAGING)).toBe(1);
    expect(sim.state.deployments()).toEqual([]);
    expect(existsSync(join(repo, "marathon_app_staging.json"))).toBe(true);
  });
});
