/**
 * Secrets stay out of everything render produces: a secret given through
 * MARATHON_PASSWORD, a *_TOKEN variable, or a variable the config marks secret
 * appears in no stdout, stderr or artifact, on success and on failure.
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { runCli, type CliRun } from "./helpers/run-cli.js";

const SECRETS = {
  MARATHON_PASSWORD: "marathon-pass-7f3a9c",
  DEPLOY_TOKEN: "glpat-token-51c0de",
  REDIS_KEY: "redis-key-9e8d7c",
};

const CONFIG = `marathon:
  urls: http://marathon.example.com:8080
environments:
  staging:
    template: app.json.hbs
    secrets: [REDIS_KEY]
`;

const TEMPLATE = `{
  "id": "/staging/web",
  "cmd": "run --redis-key {{str env.REDIS_KEY}}",
  "env": {
    "MARATHON_PASSWORD": {{json env.MARATHON_PASSWORD}},
    "DEPLOY_TOKEN": {{json env.DEPLOY_TOKEN}},
    "REDIS_URL": "redis://:{{str env.REDIS_KEY}}@redis:6379"
  },
  "labels": { "build": {{json env.CI_COMMIT_SHA}} }
}
`;

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

async function project(template: string, extra: Record<string, string> = {}): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), "mdeploy-secrets-"));
  dirs.push(dir);
  await writeFile(path.join(dir, "mdeploy.yml"), CONFIG);
  await writeFile(path.join(dir, "app.json.hbs"), template);
  for (const [name, text] of Object.entries(extra)) await writeFile(path.join(dir, name), text);
  return dir;
}

async function everything(dir: string, runs: CliRun[]): Promise<string> {
  const artifacts = (await readdir(dir)).filter((f) => f.startsWith("marathon_app_"));
  const texts = await Promise.all(artifacts.map((f) => readFile(path.join(dir, f), "utf8")));
  return [...runs.flatMap((r) => [r.stdout, r.stderr]), ...texts].join("\n");
}

function expectNoSecret(text: string): void {
  for (const secret of Object.values(SECRETS)) {
    expect(text).not.toContain(secret);
    expect(text).not.toContain(Buffer.from(secret).toString("base64"));
  }
}

describe("secrets in mdeploy render", () => {
  it("writes placeholders for every secret and prints none of them", async () => {
    const dir = await project(TEMPLATE);
    const env = { ...SECRETS, CI_COMMIT_SHA: "abc123" };
    const human = await runCli(["render", "staging"], { cwd: dir, env });
    const json = await runCli(["render", "staging", "--json", "--debug"], { cwd: dir, env });
    expect(human.code).toBe(0);
    expect(json.code).toBe(0);
    const artifact = JSON.parse(await readFile(path.join(dir, "marathon_app_staging.json"), "utf8"));
    expect(artifact.env).toEqual({
      MARATHON_PASSWORD: "[[mdeploy-secret:MARATHON_PASSWORD]]",
      DEPLOY_TOKEN: "[[mdeploy-secret:DEPLOY_TOKEN]]",
      REDIS_URL: "redis://:[[mdeploy-secret:REDIS_KEY]]@redis:6379",
    });
    expect(artifact.labels.build).toBe("abc123");
    expect(JSON.parse(json.stdout).artifacts[0].secretVariables).toEqual(["DEPLOY_TOKEN", "MARATHON_PASSWORD", "REDIS_KEY"]);
    expectNoSecret(await everything(dir, [human, json]));
  });

  it("renders placeholders for secrets the config marks even when this machine lacks them", async () => {
    const dir = await project(TEMPLATE);
    const run = await runCli(["render", "staging"], { cwd: dir, env: { MARATHON_PASSWORD: SECRETS.MARATHON_PASSWORD, DEPLOY_TOKEN: SECRETS.DEPLOY_TOKEN, CI_COMMIT_SHA: "abc" } });
    expect(run.code).toBe(0);
    expect(await readFile(path.join(dir, "marathon_app_staging.json"), "utf8")).toContain("[[mdeploy-secret:REDIS_KEY]]");
  });

  it("refuses to write a secret that reached the template another way, without printing it", async () => {
    // A values file holding the same string as a secret variable (a pasted password).
    const dir = await project(TEMPLATE.replace('"labels": { "build": {{json env.CI_COMMIT_SHA}} }', '"labels": { "build": {{json pasted}} }'), {});
    await writeFile(path.join(dir, "mdeploy.yml"), CONFIG.replace("    secrets: [REDIS_KEY]", `    secrets: [REDIS_KEY]\n    variables:\n      pasted: ${SECRETS.REDIS_KEY}`));
    const run = await runCli(["render", "staging"], { cwd: dir, env: { ...SECRETS } });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^mdeploy: app\.json\.hbs \(staging\): the rendered app contains the value of secret variable REDIS_KEY/);
    expect((await readdir(dir)).filter((f) => f.startsWith("marathon_app_"))).toEqual([]);
    expectNoSecret(await everything(dir, [run]));
  });

  it("prints no secret in template errors", async () => {
    const dir = await project(TEMPLATE.replace('"id": "/staging/web",', '"id": "/staging/web", "x": {{env.MARATHON_PASSWORD}},'));
    const run = await runCli(["render", "staging"], { cwd: dir, env: { ...SECRETS, CI_COMMIT_SHA: "abc" } });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^mdeploy: app\.json\.hbs:2:\d+: the rendered template is not valid JSON/);
    expectNoSecret(await everything(dir, [run]));
  });
});
