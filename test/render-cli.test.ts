/**
 * `mdeploy render` as a user runs it: artifacts written for good input, and for
 * each kind of bad input exit 2, one message naming the file and line or the
 * JSON path, no stack trace, and no file written.
 */
import { mkdtemp, readdir, readFile, rm, writeFile, mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { runCli } from "./helpers/run-cli.js";

const CONFIG = `defaults:
  template: app.json.hbs
environments:
  staging:
    values: staging.yml
    agents: 1
  production:
    values: production.yml
`;

const TEMPLATE = `{
  "id": {{json appId}},
  "instances": {{json instances}},
  "mem": 300,
  "container": {
    "type": "DOCKER",
    "docker": { "image": {{json (concat image ":" (default env.CI_COMMIT_SHA "1.0"))}} },
    "portMappings": [{ "containerPort": 8080, "name": "http" }]
  },
  "networks": [{ "mode": "container/bridge" }],
  "constraints": [["type", "CLUSTER", {{json environment}}]],
  "labels": { "traefik.frontend.rule": "Host:{{str domain}}" },
  "healthChecks": [{ "protocol": "HTTP", "path": "/", "portIndex": 0 }]
}
`;

const VALUES = (env: string) => `appId: /${env}/web\nimage: registry.example.com/web\ninstances: 1\ndomain: web.${env}.example.com\n`;

interface Fixture {
  config?: string;
  template?: string;
  staging?: string;
  production?: string;
}

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

async function project(fixture: Fixture = {}): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), "mdeploy-render-"));
  dirs.push(dir);
  await writeFile(path.join(dir, "mdeploy.yml"), fixture.config ?? CONFIG);
  await writeFile(path.join(dir, "app.json.hbs"), fixture.template ?? TEMPLATE);
  await writeFile(path.join(dir, "staging.yml"), fixture.staging ?? VALUES("staging"));
  await writeFile(path.join(dir, "production.yml"), fixture.production ?? VALUES("production"));
  return dir;
}

/** Every file under dir except the fixture's own. */
async function written(dir: string): Promise<string[]> {
  const own = new Set(["mdeploy.yml", "app.json.hbs", "staging.yml", "production.yml"]);
  const entries = await readdir(dir, { recursive: true });
  return entries.filter((e) => !own.has(e)).sort();
}

