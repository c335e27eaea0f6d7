/**
 * `mdeploy plan`, `mdeploy <env>`, `deploy`, `status`, `rollback` end to end:
 * the built CLI against an in-process simulator at high speed, from a project
 * directory with its own mdeploy.yml and template.
 */
import { readdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { defaultCluster, startSimulator, type Simulator } from "../src/sim/index.js";
import { cliAgainst, clickCountTemplate, closeAfterEach, scratchDirectories } from "./helpers/cli-project.js";
import { startFakeServer } from "./helpers/fake-server.js";
import type { CliRun } from "./helpers/run-cli.js";

const CONFIG = `environments:
  staging:
    template: app.json.hbs
    secrets: [DB_PASSWORD]
`;

/** click-count, with a secret env value and the tag from CI_COMMIT_TAG. */
const TEMPLATE = clickCountTemplate({
  env: '{ "DB_PASSWORD": {{json env.DB_PASSWORD}}, "DB_HOST": "db.staging" }',
  labels: '{ "traefik.http.routers.cc.rule": "Host(`click.staging.example.com`)" }',
});

const MARATHON_PASSWORD = "marathon-pw-4b7e1d";
const DB_PASSWORD = "db-secret-93ac27";

let sim: Simulator | undefined;
closeAfterEach(() => sim);
const scratch = scratchDirectories("mdeploy-deploy-");

function project(template = TEMPLATE): Promise<string> {
  return scratch.project({ "mdeploy.yml": CONFIG, "app.json.hbs": template });
}

async function startSim(withCredentials = true): Promise<Simulator> {
  const cluster = defaultCluster();
  if (withCredentials) cluster.credentials = { username: "ci", password: MARATHON_PASSWORD };
  sim = await startSimulator({ cluster, speed: 500 });
  return sim;
}

function cli(dir: string, args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  return cliAgainst(sim, dir, args, { MARATHON_USERNAME: "ci", MARATHON_PASSWORD, DB_PASSWORD, CI_COMMIT_TAG: "1.0.0", ...env });
}

describe("mdeploy deploy family, end to end", () => {
  it("the original trap: `mdeploy staging` upgrades, saying why zero-downtime was not possible; secrets appear nowhere", { timeout: 60_000 }, async () => {
    await startSim();
    const dir = await project();
    const runs: CliRun[] = [];
    const first = await cli(dir, ["staging", "--no-image-check"]);
    runs.push(first);
    expect(first.code, first.stderr).toBe(0);
    const report1 = await readFile(path.join(dir, "deploy.env"), "utf8");
    expect(report1).toMatch(/^MDEPLOY_VERSION=2026-/m);
    expect(report1).toMatch(/^MDEPLOY_PREVIOUS_VERSION=$/m);
    expect(report1).toMatch(/^MDEPLOY_URL=http:\/\/click.staging.example.com$/m);

    const plan = await cli(dir, ["plan", "staging"], { CI_COMMIT_TAG: "1.1.0", DB_PASSWORD: "db-secret-rotated-55" });
    runs.push(plan);
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout).toContain('~ container.docker.image: "registry.example.com/demo/click-count:1.0.0" -> "registry.example.com/demo/click-count:1.1.0"');
    expect(plan.stdout).toContain("~ env.DB_PASSWORD: changed (secret value hidden)");
    expect(plan.stdout).toContain("needs 300 MB more on one agent with type:staging; the largest free is 197 MB");

    const second = await cli(dir, ["staging", "--no-image-check", "--json"], { CI_COMMIT_TAG: "1.1.0" });
    runs.push(second);
    expect(second.code, second.stderr).toBe(0);
    const result = JSON.parse(second.stdout) as { version: string; previousVersion: string; plan: { strategy: { minimumHealthCapacity: number }; reasons: string[] } };
    expect(result.plan.strategy.minimumHealthCapacity).toBe(0);
    expect(result.plan.reasons.join(" ")).toContain("zero-downtime was not possible");
    expect(second.stderr).toContain("zero-downtime was not possible");
    const report2 = await readFile(path.join(dir, "deploy.env"), "utf8");
    expect(report2).toContain(`MDEPLOY_VERSION=${result.version}`);
    expect(report2).toContain(`MDEPLOY_PREVIOUS_VERSION=${result.previousVersion}`);

    const status = await cli(dir, ["status", "staging"]);
    runs.push(status);
    expect(status.code).toBe(0);
    expect(status.stdout).toContain(`version ${result.version}`);
    expect(status.stdout).toContain("instances: 1/1 healthy");

    const broken = await cli(dir, ["deploy", "staging", "--no-image-check"], { CI_COMMIT_TAG: "broken" });
    runs.push(broken);
    expect(broken.code).toBe(1);
    expect(broken.stderr).toMatch(/never became healthy.*rolled back/);
    expect(broken.stderr).toMatch(/previous version .* is back .*1\/1 healthy/);
    expect((sim?.state.app("/staging/click-count") as { container: { docker: { image: string } } }).container.docker.image).toContain(":1.1.0");

    // "The previous version" now means the one before 1.1.0, not the broken build nor the older copy of 1.1.0.
    const rollback = await cli(dir, ["rollback", "staging"]);
    runs.push(rollback);
    expect(rollback.code, rollback.stderr).toBe(0);
    expect(rollback.stdout).toContain(`is back at ${result.previousVersion}`);
    expect((sim?.state.app("/staging/click-count") as { container: { docker: { image: string } } }).container.docker.image).toContain(":1.0.0");

    const app = sim?.state.app("/staging/click-count") as { env: Record<string, string> };
    expect(app.env.DB_PASSWORD).toBe(DB_PASSWORD);
    const files = await Promise.all((await readdir(dir)).map((f) => readFile(path.join(dir, f), "utf8")));
    const everything = [...runs.flatMap((r) => [r.stdout, r.stderr]), ...files].join("\n");
    for (const secret of [MARATHON_PASSWORD, DB_PASSWORD, "db-secret-rotated-55", Buffer.from(`ci:${MARATHON_PASSWORD}`).toString("base64")]) {
      expect(everything).not.toContain(secret);
    }
  });

  it("a template with an explicit (1,1): plan and deploy exit 3 naming the shortfall, and nothing is sent", async () => {
    await startSim(false);
    const dir = await project();
    expect((await cli(dir, ["staging", "--no-image-check", "--dotenv", ""])).code).toBe(0);
    await writeFile(path.join(dir, "app.json.hbs"), TEMPLATE.replace('"instances": 1,', '"instances": 1, "upgradeStrategy": { "minimumHealthCapacity": 1, "maximumOverCapacity": 1 },'));
    const before = (sim?.state.app("/staging/click-count") as { version: string }).version;
    const plan = await cli(dir, ["plan", "staging"], { CI_COMMIT_TAG: "1.1.0" });
    expect(plan.code).toBe(3);
    expect(plan.stderr).toContain("needs 300 MB more on one agent with type:staging; the largest free is 197 MB");
    const deploy = await cli(dir, ["staging", "--no-image-check", "--dotenv", ""], { CI_COMMIT_TAG: "1.1.0" });
    expect(deploy.code).toBe(3);
    expect(deploy.stderr).toMatch(/refused before any change: upgradeStrategy minimumHealthCapacity 1, maximumOverCapacity 1 cannot finish: needs 300 MB more/);
    expect(deploy.stderr).toContain("nothing was sent to Marathon");
    expect(deploy.stderr).not.toMatch(/at .*\.js:\d+/);
    expect((sim?.state.app("/staging/click-count") as { version: string }).version).toBe(before);
  });

  it("wrong Marathon credentials: exit 6 with one clear line, no password", async () => {
    await startSim();
    const dir = await project();
    const run = await cli(dir, ["deploy", "staging", "--no-image-check"], { MARATHON_PASSWORD: "not-the-password-1" });
    expect(run.code).toBe(6);
    expect(run.stderr).toMatch(/401/);
    expect(run.stderr).not.toContain("not-the-password-1");
    expect(run.stderr).not.toMatch(/at .*\.js:\d+/);
  });

  it("an unknown environment is bad input (exit 2)", async () => {
    await startSim(false);
    const dir = await project();
    const run = await cli(dir, ["qa"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/unknown environment "qa"/);
  });

  it("the registry preflight: a missing tag is refused (exit 3) before any PUT; an existing one deploys", async () => {
    await startSim(false);
    const registry = await startFakeServer([
      { method: "HEAD", path: "/v2/demo/click-count/manifests/1.0.0", reply: () => ({ status: 200, headers: { "docker-content-digest": "sha256:abc", "content-type": "application/vnd.oci.image.index.v1+json" } }) },
      { method: "HEAD", path: "/v2/demo/click-count/manifests/9.9.9", reply: () => ({ status: 404 }) },
    ]);
    try {
      const host = new URL(registry.url).host;
      const dir = await project(TEMPLATE.replace("registry.example.com", host));
      const missing = await cli(dir, ["staging", "--json", "--dotenv", ""], { CI_COMMIT_TAG: "9.9.9" });
      expect(missing.code).toBe(3);
      expect(missing.stderr).toContain(`image ${host}/demo/click-count:9.9.9 not found`);
      expect(JSON.parse(missing.stdout)).toMatchObject({ ok: false, exitCode: 3 });
      expect(sim?.state.app("/staging/click-count")).toBeUndefined();
      const present = await cli(dir, ["staging", "--dotenv", ""], { CI_COMMIT_TAG: "1.0.0" });
      expect(present.code, present.stderr).toBe(0);
      expect(present.stdout).toContain(`image ${host}/demo/click-count:1.0.0 exists`);
      expect(registry.unexpected).toEqual([]);
    } finally {
      await registry.close();
    }
  });

  it("--skip-image-check still refuses a missing tag (exit 3); only an unreachable registry becomes a warning", async () => {
    await startSim(false);
    const registry = await startFakeServer([{ method: "HEAD", path: "/v2/demo/click-count/manifests/9.9.9", reply: () => ({ status: 404 }) }]);
    const host = new URL(registry.url).host;
    try {
      const dir = await project(TEMPLATE.replace("registry.example.com", host));
      const missing = await cli(dir, ["staging", "--skip-image-check", "--dotenv", ""], { CI_COMMIT_TAG: "9.9.9" });
      expect(missing.code).toBe(3);
      expect(missing.stderr).toContain(`image ${host}/demo/click-count:9.9.9 not found`);
      expect(sim?.state.app("/staging/click-count")).toBeUndefined();
      expect(registry.unexpected).toEqual([]);
    } finally {
      await registry.close();
    }
    // The same port, now closed: connection refused, asked once, a warning, and the deploy goes on.
    const dir = await project(TEMPLATE.replace("registry.example.com", host));
    const started = Date.now();
    const unreachable = await cli(dir, ["staging", "--skip-image-check", "--dotenv", ""], { CI_COMMIT_TAG: "1.0.0" });
    expect(unreachable.code, unreachable.stderr).toBe(0);
    expect(unreachable.stderr).toMatch(new RegExp(`warning: image tag not checked \\(--skip-image-check\\): cannot reach registry ${host.replace(/\./g, "\\.")}: HEAD .*connection refused`));
    expect(sim?.state.healthyCount("/staging/click-count")).toBe(1);
    const without = await cli(dir, ["staging", "--dotenv", ""], { CI_COMMIT_TAG: "1.0.1" });
    expect(without.code).toBe(6);
    // The way out is named: both flags, each with what it does.
    expect(without.stderr).toMatch(/--skip-image-check makes an unreachable registry a warning/);
    expect(without.stderr).toMatch(/--no-image-check asks no registry at all/);
    expect(Date.now() - started).toBeLessThan(30_000);
  });

  it("--no-image-check asks no registry at all and says so", async () => {
    await startSim(false);
    const registry = await startFakeServer([]);
    try {
      const dir = await project(TEMPLATE.replace("registry.example.com", new URL(registry.url).host));
      const run = await cli(dir, ["staging", "--no-image-check", "--dotenv", ""], { CI_COMMIT_TAG: "1.0.0" });
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toContain("image tag not checked (--no-image-check)");
      expect(registry.requests).toEqual([]);
    } finally {
      await registry.close();
    }
  });

  it("in GitLab CI: render once, deploy the artifact with secrets filled in at PUT time, collapsible sections in the log", async () => {
    await startSim(false);
    const dir = await project();
    const render = await cli(dir, ["render", "staging"]);
    expect(render.code, render.stderr).toBe(0);
    const artifact = await readFile(path.join(dir, "marathon_app_staging.json"), "utf8");
    expect(artifact).toContain("[[mdeploy-secret:DB_PASSWORD]]");
    expect(artifact).not.toContain(DB_PASSWORD);
    const run = await cli(dir, ["deploy", "staging", "--artifact", "marathon_app_staging.json", "--no-image-check"], { CI: "true", GITLAB_CI: "true" });
    expect(run.code, run.stderr).toBe(0);
    const ESC = String.fromCharCode(27);
    expect(run.stdout).toMatch(new RegExp(`${ESC}\\[0Ksection_start:\\d+:plan\\[collapsed=false\\]\r${ESC}\\[0Kstaging: plan /staging/click-count`));
    expect(run.stdout).toMatch(new RegExp(`${ESC}\\[0Ksection_end:\\d+:deploy\r${ESC}\\[0K`));
    expect(run.stdout).not.toContain(DB_PASSWORD);
    expect((sim?.state.app("/staging/click-count") as { env: Record<string, string> }).env.DB_PASSWORD).toBe(DB_PASSWORD);
  });
});
