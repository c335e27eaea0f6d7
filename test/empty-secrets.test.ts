/**
 * A secret the app uses whose value is empty (a CI variable that did not
 * expand, more often than a real empty password) is refused at render and at
 * deploy with exit 2 and one line naming the variable and the environment,
 * unless mdeploy.yml lists it with `allowEmpty: true` (issue 13, item 7).
 */
import { readdir } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { defaultCluster, startSimulator, type Simulator } from "../src/sim/index.js";
import { clickCountTemplate, cliAgainst, closeAfterEach, scratchDirectories } from "./helpers/cli-project.js";
import { runCli } from "./helpers/run-cli.js";

const TEMPLATE = clickCountTemplate({ env: '{ "REDIS_KEY": {{json env.REDIS_KEY}}, "DB_PASSWORD": {{json env.DB_PASSWORD}} }' });
const config = (secrets: string) => `environments:\n  staging:\n    template: app.json.hbs\n    secrets: ${secrets}\n`;
const REFUSED = "mdeploy: staging: secret variable REDIS_KEY is empty; set it, or allow an empty value in mdeploy.yml (secrets: [{ name: REDIS_KEY, allowEmpty: true }])";
const DB_PASSWORD = "db-pass-4c1e9a";

let sim: Simulator | undefined;
closeAfterEach(() => sim);
const scratch = scratchDirectories("mdeploy-empty-secret-");

describe("an empty secret", () => {
  it("is refused by render with one line naming it and the environment; nothing is written", async () => {
    const dir = await scratch.project({ "mdeploy.yml": config("[REDIS_KEY, DB_PASSWORD]"), "app.json.hbs": TEMPLATE });
    const run = await runCli(["render", "staging"], { cwd: dir, env: { REDIS_KEY: "", DB_PASSWORD, CI_COMMIT_TAG: "1.0.0" } });
    expect(run.code).toBe(2);
    expect(run.stderr.trim()).toBe(REFUSED);
    expect(run.stdout + run.stderr).not.toContain(DB_PASSWORD);
    expect((await readdir(dir)).filter((f) => f.endsWith(".json"))).toEqual([]);
    // Unset is not empty: render runs where secrets are absent, and the artifact holds placeholders.
    const unset = await runCli(["render", "staging"], { cwd: dir, env: { CI_COMMIT_TAG: "1.0.0" } });
    expect(unset.code).toBe(0);
  });

  it("is refused by deploy, rendered or from an artifact, before anything is sent", async () => {
    sim = await startSimulator({ cluster: defaultCluster(), speed: 200 });
    const dir = await scratch.project({ "mdeploy.yml": config("[REDIS_KEY, DB_PASSWORD]"), "app.json.hbs": TEMPLATE });
    const rendered = await runCli(["render", "staging"], { cwd: dir, env: { CI_COMMIT_TAG: "1.0.0" } });
    expect(rendered.code).toBe(0);
    for (const source of [[], ["--artifact", "marathon_app_staging.json"]]) {
      const run = await cliAgainst(sim, dir, ["deploy", "staging", ...source, "--no-image-check", "--dotenv", ""], { REDIS_KEY: "", DB_PASSWORD, CI_COMMIT_TAG: "1.0.0" });
      expect(run.code).toBe(2);
      expect(run.stderr.trim().split("\n").at(-1)).toBe(REFUSED);
      expect(run.stdout + run.stderr).not.toContain(DB_PASSWORD);
    }
    const plan = await cliAgainst(sim, dir, ["plan", "staging"], { REDIS_KEY: "", DB_PASSWORD, CI_COMMIT_TAG: "1.0.0" });
    expect(plan.code).toBe(2);
    expect(plan.stderr.trim()).toBe(REFUSED);
    expect(sim.state.app("/staging/click-count")).toBeUndefined();
  });

  it("goes through where the config says allowEmpty: true, and only for that variable", async () => {
    sim = await startSimulator({ cluster: defaultCluster(), speed: 200 });
    const dir = await scratch.project({ "mdeploy.yml": config("[{ name: REDIS_KEY, allowEmpty: true }, DB_PASSWORD]"), "app.json.hbs": TEMPLATE });
    const otherEmpty = await cliAgainst(sim, dir, ["deploy", "staging", "--no-image-check", "--dotenv", ""], { REDIS_KEY: "", DB_PASSWORD: "", CI_COMMIT_TAG: "1.0.0" });
    expect(otherEmpty.code).toBe(2);
    expect(otherEmpty.stderr).toContain("staging: secret variable DB_PASSWORD is empty");
    const run = await cliAgainst(sim, dir, ["deploy", "staging", "--no-image-check", "--dotenv", ""], { REDIS_KEY: "", DB_PASSWORD, CI_COMMIT_TAG: "1.0.0" });
    expect(run.stderr).toBe(run.stderr.replace(DB_PASSWORD, ""));
    expect(run.code).toBe(0);
    expect(sim.state.app("/staging/click-count")?.env).toMatchObject({ REDIS_KEY: "", DB_PASSWORD });
  });

  it("allowEmpty must be true or false, and a secret entry takes no other key", async () => {
    const dir = await scratch.project({ "mdeploy.yml": config("[{ name: REDIS_KEY, allowEmpty: sometimes }]"), "app.json.hbs": TEMPLATE });
    const run = await runCli(["render", "staging"], { cwd: dir, env: {} });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("mdeploy.yml:4:");
    expect(run.stderr).toContain("environments.staging.secrets.0.allowEmpty: must be boolean");
    const typo = await scratch.project({ "mdeploy.yml": config("[{ name: REDIS_KEY, allowEmtpy: true }]"), "app.json.hbs": TEMPLATE });
    const typoRun = await runCli(["render", "staging"], { cwd: typo, env: {} });
    expect(typoRun.code).toBe(2);
    expect(typoRun.stderr).toContain('environments.staging.secrets.0.allowEmtpy: unknown key (did you mean "allowEmpty"?)');
  });
});