describe("mdeploy render", () => {
  it("writes one pretty artifact per environment, ending with a newline", async () => {
    const dir = await project();
    const run = await runCli(["render", "staging", "production", "--out-dir", "artifacts"], { cwd: dir, env: { CI_COMMIT_SHA: "abc123" } });
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(await written(dir)).toEqual(["artifacts", "artifacts/marathon_app_production.json", "artifacts/marathon_app_staging.json"]);
    const text = await readFile(path.join(dir, "artifacts/marathon_app_staging.json"), "utf8");
    expect(text.endsWith("}\n")).toBe(true);
    expect(text).toContain('\n  "id": "/staging/web",\n');
    expect(JSON.parse(text)).toMatchObject({
      id: "/staging/web",
      container: { docker: { image: "registry.example.com/web:abc123" } },
      constraints: [["type", "CLUSTER", "staging"]],
      labels: { "traefik.frontend.rule": "Host:web.staging.example.com" },
    });
    expect(run.stdout).toMatch(/^staging: wrote artifacts\/marathon_app_staging\.json \(\/staging\/web, 1 instance, registry\.example\.com\/web:abc123\)$/m);
  });

  it("writes into the current directory by default and prints a JSON summary with --json", async () => {
    const dir = await project();
    const run = await runCli(["render", "staging", "--json"], { cwd: dir });
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({
      artifacts: [{ environment: "staging", file: "marathon_app_staging.json", appId: "/staging/web", instances: 1, image: "registry.example.com/web:1.0", secretVariables: [], warnings: [] }],
    });
    expect(await written(dir)).toEqual(["marathon_app_staging.json"]);
  });

  it("prints lint warnings and still writes the artifact", async () => {
    const dir = await project({ template: TEMPLATE.replace('"mem": 300', '"mem": 0') });
    const run = await runCli(["render", "staging"], { cwd: dir });
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/^warning: staging: marathon_app_staging\.json \/mem: mem: 0 gives the task no memory/);
    expect(await written(dir)).toEqual(["marathon_app_staging.json"]);
  });

  it("replaces an artifact atomically, leaving no temporary file", async () => {
    const dir = await project();
    await writeFile(path.join(dir, "marathon_app_staging.json"), "old");
    const run = await runCli(["render", "staging"], { cwd: dir });
    expect(run.code).toBe(0);
    expect(JSON.parse(await readFile(path.join(dir, "marathon_app_staging.json"), "utf8"))).toMatchObject({ id: "/staging/web" });
    expect(await written(dir)).toEqual(["marathon_app_staging.json"]);
  });

  const badInput: [string, Fixture, string[], RegExp][] = [
    ["a missing variable", { staging: "appId: /staging/web\nimage: registry.example.com/web\ninstances: 1\n" }, ["render", "staging"], /^mdeploy: app\.json\.hbs:12:52: variable "domain" is not defined \(used with str\)$/],
    ["a template syntax error", { template: TEMPLATE.replace('{{json instances}}', "{{json instances}") }, ["render", "staging"], /^mdeploy: app\.json\.hbs:3: template syntax error: unexpected 'INVALID'$/],
    ["a template that renders invalid JSON", { template: TEMPLATE.replace('"mem": 300,', '"mem": 300,,') }, ["render", "staging"], /^mdeploy: app\.json\.hbs:4:14: the rendered template is not valid JSON: expected a property name in double quotes, unexpected ","$/],
    ["an unquoted value", { template: TEMPLATE.replace("{{json appId}}", "{{appId}}") }, ["render", "staging"], /^mdeploy: app\.json\.hbs:2:9: the rendered template is not valid JSON: .*this expression rendered/],
    ["an unknown environment", {}, ["render", "qa"], /^mdeploy: unknown environment "qa" \(mdeploy\.yml: environments are staging, production\)$/],
    ["a misspelled config key", { config: CONFIG.replace("    agents: 1", "    agnets: 1") }, ["render", "staging"], /^mdeploy: mdeploy\.yml:6:5: environments\.staging\.agnets: unknown key \(did you mean "agents"\?\)$/],
    ["minimumHealthCapacity 1.5", { template: TEMPLATE.replace('"mem": 300,', '"mem": 300, "upgradeStrategy": { "minimumHealthCapacity": 1.5, "maximumOverCapacity": 0 },') }, ["render", "staging"], /^mdeploy: app\.json\.hbs:4:61 \(staging\): \/upgradeStrategy\/minimumHealthCapacity: got 1\.5, expected between 0\.0 and 1\.0$/],
    ["a bad app id", { staging: VALUES("staging").replace("/staging/web", "/Staging/web_app") }, ["render", "staging"], /^mdeploy: app\.json\.hbs:2:9 \(staging\): \/id: invalid app id "\/Staging\/web_app": segment "Staging" may only contain/],
    ["a constraint with the wrong arity", { template: TEMPLATE.replace('["type", "CLUSTER", {{json environment}}]', '["hostname", "UNIQUE", "true"]') }, ["render", "staging"], /^mdeploy: app\.json\.hbs:11:19 \(staging\): \/constraints\/0: UNIQUE takes no value: write \["hostname", "UNIQUE"\]$/],
    ["one bad environment among good ones", { production: VALUES("production").replace("instances: 1", "instances: -2") }, ["render", "staging", "production"], /^mdeploy: app\.json\.hbs:3:16 \(production\): \/instances: must be a whole number >= 0 or "per-agent" \(got -2\)$/],
    ["a missing values file", { config: CONFIG.replace("values: staging.yml", "values: stagin.yml") }, ["render", "staging"], /^mdeploy: mdeploy\.yml: values file stagin\.yml not found$/],
    ["a missing --config file", {}, ["--config", "other.yml", "render", "staging"], /^mdeploy: other\.yml: configuration file not found/],
    ["an unknown flag", {}, ["render", "staging", "--frobnicate"], /^mdeploy: unknown option '--frobnicate'/],
    ["a missing environment argument", {}, ["render"], /^mdeploy: missing required argument 'env'/],
  ];

  it.each(badInput)("rejects %s: exit 2, one line, nothing written", async (_name, fixture, args, message) => {
    const dir = await project(fixture);
    const run = await runCli([...args, "--out-dir", "out"], { cwd: dir });
    expect(run.code).toBe(2);
    expect(run.stdout).toBe("");
    const firstLine = run.stderr.split("\n")[0] ?? "";
    expect(firstLine).toMatch(message);
    expect(run.stderr).not.toMatch(/^\s+at /m);
    expect(await written(dir)).toEqual([]);
  });

  it("rejects an unknown command with exit 2 and no stack trace", async () => {
    const dir = await project();
    const run = await runCli(["rendr", "staging"], { cwd: dir });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^mdeploy: /);
    expect(run.stderr).not.toMatch(/^\s+at /m);
    expect(await written(dir)).toEqual([]);
  });

  it("lists every config problem at once, each with its line", async () => {
    const dir = await project({ config: "marathon:\n  url: http://m:8080\nenvironments:\n  staging:\n    template: app.json.hbs\n    strategy: fast\n" });
    const run = await runCli(["render", "staging"], { cwd: dir });
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      'mdeploy: mdeploy.yml: 2 problems\n  mdeploy.yml:2:3: marathon.url: unknown key (did you mean "urls"?)\n  mdeploy.yml:6:15: environments.staging.strategy: must be one of "auto", "template", "rolling", "canary", "blue-green"\n',
    );
  });

  it("does not create the output directory when rendering fails", async () => {
    const dir = await project({ staging: "appId: /staging/web\n" });
    await mkdir(path.join(dir, "sub"));
    const run = await runCli(["render", "staging", "--out-dir", "sub/deeper"], { cwd: dir });
    expect(run.code).toBe(2);
    expect(await written(dir)).toEqual(["sub"]);
  });
});
