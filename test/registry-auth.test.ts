import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { TemplateError } from "../src/errors.js";
import { renderJsonTemplate } from "../src/template/render-template.js";
import { registryAuthHelpers } from "../src/template/helpers-registry-auth.js";
import { startFakeServer } from "./helpers/fake-server.js";
import { runCli } from "./helpers/run-cli.js";
import { scratchDir, secretsIn } from "./gitlab-fakes.js";

const USER = "gitlab+deploy-token-9";
const PASSWORD = "read-registry-deploy-token-secret";

describe("mdeploy registry-auth", () => {
  it("writes docker.tar.gz with .docker/config.json for the registry, mode 0600, no password in output", async () => {
    const dir = scratchDir("registry-auth");
    const run = await runCli(["registry-auth"], {
      cwd: dir,
      env: { CI_REGISTRY: "registry.example.com", MDEPLOY_REGISTRY_USER: USER, MDEPLOY_REGISTRY_PASSWORD: PASSWORD },
    });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^wrote docker\.tar\.gz: \.docker\/config\.json for registry\.example\.com \(user gitlab\+deploy-token-9/);
    expect(secretsIn(run.stdout + run.stderr, [PASSWORD])).toEqual([]);
    const archive = join(dir, "docker.tar.gz");
    expect(statSync(archive).mode & 0o777).toBe(0o600);
    execFileSync("tar", ["-xzf", archive, "-C", dir]);
    const config = JSON.parse(readFileSync(join(dir, ".docker", "config.json"), "utf8")) as { auths: Record<string, { auth: string }> };
    expect(Buffer.from(config.auths["registry.example.com"]?.auth ?? "", "base64").toString()).toBe(`${USER}:${PASSWORD}`);
  });

  it("refuses job-only credentials (they expire with the job): exit 2, nothing written", async () => {
    const dir = scratchDir("registry-auth");
    const run = await runCli(["registry-auth"], { cwd: dir, env: { CI_REGISTRY: "registry.example.com", CI_REGISTRY_USER: "gitlab-ci-token", CI_REGISTRY_PASSWORD: PASSWORD } });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/CI_REGISTRY_PASSWORD is valid only while the job runs/);
    expect(readdirSync(dir)).toEqual([]);
    expect(run.stderr).not.toContain(PASSWORD);
  });

  it("--verify-image with credentials the registry rejects: exit 6, nothing written", async () => {
    const registry = await startFakeServer([
      { method: "HEAD", path: "/v2/group/app/manifests/1.0", reply: () => ({ status: 401, headers: { "www-authenticate": `Bearer realm="${registry.url}/jwt/auth",service="container_registry"` } }) },
      { method: "GET", path: "/jwt/auth", reply: () => ({ status: 401, body: { errors: [{ code: "UNAUTHORIZED" }] } }) },
    ]);
    const host = new URL(registry.url).host;
    const dir = scratchDir("registry-auth");
    const run = await runCli(["registry-auth", "--registry", host, "--verify-image", `${host}/group/app:1.0`], {
      cwd: dir,
      env: { CI_DEPLOY_USER: USER, CI_DEPLOY_PASSWORD: PASSWORD },
    });
    expect(run.code).toBe(6);
    expect(run.stderr).toMatch(/rejected the credentials from CI_DEPLOY_USER\/CI_DEPLOY_PASSWORD/);
    expect(existsSync(join(dir, "docker.tar.gz"))).toBe(false);
    expect(secretsIn(run.stdout + run.stderr, [PASSWORD])).toEqual([]);
    expect(registry.unexpected).toEqual([]);
    await registry.close();
  });
});

describe("registry-auth template helpers", () => {
  const render = (source: string) => renderJsonTemplate({ source, fileName: "app.json.hbs", context: { env: {} }, helpers: registryAuthHelpers }).value;

  it("registryAuthFetch adds the fetch entry for the archive", () => {
    expect(render('{"id": "/app", "fetch": [ {{registryAuthFetch}} ]}')).toEqual({
      id: "/app",
      fetch: [{ uri: "file:///etc/docker.tar.gz", extract: true, executable: false, cache: false }],
    });
  });

  it("takes another URI, and registryAuthUri serves the old uris field", () => {
    expect(render('{"fetch": [ {{registryAuthFetch "https://files.internal/docker.tar.gz"}} ], "uris": [ {{registryAuthUri}} ]}')).toEqual({
      fetch: [{ uri: "https://files.internal/docker.tar.gz", extract: true, executable: false, cache: false }],
      uris: ["file:///etc/docker.tar.gz"],
    });
  });

  it("an argument that resolves to nothing is a template error, not the default", () => {
    expect(() => render('{"fetch": [ {{registryAuthFetch env.DOCKER_AUTH_URI}} ]}')).toThrow(/env\.DOCKER_AUTH_URI/);
  });

  it("a URI that is not a fetchable .tar.gz is a template error naming the line", () => {
    expect(() => render('{\n"fetch": [ {{registryAuthFetch "/etc/docker.tar.gz"}} ]}')).toThrow(TemplateError);
    expect(() => render('{\n"fetch": [ {{registryAuthFetch "/etc/docker.tar.gz"}} ]}')).toThrow(/app\.json\.hbs:2.*registryAuthFetch: the URI must be/);
  });
});
