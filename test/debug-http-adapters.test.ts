/**
 * `--debug` shows HTTP for every adapter, because every adapter sends through the one
 * seam that publishes (src/http/http-events.ts): GitLab (the health check's light client
 * and the API client) and the registry, not only Marathon. Secrets never appear: API and
 * runner tokens, a token in a query string, registry passwords and the bearer token the
 * token service hands out.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { defaultCluster, startSimulator, type Simulator } from "../src/sim/index.js";
import { fakeManifestRoute, fakeTokenServiceRoute, secretsIn, type FakeTokens } from "./gitlab-fakes.js";
import { startFakeServer, type FakeRoute, type FakeServer } from "./helpers/fake-server.js";
import { runCli } from "./helpers/run-cli.js";

const API_TOKEN = "glpat-debug-api-token-5e1f";
const RUNNER_TOKEN = "legacy0debug0runner0token0777";
const METRICS_SECRET = "metrics-query-secret-42";
const REGISTRY_USER = "debug-deploy-user";
const REGISTRY_PASSWORD = "debug-registry-password-b0b";

const servers: FakeServer[] = [];
const cleanups: (() => Promise<void>)[] = [];
let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
  for (const server of servers.splice(0)) {
    expect(server.unexpected).toEqual([]);
    await server.close();
  }
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

async function serve(routes: FakeRoute[]): Promise<FakeServer> {
  const server = await startFakeServer(routes);
  servers.push(server);
  return server;
}

async function scratch(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), "mdeploy-debug-adapters-"));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

const ms = String.raw`\(\d+ ms\)`;
const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

describe("--debug shows every adapter's requests", () => {
  it("runner-health: the GitLab read and the metrics read, the query's token hidden, no token anywhere", async () => {
    const runner = { id: 6, description: "debug", paused: false, status: "online", contacted_at: new Date().toISOString(), tag_list: [] };
    const gitlab = await serve([{ method: "GET", path: "/api/v4/runners/6", reply: (request) => (request.headers["private-token"] === API_TOKEN ? { body: runner } : { status: 401, body: { message: "401 Unauthorized" } }) }]);
    const metricsPage = `gitlab_runner_api_request_statuses_total{endpoint="request_job",status="204"} 10\nprocess_start_time_seconds ${Date.now() / 1000 - 7200}\n`;
    const metrics = await serve([{ method: "GET", path: "/metrics", reply: () => ({ headers: { "content-type": "text/plain" }, body: metricsPage }) }]);
    const dir = await scratch();
    const run = await runCli(["runner-health", "--runner-id", "6", "--metrics-url", `${metrics.url}/metrics?token=${METRICS_SECRET}`, "--state-file", path.join(dir, "s.json"), "--debug"], {
      env: { GITLAB_URL: gitlab.url, GITLAB_TOKEN: API_TOKEN },
      timeoutMs: 20_000,
    });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(new RegExp(`http: GET ${escape(gitlab.url)}/api/v4/runners/6 -> 200 OK ${ms}`));
    expect(run.stderr).toMatch(new RegExp(`http: GET ${escape(metrics.url)}/metrics\\?token=REDACTED -> 200 OK ${ms}`));
    expect(secretsIn(run.stdout + run.stderr, [API_TOKEN, METRICS_SECRET])).toEqual([]);
  });

  it("runner-unregister: the DELETE with its status; the runner token (sent in the form) appears nowhere", async () => {
    const gitlab = await serve([{ method: "DELETE", path: "/api/v4/runners", times: 1, reply: (request) => (new URLSearchParams(request.body).get("token") === RUNNER_TOKEN ? { status: 204 } : { status: 400 }) }]);
    const run = await runCli(["runner-unregister", "--debug"], { env: { GITLAB_URL: gitlab.url, GITLAB_RUNNER_TOKEN: RUNNER_TOKEN }, timeoutMs: 20_000 });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(new RegExp(`http: DELETE ${escape(gitlab.url)}/api/v4/runners -> 204 No Content ${ms}`));
    expect(secretsIn(run.stdout + run.stderr, [RUNNER_TOKEN])).toEqual([]);
  });

  it("deploy's image check: the registry's challenge, the token GET and the authorised HEAD; neither password nor bearer token shown", { timeout: 60_000 }, async () => {
    const tokens: FakeTokens = new Map();
    let self = "";
    const content = { images: { "demo/app": ["1.0.0"] }, users: { [REGISTRY_USER]: { password: REGISTRY_PASSWORD, pull: ["demo/app"] } } };
    const registry = await serve([fakeManifestRoute(content, tokens, () => `${self}/jwt/auth`), fakeTokenServiceRoute(content, tokens)]);
    self = registry.url;
    const name = new URL(registry.url).host;
    const dir = await scratch();
    await writeFile(path.join(dir, "mdeploy.yml"), "environments:\n  staging:\n    template: app.json.hbs\n");
    await writeFile(
      path.join(dir, "app.json.hbs"),
      '{ "id": "/staging/app", "instances": 1, "cpus": 0.1, "mem": 64, "container": { "type": "DOCKER", "docker": { "image": {{json env.IMAGE}} } } }\n',
    );
    sim = await startSimulator({ cluster: defaultCluster(), speed: 500 });
    const run = await runCli(["deploy", "staging", "--dotenv", "", "--debug"], {
      cwd: dir,
      timeoutMs: 60_000,
      env: { MARATHON_URL: sim.marathonUrl, MESOS_URL: sim.mesosUrl, IMAGE: `${name}/demo/app:1.0.0`, MDEPLOY_REGISTRY: name, MDEPLOY_REGISTRY_USER: REGISTRY_USER, MDEPLOY_REGISTRY_PASSWORD: REGISTRY_PASSWORD },
    });
    expect(run.code, run.stderr).toBe(0);
    const manifest = escape(`${registry.url}/v2/demo/app/manifests/1.0.0`);
    expect(run.stderr).toMatch(new RegExp(`http: HEAD ${manifest} -> 401 Unauthorized ${ms}`));
    expect(run.stderr).toMatch(new RegExp(`http: GET ${escape(registry.url)}/jwt/auth -> 200 OK ${ms}`));
    expect(run.stderr).toMatch(new RegExp(`http: HEAD ${manifest} -> 200 OK ${ms}`));
    const issued = [...tokens.keys()];
    expect(issued.length).toBeGreaterThan(0);
    const basic = Buffer.from(`${REGISTRY_USER}:${REGISTRY_PASSWORD}`).toString("base64");
    expect(secretsIn(run.stdout + run.stderr, [REGISTRY_PASSWORD, basic, ...issued])).toEqual([]);
  });
});
