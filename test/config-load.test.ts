/**
 * loadConfig against real files: paths resolve against the config file's
 * directory, missing files are named, and every secret read is registered with
 * the redactor before anything can print it.
 */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { loadConfig } from "../src/config/load-config.js";
import { createRedactor } from "../src/core/redact.js";
import { ConfigError } from "../src/errors.js";

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

async function tree(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), "mdeploy-config-"));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, name)), { recursive: true });
    await writeFile(path.join(dir, name), text);
  }
  return dir;
}

describe("loadConfig", () => {
  it("resolves template, values and CA paths against the config file's directory", async () => {
    const dir = await tree({
      "deploy/mdeploy.yml": "marathon:\n  caFile: certs/ca.pem\nenvironments:\n  staging:\n    template: apps/web.json.hbs\n    values: apps/staging.yml\n",
      "deploy/apps/staging.yml": "domain: staging.example.com\n",
    });
    const config = await loadConfig({ cwd: dir, file: "deploy/mdeploy.yml", env: {}, redactor: createRedactor() });
    expect(config.configFile).toBe(path.join(dir, "deploy/mdeploy.yml"));
    expect(config.baseDir).toBe(path.join(dir, "deploy"));
    expect(config.environments.staging?.template).toBe(path.join(dir, "deploy/apps/web.json.hbs"));
    expect(config.environments.staging?.variables).toEqual({ domain: "staging.example.com" });
    expect(config.marathon.caFile).toBe(path.join(dir, "deploy/certs/ca.pem"));
  });

  it("uses defaults when the default mdeploy.yml does not exist", async () => {
    const dir = await tree({});
    const config = await loadConfig({ cwd: dir, env: { MARATHON_URL: "http://m:8080" }, redactor: createRedactor() });
    expect(config.configFile).toBeUndefined();
    expect(config.environments).toEqual({});
    expect(config.marathon.urls).toEqual(["http://m:8080"]);
  });

  it("names a --config file that does not exist", async () => {
    const dir = await tree({});
    await expect(loadConfig({ cwd: dir, file: "ci/mdeploy.yml", env: {}, redactor: createRedactor() })).rejects.toThrow(new ConfigError(`ci/mdeploy.yml: configuration file not found (looked in ${path.join(dir, "ci")})`));
  });

  it("names a values file's own line when it is broken", async () => {
    const dir = await tree({
      "mdeploy.yml": "environments:\n  staging:\n    template: t.hbs\n    values: v/staging.yml\n",
      "v/staging.yml": "domain: a\ndomain: b\n",
    });
    await expect(loadConfig({ cwd: dir, env: {}, redactor: createRedactor() })).rejects.toThrow(/^v\/staging\.yml:2:1: /);
  });

  it("registers every secret it reads with the redactor", async () => {
    const dir = await tree({
      "mdeploy.yml": "environments:\n  production:\n    template: t.hbs\n    secrets: [SESSION_KEY]\n    marathon:\n      passwordEnv: PROD_MARATHON_PASS\n",
    });
    const redactor = createRedactor();
    const env = { MARATHON_PASSWORD: "global-pass-1", PROD_MARATHON_PASS: "prod-pass-2", MARATHON_TOKEN: "dcos-token-3", GITLAB_TOKEN: "gitlab-4444", SESSION_KEY: "session-5555", SOME_SECRET: "other-6666", CI_COMMIT_SHA: "abcdef12" };
    const config = await loadConfig({ cwd: dir, env, redactor });
    expect(config.environments.production?.marathon.password).toBe("prod-pass-2");
    // Credential variables named in the file become secret variables: templates see placeholders.
    expect(config.environments.production?.secretVariables).toEqual(["SESSION_KEY", "PROD_MARATHON_PASS"]);
    const text = Object.values(env).join(" ");
    expect(redactor.redact(text)).toBe("[REDACTED] [REDACTED] [REDACTED] [REDACTED] [REDACTED] [REDACTED] abcdef12");
  });

  it("applies flag overrides last", async () => {
    const dir = await tree({ "mdeploy.yml": "marathon:\n  urls: [http://file:8080]\nenvironments:\n  staging:\n    template: t.hbs\n" });
    const config = await loadConfig({ cwd: dir, env: { MARATHON_URL: "http://env:8080" }, redactor: createRedactor(), overrides: { marathon: { urls: ["http://flag:8080"] } } });
    expect(config.environments.staging?.marathon.urls).toEqual(["http://flag:8080"]);
  });
});
