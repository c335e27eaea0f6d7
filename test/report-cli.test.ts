/**
 * The deployment report from the built CLI, as CI and people run it: where the
 * file goes (`--report FILE`, the CI default, `--no-report`, nothing outside CI),
 * that a failed deploy and a rollback write one too, that no secret reaches it,
 * and that `mdeploy demo` writes one per act into a folder and says where.
 */
import { access, readdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { defaultCluster, startSimulator, type Simulator } from "../src/sim/index.js";
import { cliAgainst, clickCountTemplate, closeAfterEach, scratchDirectories } from "./helpers/cli-project.js";
import { runCli, type CliRun } from "./helpers/run-cli.js";

const MARATHON_PASSWORD = "marathon-pw-cli-report-41aa";
const DB_PASSWORD = "db-secret-cli-report-9d3f";

const CONFIG = `environments:
  staging:
    template: app.json.hbs
    secrets: [DB_PASSWORD]
`;

const TEMPLATE = clickCountTemplate({ env: '{ "DB_PASSWORD": {{json env.DB_PASSWORD}} }', portName: "" });

let sim: Simulator | undefined;
closeAfterEach(() => sim);
const scratch = scratchDirectories("mdeploy-report-cli-");

async function project(): Promise<string> {
  const dir = await scratch.project({ "mdeploy.yml": CONFIG, "app.json.hbs": TEMPLATE });
  const cluster = defaultCluster();
  cluster.credentials = { username: "ci", password: MARATHON_PASSWORD };
  sim = await startSimulator({ cluster, speed: 500 });
  return dir;
}

function cli(dir: string, args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  return cliAgainst(sim, dir, args, { MARATHON_USERNAME: "ci", MARATHON_PASSWORD, DB_PASSWORD, CI_COMMIT_TAG: "1.0.0", ...env });
}

const exists = (file: string) =>
  access(file).then(
    () => true,
    () => false,
  );

describe("mdeploy deploy and rollback --report", () => {
  it("writes the page where asked, by default only in CI, never with --no-report; failed deploys and rollbacks get one; no secret in any", { timeout: 120_000 }, async () => {
    const dir = await project();
    const noDotenv = ["--dotenv", "", "--no-image-check"];

    const outsideCi = await cli(dir, ["deploy", "staging", ...noDotenv]);
    expect(outsideCi.code, outsideCi.stderr).toBe(0);
    expect(await readdir(dir)).toEqual(["app.json.hbs", "mdeploy.yml"]);

    const inCi = await cli(dir, ["deploy", "staging", ...noDotenv], { CI: "true", CI_COMMIT_TAG: "1.1.0", CI_COMMIT_SHA: "0123456789abcdef0123456789abcdef01234567", CI_PROJECT_URL: "https://gitlab.example.com/demo/click-count", CI_PIPELINE_URL: "https://gitlab.example.com/demo/click-count/-/pipelines/42" });
    expect(inCi.code, inCi.stderr).toBe(0);
    const ciReport = path.join(dir, "mdeploy-report.html");
    expect(inCi.stdout).toContain(`deployment report: ${ciReport}`);
    const ciHtml = await readFile(ciReport, "utf8");
    expect(ciHtml).toContain('<a href="https://gitlab.example.com/demo/click-count/-/commit/0123456789abcdef0123456789abcdef01234567"><code>0123456789ab</code></a>');
    expect(ciHtml).toContain('href="https://gitlab.example.com/demo/click-count/-/pipelines/42"');
    expect(ciHtml).toContain("registry.example.com/demo/click-count:1.1.0");
    await rm(ciReport);

    const off = await cli(dir, ["deploy", "staging", ...noDotenv, "--no-report"], { CI: "true", CI_COMMIT_TAG: "1.1.0" });
    expect(off.code, off.stderr).toBe(0);
    expect(await exists(ciReport)).toBe(false);

    const broken = await cli(dir, ["staging", ...noDotenv, "--report", "reports/broken.html"], { CI_COMMIT_TAG: "broken" });
    expect(broken.code).toBe(1);
    const brokenHtml = await readFile(path.join(dir, "reports", "broken.html"), "utf8");
    expect(brokenHtml).toContain('exit code <strong class="exit-code">1</strong>');
    expect(brokenHtml).toMatch(/never became healthy/);
    expect(brokenHtml).toContain("rollback started");

    const rollback = await cli(dir, ["rollback", "staging", "--report", "reports/rollback.html"]);
    expect(rollback.code, rollback.stderr).toBe(0);
    const rollbackHtml = await readFile(path.join(dir, "reports", "rollback.html"), "utf8");
    expect(rollbackHtml).toContain("<title>mdeploy rollback staging /staging/click-count: verified (exit 0)</title>");
    expect(rollbackHtml).toContain("registry.example.com/demo/click-count:1.0.0");

    for (const html of [ciHtml, brokenHtml, rollbackHtml]) {
      for (const secret of [MARATHON_PASSWORD, DB_PASSWORD, Buffer.from(`ci:${MARATHON_PASSWORD}`).toString("base64")]) expect(html).not.toContain(secret);
    }
  });

  it("a report that cannot be written is a warning; the deploy's exit code stands", { timeout: 60_000 }, async () => {
    const dir = await project();
    // A file where the report's folder should be: mkdir fails.
    await writeFile(path.join(dir, "blocked"), "");
    const run = await cli(dir, ["deploy", "staging", "--dotenv", "", "--no-image-check", "--report", "blocked/report.html"]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/warning: deployment report not written to .*blocked\/report\.html: E[A-Z]+/);
  });
});

describe("mdeploy demo reports", () => {
  it("writes one report per act into the folder and prints where", { timeout: 90_000 }, async () => {
    const dir = await scratch.dir();
    const run = await runCli(["demo", "--reports", "acts"], { cwd: dir, timeoutMs: 80_000 });
    expect(run.code, run.stderr).toBe(0);
    const folder = path.join(dir, "acts");
    expect(run.stdout).toContain(`deployment reports, one per act (open them in a browser): ${folder}`);
    const files = (await readdir(folder)).sort();
    expect(files).toEqual(["1-deploy-click-count-1-0-0-to-staging.html", "2-deploy-click-count-1-0-0-to-production.html", "3-upgrade-staging-to-1-1-0.html", "4-deploy-a-broken-build-to-staging.html"]);
    const broken = await readFile(path.join(folder, files[3] as string), "utf8");
    expect(broken).toContain('exit code <strong class="exit-code">1</strong>');
    const upgrade = await readFile(path.join(folder, files[2] as string), "utf8");
    expect(upgrade).toContain("zero-downtime was not possible");
  });
});
