/**
 * Bounded memory: a server that answers with a body that never ends (a proxy gone
 * wrong, a URL that points at a download) is read only up to the adapter's cap,
 * then the command fails (exit 6) naming the URL and the cap. Memory is bounded
 * because reading stops: each test asserts the error came before the server had
 * sent much more than the cap (it writes with backpressure, so what it sent is what
 * was read plus the sockets' buffers), not on time or RSS samples.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import type { ServerResponse } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ResponseTooLargeError } from "../src/http/body-limit.js";
import { createLightHttpTransport } from "../src/http/light-transport.js";
import { createRunnerTokenApi } from "../src/gitlab/gitlab-api.js";
import { checkImageTagExists } from "../src/registry/image-check.js";
import { startFakeServer, type FakeServer } from "./helpers/fake-server.js";
import { runCli } from "./helpers/run-cli.js";

const MB = 1024 * 1024;
/** Loopback socket buffers on both sides hold a few MB beyond what the reader took. */
const SLACK = 16 * MB;

const servers: FakeServer[] = [];
let dir: string | undefined;
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

/** Writes `prefix` then "a" forever, with backpressure, until the client goes away; counts what it sent. */
function endless(status: number, prefix: string, headers: Record<string, string> = { "content-type": "application/json" }) {
  const meter = { sent: 0 };
  const reply = (_request: unknown, res: ServerResponse) => {
    res.writeHead(status, headers);
    const chunk = Buffer.alloc(64 * 1024, "a");
    let stopped = false;
    res.on("close", () => (stopped = true));
    res.write(prefix);
    const pump = () => {
      while (!stopped) {
        meter.sent += chunk.length;
        if (!res.write(chunk)) {
          res.once("drain", pump);
          return;
        }
      }
    };
    pump();
  };
  return { meter, reply };
}

async function serve(routes: Parameters<typeof startFakeServer>[0]): Promise<FakeServer> {
  const server = await startFakeServer(routes);
  servers.push(server);
  return server;
}

async function project(image = "registry.example.com/demo/click-count:1.0.0"): Promise<string> {
  dir = await mkdtemp(path.join(tmpdir(), "mdeploy-cap-"));
  await writeFile(path.join(dir, "mdeploy.yml"), "environments:\n  staging:\n    template: app.json.hbs\n");
  await writeFile(
    path.join(dir, "app.json.hbs"),
    `{ "id": "/staging/click-count", "instances": 1, "cpus": 0.25, "mem": 300, "container": { "type": "DOCKER", "docker": { "image": "${image}" } } }\n`,
  );
  return dir;
}