describe("a secret whose value is only whitespace", () => {
  it.each([" ", "\n", "\t \r\n"])("(%j) is refused like an empty one, by render and by deploy from an artifact", async (blank) => {
    sim = await startSimulator({ cluster: defaultCluster(), speed: 200 });
    const dir = await scratch.project({ "mdeploy.yml": config("[REDIS_KEY, DB_PASSWORD]"), "app.json.hbs": TEMPLATE });
    const render = await runCli(["render", "staging"], { cwd: dir, env: { REDIS_KEY: blank, DB_PASSWORD, CI_COMMIT_TAG: "1.0.0" } });
    expect(render.code).toBe(2);
    expect(render.stderr.trim()).toBe(REFUSED);
    expect((await runCli(["render", "staging"], { cwd: dir, env: { CI_COMMIT_TAG: "1.0.0" } })).code).toBe(0);
    const deploy = await cliAgainst(sim, dir, ["deploy", "staging", "--artifact", "marathon_app_staging.json", "--no-image-check", "--dotenv", ""], { REDIS_KEY: blank, DB_PASSWORD, CI_COMMIT_TAG: "1.0.0" });
    expect(deploy.code).toBe(2);
    expect(deploy.stderr.trim().split("\n").at(-1)).toBe(REFUSED);
    expect(sim.state.app("/staging/click-count")).toBeUndefined();
  });
});

describe("a secret name the template never uses", () => {
  it("is refused by render (a misspelling would leave the real variable in plain text), naming the likely name; nothing is written", async () => {
    const dir = await scratch.project({ "mdeploy.yml": config("[{ name: REDIS_KEYY, allowEmpty: true }, DB_PASSWORD]"), "app.json.hbs": TEMPLATE });
    const run = await runCli(["render", "staging"], { cwd: dir, env: { REDIS_KEY: "real-key-9999", DB_PASSWORD, CI_COMMIT_TAG: "1.0.0" } });
    expect(run.code).toBe(2);
    expect(run.stderr.trim()).toBe(
      'mdeploy: app.json.hbs (staging): secret variable REDIS_KEYY is listed in mdeploy.yml (secrets) but the template never uses it (did you mean "REDIS_KEY"?); a misspelled name leaves the variable the template does use unprotected',
    );
    expect(run.stdout + run.stderr).not.toContain("real-key-9999");
    expect((await readdir(dir)).filter((f) => f.endsWith(".json"))).toEqual([]);
  });
});
