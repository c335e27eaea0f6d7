import { execFileSync } from "node:child_process";
import { appendFileSync, cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator, type Simulator } from "../src/sim/index.js";
import { CLI_PATH, runCli } from "./helpers/run-cli.js";
import { runProcess, type ProcessRun } from "./helpers/run-process.js";

// The CI/CD components run by gitlab-ci-local 4.73 in shell mode against the simulator, in a
// project made by `mdeploy init`. The project's origin is this component project, so
// `component: $CI_SERVER_FQDN/$CI_PROJECT_PATH/<name>@$CI_COMMIT_SHA` resolves to
// templates/ at the current commit, as GitLab resolves a project testing its own components.
// The jobs call the built CLI, as the mdeploy image would.

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const GITLAB_CI_LOCAL = join(ROOT, "node_modules", ".bin", "gitlab-ci-local");
const STAGING = "/staging/shop";
const PRODUCTION = "/production/shop";
const REVIEW = "/review/shop-feature-cart";

let sim: Simulator;
let repo: string;

async function createProject(): Promise<string> {
  const dir = join(mkdtempSync(join(tmpdir(), "mdeploy-pipeline-")), "shop");
  cpSync(join(ROOT, "templates"), join(dir, "templates"), { recursive: true });
  const init = await runCli(["init", "--component-project", "$CI_SERVER_FQDN/$CI_PROJECT_PATH", "--component-version", "$CI_COMMIT_SHA"], { cwd: dir });
  expect(init.code, init.stderr).toBe(0);
  // A job reading the environment url the way GitLab resolves it: from the dotenv report.
  appendFileSync(
    join(dir, ".gitlab-ci.yml"),
    [
      "",
      "verify-staging-url:",
      "  stage: .post",
      "  needs: [mdeploy-staging]",
      "  rules: [{ if: $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH }]",
      "  environment: { name: staging, url: $MDEPLOY_URL, action: verify }",
      "  script:",
      '    - echo "environment url is $CI_ENVIRONMENT_URL"',
      "",
    ].join("\n"),
  );
  const git = (...args: string[]) => execFileSync("git", args, { cwd: dir, stdio: "pipe" });
  git("init", "-q", "-b", "main");
  git("config", "user.email", "ci@example.com");
  git("config", "user.name", "ci");
  git("remote", "add", "origin", "https://gitlab.example.com/mdeploy/mdeploy.git");
  git("symbolic-ref", "refs/remotes/origin/HEAD", "refs/remotes/origin/main");
  git("add", "-A");
  git("commit", "-q", "-m", "shop");
  return dir;
}

/** gitlab-ci-local with a clean environment; asynchronous, so the simulator keeps running. */
function pipeline(args: string[]): Promise<ProcessRun> {
  const variables = { MARATHON_URL: sim.marathonUrl, MESOS_URL: sim.mesosUrl };
  // A shell runner with mdeploy installed, instead of the mdeploy image (no Docker here);
  // the simulator has no registry: do not ask one.
  const inputs = { command: `${process.execPath} ${CLI_PATH}`, deploy_options: "--no-image-check" };
  const flags = [...Object.entries(variables).flatMap(([k, v]) => ["--variable", `${k}=${v}`]), ...Object.entries(inputs).flatMap(([k, v]) => ["--input", `${k}=${v}`])];
  return runProcess(GITLAB_CI_LOCAL, ["--shell-isolation", "--force-shell-executor", "--no-color", ...flags, ...args], {
    cwd: repo,
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: repo, LANG: "C.UTF-8" },
    timeoutMs: 150_000,
  });
}

const output = (run: ProcessRun) => run.stdout + run.stderr;
const image = (appId: string) => (sim.state.app(appId)?.container as { docker: { image: string } } | undefined)?.docker.image;
const git = (...args: string[]) => execFileSync("git", args, { cwd: repo, encoding: "utf8" }).trim();