describe("answers that never end are cut at the adapter's cap", () => {
  it("Marathon, one app: mdeploy plan exits 6 naming the URL and 16 MB, having read little more than that", { timeout: 60_000 }, async () => {
    const app = endless(200, '{"app":{"id":"');
    const marathon = await serve([{ method: "GET", path: "/v2/apps/staging/click-count", reply: app.reply }]);
    const run = await runCli(["plan", "staging"], { cwd: await project(), env: { MARATHON_URL: marathon.url }, timeoutMs: 50_000 });
    expect(run.code, run.stderr).toBe(6);
    expect(run.stderr).toMatch(new RegExp(`GET ${marathon.url}/v2/apps/staging/click-count\\?embed=\\S+: the answer is larger than 16 MB; mdeploy stopped reading it there`));
    expect(run.stderr).not.toMatch(/\n\s+at /);
    expect(app.meter.sent).toBeGreaterThan(16 * MB);
    expect(app.meter.sent, `${app.meter.sent} bytes sent`).toBeLessThan(16 * MB + SLACK);
  });

  it("Mesos /master/slaves: exit 6 naming the URL and 64 MB", { timeout: 60_000 }, async () => {
    const slaves = endless(200, '{"slaves":[{"id":"');
    const marathon = await serve([{ method: "GET", path: "/v2/apps/staging/click-count", reply: () => ({ status: 404, body: { message: "App '/staging/click-count' does not exist" } }) }]);
    const mesos = await serve([{ method: "GET", path: "/master/slaves", reply: slaves.reply }]);
    const run = await runCli(["plan", "staging"], { cwd: await project(), env: { MARATHON_URL: marathon.url, MESOS_URL: mesos.url }, timeoutMs: 50_000 });
    expect(run.code, run.stderr).toBe(6);
    expect(run.stderr).toContain(`GET ${mesos.url}/master/slaves: the answer is larger than 64 MB`);
    expect(mesos.requests, "one read, no retry").toHaveLength(1);
    expect(slaves.meter.sent, `${slaves.meter.sent} bytes sent`).toBeLessThan(64 * MB + SLACK);
  });

  it("the registry's token service: deploy's image check exits 6 naming the URL and 1 MB, before anything is sent to Marathon", { timeout: 60_000 }, async () => {
    const token = endless(200, '{"token":"');
    const registry = await serve([
      { method: "HEAD", path: "/v2/demo/click-count/manifests/1.0.0", reply: (request) => ({ status: 401, headers: { "www-authenticate": `Bearer realm="http://${request.headers.host}/jwt/auth",service="registry"` } }) },
      { method: "GET", path: "/jwt/auth", reply: token.reply },
    ]);
    const marathon = await serve([
      { method: "GET", path: "/v2/deployments", reply: () => ({ body: [] }) },
      { method: "GET", path: "/v2/apps/staging/click-count", reply: () => ({ status: 404, body: { message: "App '/staging/click-count' does not exist" } }) },
    ]);
    const image = `${new URL(registry.url).host}/demo/click-count:1.0.0`;
    const run = await runCli(["deploy", "staging", "--dotenv", ""], { cwd: await project(image), env: { MARATHON_URL: marathon.url }, timeoutMs: 50_000 });
    expect(run.code, run.stderr).toBe(6);
    expect(run.stderr).toContain(`GET ${registry.url}/jwt/auth: the answer is larger than 1 MB`);
    expect(token.meter.sent).toBeLessThan(1 * MB + SLACK);
    expect(marathon.requests.filter((r) => r.method !== "GET")).toEqual([]);
  });

  it("the registry adapter itself: ResponseTooLargeError (exit 6)", async () => {
    const token = endless(200, '{"token":"');
    const registry = await serve([
      { method: "HEAD", path: "/v2/demo/app/manifests/1", reply: (request) => ({ status: 401, headers: { "www-authenticate": `Bearer realm="http://${request.headers.host}/jwt/auth"` } }) },
      { method: "GET", path: "/jwt/auth", reply: token.reply },
    ]);
    const error = await checkImageTagExists({ image: `${new URL(registry.url).host}/demo/app:1`, timeoutMs: 20_000 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ResponseTooLargeError);
    expect((error as ResponseTooLargeError).exitCode).toBe(6);
  });

  it("GitLab, the health check's client: an endless answer is an error naming the URL (4 MB), not a body cut short in silence", async () => {
    const metrics = endless(200, "# HELP", { "content-type": "text/plain" });
    const gitlab = await serve([{ method: "GET", path: "/metrics", reply: metrics.reply }]);
    const client = createLightHttpTransport({ signal: AbortSignal.timeout(20_000) });
    const error = await client.request({ method: "GET", url: `${gitlab.url}/metrics?token=hidden-value` }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ResponseTooLargeError);
    expect((error as Error).message).toBe(`GET ${gitlab.url}/metrics: the answer is larger than 4 MB; mdeploy stopped reading it there`);
    expect(metrics.meter.sent).toBeLessThan(4 * MB + SLACK);
  });

  it("GitLab, an error answer's message: read up to 1 MB, then ResponseTooLargeError", async () => {
    const failure = endless(500, '{"message":"');
    const gitlab = await serve([{ method: "DELETE", path: "/api/v4/runners/managers", reply: failure.reply }]);
    const api = createRunnerTokenApi({ url: gitlab.url, timeoutMs: 20_000 });
    const error = await api.removeManager("glrt-secret-token", "s_1").then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ResponseTooLargeError);
    expect((error as Error).message).toContain(`DELETE ${gitlab.url}/api/v4/runners/managers: the answer is larger than 1 MB`);
    expect((error as Error).message).not.toContain("glrt-secret-token");
    expect(failure.meter.sent).toBeLessThan(1 * MB + SLACK);
  });
});
