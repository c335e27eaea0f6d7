/**
 * The registry preflight as `mdeploy deploy` runs it: credentials, CA and insecure registries
 * from flags and mdeploy.yml, against a strict fake registry and the simulator.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { defaultCluster, startSimulator, type Simulator } from "../src/sim/index.js";
import { startFakeServer, type FakeServer } from "./helpers/fake-server.js";
import { runCli, type CliRun } from "./helpers/run-cli.js";
import { makeSelfSignedCert } from "./helpers/self-signed-cert.js";
import { fakeManifestRoute, fakeTokenServiceRoute, secretsIn, type FakeRegistryContent, type FakeTokens } from "./gitlab-fakes.js";

const USER = "deploy-token-user-8";
const PASSWORD = "deploy-token-password-f00d";
const content: FakeRegistryContent = {
  images: { "demo/app": ["1.0.0"] },
  users: { [USER]: { password: PASSWORD, pull: ["demo/app"] } },
};

const TEMPLATE = `{
  "id": "/staging/app",
  "instances": 1,
  "cpus": 0.1,
  "mem": 64,
  "container": { "type": "DOCKER", "docker": { "image": {{json env.IMAGE}} } },
  "constraints": [["type", "CLUSTER", "staging"]]
}
`;

let sim: Simulator | undefined;
const servers: FakeServer[] = [];
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  await sim?.close();
  sim = undefined;
  for (const server of servers.splice(0)) {
    expect(server.unexpected).toEqual([]);
    await server.close();
  }
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

async function project(config = "environments:\n  staging:\n    template: app.json.hbs\n"): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), "mdeploy-registry-deploy-"));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  await writeFile(path.join(dir, "mdeploy.yml"), config);
  await writeFile(path.join(dir, "app.json.hbs"), TEMPLATE);
  return dir;
}

/** A strict registry on `host` whose realm is its own /jwt/auth. */
async function registry(options: { host?: string; tls?: { cert: Buffer; key: Buffer } } = {}): Promise<{ server: FakeServer; name: string }> {
  const tokens: FakeTokens = new Map();
  let self = "";
  const server = await startFakeServer([fakeManifestRoute(content, tokens, () => `${self}/jwt/auth`), fakeTokenServiceRoute(content, tokens)], options);
  servers.push(server);
  self = server.url;
  return { server, name: new URL(server.url).host };
}

async function deploy(dir: string, args: string[], env: Record<string, string>, before: string[] = []): Promise<CliRun> {
  sim ??= await startSimulator({ cluster: defaultCluster(), speed: 500 });
  return runCli(["deploy", ...before, "staging", "--dotenv", "", ...args], { cwd: dir, timeoutMs: 60_000, env: { MARATHON_URL: sim.marathonUrls.join(","), MESOS_URL: sim.mesosUrl, ...env } });
}

describe("deploy's registry preflight", () => {
  it("no pull access (insufficient_scope after a token): exit 3 even under --skip-image-check, naming repository and credential; nothing sent", async () => {
    const { name } = await registry();
    const dir = await project();
    const env = { IMAGE: `${name}/demo/ap:1.0.0`, MDEPLOY_REGISTRY: name, MDEPLOY_REGISTRY_USER: USER, MDEPLOY_REGISTRY_PASSWORD: PASSWORD };
    const run = await deploy(dir, ["--skip-image-check", "--json", "--debug"], env);
    expect(run.code).toBe(3);
    expect(run.stderr).toContain(`tag not found or no pull access: ${name}/demo/ap:1.0.0`);
    expect(run.stderr).toContain(`credential MDEPLOY_REGISTRY_USER/MDEPLOY_REGISTRY_PASSWORD (user "${USER}", password hidden)`);
    expect(run.stderr).not.toContain("warning: image tag not checked");
    expect(JSON.parse(run.stdout)).toMatchObject({ ok: false, exitCode: 3 });
    expect(sim?.state.app("/staging/app")).toBeUndefined();
    expect(secretsIn(run.stdout + run.stderr, [PASSWORD, `${USER}:${PASSWORD}`])).toEqual([]);
  });

  it("--registry-ca: a registry behind a private CA is unreachable without it (exit 6) and checked with it", async () => {
    const cert = makeSelfSignedCert("mdeploy-registry-deploy-", "127.0.0.2");
    cleanups.push(() => rmSync(cert.dir, { recursive: true, force: true }));
    const { name } = await registry({ host: "127.0.0.2", tls: { cert: cert.cert, key: cert.key } });
    const dir = await project();
    const env = { IMAGE: `${name}/demo/app:1.0.0`, MDEPLOY_REGISTRY: name, MDEPLOY_REGISTRY_USER: USER, MDEPLOY_REGISTRY_PASSWORD: PASSWORD };
    const without = await deploy(dir, [], env);
    expect(without.code).toBe(6);
    expect(sim?.state.app("/staging/app")).toBeUndefined();
    const withCa = await deploy(dir, ["--registry-ca", cert.certFile], env);
    expect(withCa.code, withCa.stderr).toBe(0);
    expect(withCa.stdout).toContain(`image ${name}/demo/app:1.0.0 exists`);
  });

  it("--insecure-registry (before the environment name too) reaches a plain-HTTP registry that HTTPS cannot", async () => {
    const { name } = await registry({ host: "127.0.0.2" });
    const dir = await project();
    const env = { IMAGE: `${name}/demo/app:1.0.0`, MDEPLOY_REGISTRY: name, MDEPLOY_REGISTRY_USER: USER, MDEPLOY_REGISTRY_PASSWORD: PASSWORD };
    const without = await deploy(dir, [], env);
    expect(without.code).toBe(6);
    const run = await deploy(dir, [], env, ["--insecure-registry", name]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(`image ${name}/demo/app:1.0.0 exists`);
  });

  it("mdeploy.yml: insecureRegistries for a plain-HTTP registry, per-registry credentials from the variables it names", async () => {
    const { name, server } = await registry({ host: "127.0.0.2" });
    const dir = await project(
      `registries:\n  "${name}":\n    usernameEnv: APP_REGISTRY_USER\n    passwordEnv: APP_REGISTRY_PASS\ninsecureRegistries: ["${name}"]\nenvironments:\n  staging:\n    template: app.json.hbs\n`,
    );
    const run = await deploy(dir, ["--json"], { IMAGE: `${name}/demo/app:1.0.0`, APP_REGISTRY_USER: USER, APP_REGISTRY_PASS: PASSWORD });
    expect(run.code, run.stderr).toBe(0);
    expect(server.requests.filter((r) => r.url.pathname === "/jwt/auth").map((r) => r.headers.authorization)).toEqual([`Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString("base64")}`]);
    expect(secretsIn(run.stdout + run.stderr, [PASSWORD, `${USER}:${PASSWORD}`])).toEqual([]);
  });
});