describe("the mdeploy components under gitlab-ci-local", () => {
  beforeAll(async () => {
    sim = await startSimulator({ speed: 400 });
    repo = await createProject();
  });
  afterAll(async () => {
    await sim?.close();
    if (repo) rmSync(join(repo, ".."), { recursive: true, force: true });
  });

  it("renders every environment, deploys staging, feeds the environment url from the dotenv report, and waits for a person before production", { timeout: 180_000 }, async () => {
    const run = await pipeline([]);
    expect(run.code, output(run)).toBe(0);
    expect(run.stdout).toMatch(/PASS\s+mdeploy-render/);
    expect(run.stdout).toMatch(/PASS\s+mdeploy-staging/);
    for (const env of ["staging", "production"]) {
      const artifact = JSON.parse(readFileSync(join(repo, `marathon_app_${env}.json`), "utf8")) as { id: string };
      expect(artifact.id).toBe(`/${env}/shop`);
    }
    expect(image(STAGING)).toMatch(new RegExp(`:${git("rev-parse", "HEAD")}$`));
    expect(sim.state.healthyCount(STAGING)).toBe(1);
    expect(readFileSync(join(repo, "deploy.env"), "utf8")).toContain("MDEPLOY_URL=http://shop.staging.example.com");
    expect(run.stdout).toContain("environment url is http://shop.staging.example.com");
    // Manual and blocking: not run unless someone starts it; review apps only in merge requests.
    expect(run.stdout).not.toMatch(/PASS\s+mdeploy-production/);
    expect(run.stdout).not.toMatch(/mdeploy-review/);
    expect(sim.state.app(PRODUCTION)).toBeUndefined();
  });

  it("runs the manual production deploy when asked", { timeout: 180_000 }, async () => {
    const run = await pipeline(["--manual", "mdeploy-production", "mdeploy-production"]);
    expect(run.code, output(run)).toBe(0);
    expect(run.stdout).toMatch(/PASS\s+mdeploy-production/);
    expect(image(PRODUCTION)).toMatch(new RegExp(`:${git("rev-parse", "HEAD")}$`));
    expect(sim.state.healthyCount(PRODUCTION)).toBe(1);
  });

  it("fails the job on a broken version and leaves staging on the previous one", { timeout: 180_000 }, async () => {
    const before = image(STAGING);
    // A tag pipeline deploys $CI_REGISTRY_IMAGE:<tag>; the simulator's ":broken" images never get healthy.
    const run = await pipeline(["--variable", "CI_COMMIT_TAG=broken"]);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/FAIL\s+mdeploy-staging/);
    expect(output(run)).toContain("rolled back");
    expect(image(STAGING)).toBe(before);
    expect(sim.state.healthyCount(STAGING)).toBe(1);
    expect(sim.state.deployments()).toEqual([]);
  });

  it("the rollback job restores the previous version and its report names it, not the pipeline's commit", { timeout: 180_000 }, async () => {
    const before = image(STAGING);
    const upgrade = await pipeline(["--variable", "CI_COMMIT_TAG=2.0.0"]);
    expect(upgrade.code, output(upgrade)).toBe(0);
    expect(image(STAGING)).toMatch(/:2\.0\.0$/);
    const rollback = await pipeline(["--variable", "CI_COMMIT_TAG=2.0.0", "--manual", "mdeploy-rollback-staging", "mdeploy-rollback-staging"]);
    expect(rollback.code, output(rollback)).toBe(0);
    expect(image(STAGING)).toBe(before);
    expect(sim.state.healthyCount(STAGING)).toBe(1);
    const report = readFileSync(join(repo, "rollback.env"), "utf8");
    expect(report).toContain(`MDEPLOY_RESTORED_IMAGE=${before ?? "?"}`);
    expect(report).toMatch(/^MDEPLOY_RESTORED_VERSION=\d{4}-\d\d-\d\dT/m);
  });

  it("starts a review app in a merge request pipeline and removes it with the stop job", { timeout: 240_000 }, async () => {
    git("checkout", "-q", "-b", "feature/cart");
    const mr = ["--variable", "CI_PIPELINE_SOURCE=merge_request_event"];
    const start = await pipeline(mr);
    expect(start.code, output(start)).toBe(0);
    expect(start.stdout).toMatch(/PASS\s+mdeploy-review/);
    expect(start.stdout).not.toMatch(/mdeploy-staging/);
    expect(sim.state.healthyCount(REVIEW)).toBe(1);
    expect(readFileSync(join(repo, "deploy.env"), "utf8")).toContain("MDEPLOY_URL=http://feature-cart.shop.review.example.com");
    expect(start.stdout).toMatch(/mdeploy-review environment: \{ name: review\/feature-cart/);

    const stop = await pipeline([...mr, "--manual", "mdeploy-review-stop", "mdeploy-review-stop"]);
    expect(stop.code, output(stop)).toBe(0);
    expect(stop.stdout).toContain(`review: removed ${REVIEW}; its tasks are gone`);
    expect(sim.state.app(REVIEW)).toBeUndefined();
    expect(sim.state.tasks(REVIEW)).toEqual([]);
    expect(sim.state.healthyCount(STAGING)).toBe(1);
    expect(existsSync(join(repo, "marathon_app_review.json"))).toBe(true);
  });
});

describe("gitlab-ci/mdeploy.gitlab-ci.yml under gitlab-ci-local", () => {
  it("still gives the jobs projects that include it had, now from the component", { timeout: 60_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), "mdeploy-wrapper-"));
    try {
      cpSync(join(ROOT, "templates"), join(dir, "templates"), { recursive: true });
      cpSync(join(ROOT, "gitlab-ci"), join(dir, "gitlab-ci"), { recursive: true });
      // What `include: project:` resolves in the mdeploy project, here a local file.
      writeFileSync(join(dir, ".gitlab-ci.yml"), "include:\n  - local: gitlab-ci/mdeploy.gitlab-ci.yml\n");
      const git = (...args: string[]) => execFileSync("git", args, { cwd: dir, stdio: "pipe" });
      git("init", "-q", "-b", "main");
      git("config", "user.email", "ci@example.com");
      git("config", "user.name", "ci");
      git("add", "-A");
      git("commit", "-q", "-m", "wrapper");
      const list = await runProcess(GITLAB_CI_LOCAL, ["--list-json", "--no-color"], { cwd: dir, env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir }, timeoutMs: 60_000 });
      expect(list.code, list.stderr).toBe(0);
      const jobs = JSON.parse(list.stdout.slice(list.stdout.indexOf("["))) as { name: string; when: string }[];
      expect(Object.fromEntries(jobs.map((j) => [j.name, j.when]))).toEqual({
        "mdeploy-render": "on_success",
        "mdeploy-staging": "on_success",
        "mdeploy-rollback-staging": "manual",
        "mdeploy-production": "manual",
        "mdeploy-rollback-production": "manual",
        // Merge request pipelines only; this is a default-branch one.
        "mdeploy-review": "never",
        "mdeploy-review-stop": "never",
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
