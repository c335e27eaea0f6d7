import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { startFakeServer, type FakeRoute, type FakeServer } from "./helpers/fake-server.js";
import { runCli } from "./helpers/run-cli.js";
import { makeSelfSignedCert } from "./helpers/self-signed-cert.js";
import { gitlabFixture, runnerMetricsPage, scratchDir, secretsIn, writesIn } from "./gitlab-fakes.js";

const API_TOKEN = "glpat-health-check-api-token-123";
const RUNNER_TOKEN = "glrt-shared-runner-token-abcdef";
const SYSTEM_ID = "r_0a1b2c3d4e5f";

const servers: FakeServer[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await server.close();
});

async function start(routes: FakeRoute[]): Promise<FakeServer> {
  const server = await startFakeServer(routes);
  servers.push(server);
  return server;
}

const runner = gitlabFixture<Record<string, unknown>>("runner-6.json");
const managers = gitlabFixture<Record<string, unknown>[]>("runner-6-managers.json");

interface Case {
  runnerBody?: Record<string, unknown>;
  runnerStatus?: number;
  /** Replaces GitLab's answer to GET /runners/6 (status, headers, body). */
  runnerReply?: { status: number; headers?: Record<string, string>; body: unknown };
  managersBody?: unknown;
  metrics?: { startedSecondsAgo: number; ok?: number; rejected?: number } | "down";
  extraArgs?: string[];
}

/** Starts a fake GitLab and a fake runner metrics endpoint for one case and runs the CLI against them. */
async function healthCheck(c: Case) {
  const gitlab = await start([
    {
      method: "GET",
      path: "/api/v4/runners/6",
      times: 1,
      reply: (request) =>
        request.headers["private-token"] !== API_TOKEN
          ? { status: 401, body: { message: "401 Unauthorized" } }
          : (c.runnerReply ?? { status: c.runnerStatus ?? 200, body: c.runnerStatus && c.runnerStatus !== 200 ? { message: `${c.runnerStatus}` } : (c.runnerBody ?? runner) }),
    },
    { method: "GET", path: "/api/v4/runners/6/managers", times: 1, reply: () => ({ body: c.managersBody ?? managers }) },
  ]);
  const page = c.metrics;
  const metricsRoutes: FakeRoute[] =
    page === "down"
      ? [{ method: "GET", path: "/metrics", reply: () => ({ status: 500, body: "boom" }) }]
      : [{ method: "GET", path: "/metrics", times: 1, reply: () => ({ headers: { "content-type": "text/plain" }, body: runnerMetricsPage(page ?? { startedSecondsAgo: 7200 }) }) }];
  const metrics = await start(metricsRoutes);
  const dir = scratchDir("health");
  const run = await runCli(
    ["runner-health", "--runner-id", "6", "--system-id", SYSTEM_ID, "--metrics-url", `${metrics.url}/metrics`, "--state-file", join(dir, "state.json"), ...(c.extraArgs ?? [])],
    { env: { GITLAB_URL: gitlab.url, GITLAB_TOKEN: API_TOKEN, GITLAB_RUNNER_TOKEN: RUNNER_TOKEN }, timeoutMs: 20_000 },
  );
  expect(gitlab.unexpected).toEqual([]);
  expect(metrics.unexpected).toEqual([]);
  // Read-only: with an API token, GitLab gets GETs and nothing else.
  expect(writesIn(gitlab.requests)).toEqual([]);
  expect(secretsIn(run.stdout + run.stderr, [API_TOKEN, RUNNER_TOKEN])).toEqual([]);
  return run;
}

/** The whole output, which must be exactly one line. */
function oneLine(run: { stdout: string; stderr: string }): string {
  const text = (run.stdout + run.stderr).trim();
  expect(text.split("\n")).toHaveLength(1);
  return text;
}

describe("mdeploy runner-health", () => {
  it("healthy: runner active, this container's manager online, metrics answer", async () => {
    const run = await healthCheck({});
    expect(run.code).toBe(0);
    expect(oneLine(run)).toMatch(/^healthy: process answers, runner 6 active \(online\), manager r_0a1b2c3d4e5f online$/);
  });

  it.each<[string, Case, RegExp]>([
    ["paused", { runnerBody: { ...runner, paused: true, active: false } }, /runner 6 is paused in GitLab/],
    ["deleted (GitLab's JSON 404 for the runner)", { runnerReply: { status: 404, body: { message: "404 Runner Not Found" } } }, /runner 6 no longer exists in GitLab \(404 from its API\)/],
    ["deleted (JSON 404 of a missing record)", { runnerReply: { status: 404, body: { message: "404 Not found" } } }, /runner 6 no longer exists in GitLab/],
    ["stale", { runnerBody: { ...runner, status: "stale", online: false } }, /runner 6 is stale/],
    [
      "never contacted past the grace",
      { runnerBody: { ...runner, status: "never_contacted", online: null, contacted_at: null }, managersBody: [], metrics: { startedSecondsAgo: 900 } },
      /runner 6 has never contacted GitLab \(started 900 s ago\)/,
    ],
    ["this container's manager stale while another is online", { managersBody: [managers[1], { ...managers[0], system_id: SYSTEM_ID, status: "stale" }] }, /manager r_0a1b2c3d4e5f of runner 6 is stale/],
    ["token rejected by GitLab on job requests", { metrics: { startedSecondsAgo: 600, ok: 0, rejected: 3 } }, /GitLab rejects this runner's job requests as unauthorized/],
    ["metrics down", { metrics: "down" }, /runner metrics at http:\/\/127\.0\.0\.1:\d+\/metrics do not answer: 500/],
    ["REST status paused without the paused field (older GitLab)", { runnerBody: { ...runner, paused: undefined, active: undefined, status: "paused" } }, /runner 6 is paused in GitLab/],
    ["14.x not_connected past the grace", { runnerBody: { ...runner, status: "not_connected", contacted_at: null }, managersBody: [], metrics: { startedSecondsAgo: 900 } }, /runner 6 has never contacted GitLab/],
  ])("unhealthy: %s", async (_name, c, reason) => {
    const run = await healthCheck(c);
    expect(run.code).toBe(1);
    const line = oneLine(run);
    expect(line).toMatch(/^mdeploy: unhealthy: /);
    expect(line).toMatch(reason);
  });

  it("healthy inside the start-up grace although GitLab never heard from it", async () => {
    const run = await healthCheck({
      runnerBody: { ...runner, status: "never_contacted", online: null, contacted_at: null },
      managersBody: [],
      metrics: { startedSecondsAgo: 30 },
    });
    expect(run.code).toBe(0);
    expect(oneLine(run)).toMatch(/inside start-up grace/);
  });

  it("GitLab down (503): healthy with a warning, unhealthy with --strict", async () => {
    const lenient = await healthCheck({ runnerStatus: 503 });
    expect(lenient.code).toBe(0);
    expect(oneLine(lenient)).toMatch(/^healthy: process answers; warning: GitLab unreachable or misconfigured, not judged: GET http:\/\/127\.0\.0\.1:\d+\/api\/v4\/runners\/6: 503/);
    const strict = await healthCheck({ runnerStatus: 503, extraArgs: ["--strict"] });
    expect(strict.code).toBe(1);
    expect(oneLine(strict)).toMatch(/^mdeploy: unhealthy: GitLab unreachable or misconfigured \(--strict\)/);
  });

  it("GitLab refusing connections: healthy with a warning", async () => {
    const metrics = await start([{ method: "GET", path: "/metrics", reply: () => ({ body: runnerMetricsPage({ startedSecondsAgo: 7200 }) }) }]);
    const run = await runCli(["runner-health", "--runner-id", "6", "--metrics-url", `${metrics.url}/metrics`, "--state-file", join(scratchDir("health"), "s.json")], {
      env: { GITLAB_URL: "http://127.0.0.1:1", GITLAB_TOKEN: API_TOKEN },
    });
    expect(run.code).toBe(0);
    expect(oneLine(run)).toMatch(/warning: GitLab unreachable or misconfigured, not judged: .*connection refused/);
  });

  it("GitLab slower than the timeout: still answers, within the timeout", async () => {
    const gitlab = await start([
      // Never answers; the check must give up on its own.
      { method: "GET", path: "/api/v4/runners/6", reply: () => new Promise<void>(() => undefined) },
    ]);
    const metrics = await start([{ method: "GET", path: "/metrics", reply: () => ({ body: runnerMetricsPage({ startedSecondsAgo: 7200 }) }) }]);
    const args = ["runner-health", "--runner-id", "6", "--metrics-url", `${metrics.url}/metrics`, "--timeout", "2", "--state-file", join(scratchDir("health"), "s.json")];
    const env = { GITLAB_URL: gitlab.url, GITLAB_TOKEN: API_TOKEN };
    const started = Date.now();
    const lenient = await runCli(args, { env, timeoutMs: 10_000 });
    expect(Date.now() - started).toBeLessThan(2000);
    expect(lenient.code).toBe(0);
    expect(oneLine(lenient)).toMatch(/GitLab unreachable or misconfigured, not judged: GET .*: no answer within the time limit/);
    const strictStarted = Date.now();
    const strict = await runCli([...args, "--strict"], { env, timeoutMs: 10_000 });
    expect(Date.now() - strictStarted).toBeLessThan(2000);
    expect(strict.code).toBe(1);
    expect(gitlab.unexpected).toEqual([]);
  });

  it("a token GitLab stopped accepting stays unhealthy after the runner backs off", async () => {
    const dir = scratchDir("health");
    const state = join(dir, "state.json");
    // Previous check: 40 successes, 0 rejections. Now: 2 rejections and no new success.
    writeFileSync(state, JSON.stringify({ rejected: 0, succeeded: 40, rejecting: false }));
    let page = runnerMetricsPage({ startedSecondsAgo: 7200, ok: 40, rejected: 2 });
    const metrics = await start([{ method: "GET", path: "/metrics", times: 2, reply: () => ({ body: page }) }]);
    const args = ["runner-health", "--metrics-url", `${metrics.url}/metrics`, "--state-file", state];
    const first = await runCli(args);
    expect(first.code).toBe(1);
    expect(oneLine(first)).toMatch(/rejects this runner's job requests/);
    // gitlab-runner stopped asking: counters unchanged, still unhealthy.
    page = runnerMetricsPage({ startedSecondsAgo: 7260, ok: 40, rejected: 2 });
    const second = await runCli(args);
    expect(second.code).toBe(1);
    expect(metrics.unexpected).toEqual([]);
  });

  describe("default mode without an API token: GitLab's view from the runner's own metrics", () => {
    it("asks GitLab nothing (the runner token is there, yet no POST /runners/verify)", async () => {
      const gitlab = await start([]);
      const metrics = await start([{ method: "GET", path: "/metrics", times: 1, reply: () => ({ body: runnerMetricsPage({ startedSecondsAgo: 7200, ok: 25 }) }) }]);
      const run = await runCli(["runner-health", "--metrics-url", `${metrics.url}/metrics`, "--system-id", SYSTEM_ID, "--state-file", join(scratchDir("health"), "s.json")], {
        env: { GITLAB_URL: gitlab.url, GITLAB_RUNNER_TOKEN: RUNNER_TOKEN },
      });
      expect(run.code).toBe(0);
      expect(oneLine(run)).toBe("healthy: process answers, GitLab accepts its job requests (25 answered, from the runner's metrics)");
      expect(gitlab.requests).toEqual([]);
      expect(metrics.unexpected).toEqual([]);
    });

    it("job requests answered 403 (runner deleted or token revoked): unhealthy, still without asking GitLab", async () => {
      const gitlab = await start([]);
      const metrics = await start([{ method: "GET", path: "/metrics", times: 1, reply: () => ({ body: runnerMetricsPage({ startedSecondsAgo: 7200, ok: 0, rejected: 4 }) }) }]);
      const run = await runCli(["runner-health", "--metrics-url", `${metrics.url}/metrics`, "--state-file", join(scratchDir("health"), "s.json")], {
        env: { GITLAB_URL: gitlab.url, GITLAB_RUNNER_TOKEN: RUNNER_TOKEN },
      });
      expect(run.code).toBe(1);
      expect(oneLine(run)).toMatch(/GitLab rejects this runner's job requests as unauthorized \(4 rejected/);
      expect(gitlab.requests).toEqual([]);
    });

    it("a metrics page that is not gitlab-runner's (no gitlab_runner_ metric) is not a healthy process", async () => {
      const metrics = await start([{ method: "GET", path: "/metrics", times: 1, reply: () => ({ body: "# TYPE go_goroutines gauge\ngo_goroutines 12\nprocess_start_time_seconds 1.7e9\n" }) }]);
      const run = await runCli(["runner-health", "--metrics-url", `${metrics.url}/metrics`, "--state-file", join(scratchDir("health"), "s.json")]);
      expect(run.code).toBe(1);
      expect(oneLine(run)).toMatch(/answers without any gitlab_runner_ metric: not gitlab-runner's metrics endpoint/);
    });
  });

  describe("--verify-token: the explicit write", () => {
    it("verifies the shared token with this container's system_id", async () => {
      const gitlab = await start([
        {
          method: "POST",
          path: "/api/v4/runners/verify",
          times: 1,
          reply: (request) => {
            const form = new URLSearchParams(request.body);
            return form.get("token") === RUNNER_TOKEN && form.get("system_id") === SYSTEM_ID ? { body: gitlabFixture("runner-verify.json") } : { status: 403, body: { message: "403 Forbidden" } };
          },
        },
      ]);
      const run = await runCli(["runner-health", "--no-metrics", "--verify-token", "--system-id", SYSTEM_ID], { env: { GITLAB_URL: gitlab.url, GITLAB_RUNNER_TOKEN: RUNNER_TOKEN } });
      expect(run.code).toBe(0);
      expect(oneLine(run)).toBe("healthy: runner 6 token valid");
      expect(gitlab.unexpected).toEqual([]);
      expect(secretsIn(run.stdout + run.stderr, [RUNNER_TOKEN])).toEqual([]);
    });

    it("a token GitLab rejects (JSON 403) is unhealthy; a proxy's HTML 403 proves nothing", async () => {
      const gitlab = await start([{ method: "POST", path: "/api/v4/runners/verify", times: 1, reply: () => ({ status: 403, body: { message: "403 Forbidden" } }) }]);
      const run = await runCli(["runner-health", "--no-metrics", "--verify-token", "--system-id", SYSTEM_ID], { env: { GITLAB_URL: gitlab.url, GITLAB_RUNNER_TOKEN: RUNNER_TOKEN } });
      expect(run.code).toBe(1);
      expect(oneLine(run)).toMatch(/rejects the runner's token \(403 on verify\)/);
      const proxy = await start([{ method: "POST", path: "/api/v4/runners/verify", times: 1, reply: () => ({ status: 403, headers: { "content-type": "text/html" }, body: "<html>Forbidden</html>" }) }]);
      const viaProxy = await runCli(["runner-health", "--no-metrics", "--verify-token", "--system-id", SYSTEM_ID], { env: { GITLAB_URL: proxy.url, GITLAB_RUNNER_TOKEN: RUNNER_TOKEN } });
      expect(viaProxy.code).toBe(0);
      expect(oneLine(viaProxy)).toMatch(/warning: GitLab unreachable or misconfigured, not judged: POST .*: 403/);
    });

    it("a shared token without a system_id is bad usage (exit 2), nothing sent", async () => {
      const gitlab = await start([]);
      const run = await runCli(["runner-health", "--no-metrics", "--verify-token"], { env: { GITLAB_URL: gitlab.url, GITLAB_RUNNER_TOKEN: RUNNER_TOKEN } });
      expect(run.code).toBe(2);
      expect(oneLine(run)).toMatch(/needs the container's system_id/);
      expect(gitlab.requests).toEqual([]);
    });
  });

  describe("answers judged by what they prove", () => {
    it.each<[string, Case["runnerReply"]]>([
      ["an HTML 404 from a proxy", { status: 404, headers: { "content-type": "text/html" }, body: "<html><body>404 Not Found</body></html>" }],
      ["GitLab's catch-all 404 for an unknown API path (wrong prefix)", { status: 404, body: { error: "404 Not Found" } }],
      ["a proxy's JSON 404 shaped like GitLab's but not what GitLab sends for a runner", { status: 404, body: { message: "404 Not Found" } }],
      ["a gateway's JSON 404 with some other 404 message", { status: 404, body: { message: "404 route not matched" } }],
      ["a login page answering 200", { status: 200, headers: { "content-type": "text/html" }, body: "<html>Sign in</html>" }],
    ])("%s: healthy with a warning, unhealthy under --strict, never 'deleted'", async (_name, runnerReply) => {
      const lenient = await healthCheck({ runnerReply });
      expect(lenient.code).toBe(0);
      expect(oneLine(lenient)).toMatch(/^healthy: process answers; warning: GitLab unreachable or misconfigured, not judged: GET http:\/\/127\.0\.0\.1:\d+\/api\/v4\/runners\/6/);
      expect(oneLine(lenient)).not.toMatch(/no longer exists/);
      const strict = await healthCheck({ runnerReply, extraArgs: ["--strict"] });
      expect(strict.code).toBe(1);
      expect(oneLine(strict)).toMatch(/GitLab unreachable or misconfigured \(--strict\)/);
    });

    it("follows a 301 from http to https on GitLab's host and judges the answer", async () => {
      const cert = makeSelfSignedCert("mdeploy-gitlab-tls-");
      try {
        const https = await startFakeServer(
          [
            { method: "GET", path: "/api/v4/runners/6", times: 1, reply: (request) => (request.headers["private-token"] === API_TOKEN ? { body: { ...runner, paused: true, active: false } } : { status: 401, body: {} }) },
          ],
          { tls: { cert: cert.cert, key: cert.key } },
        );
        servers.push(https);
        const http = await start([{ method: "GET", path: "/api/v4/runners/6", times: 1, reply: () => ({ status: 301, headers: { location: `${https.url}/api/v4/runners/6` } }) }]);
        const metrics = await start([{ method: "GET", path: "/metrics", times: 1, reply: () => ({ body: runnerMetricsPage({ startedSecondsAgo: 7200 }) }) }]);
        const run = await runCli(["runner-health", "--runner-id", "6", "--metrics-url", `${metrics.url}/metrics`, "--state-file", join(cert.dir, "s.json")], {
          env: { GITLAB_URL: http.url, GITLAB_TOKEN: API_TOKEN, NODE_EXTRA_CA_CERTS: cert.certFile },
        });
        expect(oneLine(run)).toMatch(/^mdeploy: unhealthy: runner 6 is paused in GitLab/);
        expect(run.code).toBe(1);
        expect(http.unexpected).toEqual([]);
        expect(https.unexpected).toEqual([]);
        expect(https.requests).toHaveLength(1);
      } finally {
        rmSync(cert.dir, { recursive: true, force: true });
      }
    });

    it("does not follow a redirect to another host (the API token would go along)", async () => {
      const elsewhere = await start([]);
      const redirecting = await start([
        { method: "GET", path: "/api/v4/runners/6", times: 1, reply: () => ({ status: 301, headers: { location: `${elsewhere.url.replace("127.0.0.1", "localhost")}/api/v4/runners/6` } }) },
      ]);
      const metrics = await start([{ method: "GET", path: "/metrics", times: 1, reply: () => ({ body: runnerMetricsPage({ startedSecondsAgo: 7200 }) }) }]);
      const run = await runCli(["runner-health", "--runner-id", "6", "--metrics-url", `${metrics.url}/metrics`, "--state-file", join(scratchDir("health"), "s.json")], {
        env: { GITLAB_URL: redirecting.url, GITLAB_TOKEN: API_TOKEN },
      });
      expect(run.code).toBe(0);
      expect(oneLine(run)).toMatch(/warning: GitLab unreachable or misconfigured, not judged: GET .*: 301 .* to http:\/\/localhost:\d+\/api\/v4\/runners\/6: not followed/);
      expect(elsewhere.requests).toEqual([]);
      expect(redirecting.unexpected).toEqual([]);
    });

    it("does not follow a redirect to another port of the same host (another service could take the token)", async () => {
      const otherPort = await start([]);
      const redirecting = await start([
        { method: "GET", path: "/api/v4/runners/6", times: 1, reply: () => ({ status: 302, headers: { location: `${otherPort.url}/api/v4/runners/6` } }) },
      ]);
      const metrics = await start([{ method: "GET", path: "/metrics", times: 1, reply: () => ({ body: runnerMetricsPage({ startedSecondsAgo: 7200 }) }) }]);
      const run = await runCli(["runner-health", "--runner-id", "6", "--metrics-url", `${metrics.url}/metrics`, "--state-file", join(scratchDir("health"), "s.json")], {
        env: { GITLAB_URL: redirecting.url, GITLAB_TOKEN: API_TOKEN },
      });
      expect(otherPort.requests).toEqual([]);
      expect(run.code).toBe(0);
      expect(oneLine(run)).toMatch(/warning: GitLab unreachable or misconfigured, not judged: GET .*: 302 .* not followed/);
    });

    it("a GITLAB_URL password with a bare '%' is sent as typed, not a crash", async () => {
      const password = "50%off-proxy-pass";
      const gitlab = await start([
        {
          method: "GET",
          path: "/api/v4/runners/6",
          times: 1,
          reply: (request) =>
            request.headers.authorization === `Basic ${Buffer.from(`ci:${password}`).toString("base64")}` && request.headers["private-token"] === API_TOKEN
              ? { body: { ...runner, paused: true, active: false } }
              : { status: 401, body: { message: "401 Unauthorized" } },
        },
      ]);
      const metrics = await start([{ method: "GET", path: "/metrics", times: 1, reply: () => ({ body: runnerMetricsPage({ startedSecondsAgo: 7200 }) }) }]);
      const run = await runCli(["runner-health", "--runner-id", "6", "--metrics-url", `${metrics.url}/metrics`, "--state-file", join(scratchDir("health"), "s.json")], {
        env: { GITLAB_URL: gitlab.url.replace("http://", `http://ci:${password}@`), GITLAB_TOKEN: API_TOKEN },
      });
      expect(oneLine(run)).toMatch(/^mdeploy: unhealthy: runner 6 is paused in GitLab/);
      expect(run.code).toBe(1);
      expect(gitlab.unexpected).toEqual([]);
      expect(secretsIn(run.stdout + run.stderr, [password, API_TOKEN])).toEqual([]);
    });

    it.each(["htp:/x", "gitlab.example.com", "http://[::1"])("a malformed GITLAB_URL %j is bad input (exit 2), nothing asked", async (gitlabUrl) => {
      const metrics = await start([]);
      const run = await runCli(["runner-health", "--runner-id", "6", "--metrics-url", `${metrics.url}/metrics`], { env: { GITLAB_URL: gitlabUrl, GITLAB_TOKEN: API_TOKEN } });
      expect(run.code).toBe(2);
      expect(oneLine(run)).toMatch(/^mdeploy: GITLAB_URL ".*" is not (a|an http\(s\)) URL/);
      expect(metrics.requests).toEqual([]);
    });
  });

  it("reads runner id, URL, token, listen_address and system_id from gitlab-runner's files", async () => {
    const gitlab = await start([
      { method: "GET", path: "/api/v4/runners/6", times: 1, reply: () => ({ body: runner }) },
      { method: "GET", path: "/api/v4/runners/6/managers", times: 1, reply: () => ({ body: managers }) },
    ]);
    const metrics = await start([{ method: "GET", path: "/metrics", times: 1, reply: () => ({ body: runnerMetricsPage({ startedSecondsAgo: 7200 }) }) }]);
    const dir = scratchDir("runner-config");
    const port = new URL(metrics.url).port;
    writeFileSync(join(dir, "config.toml"), `listen_address = ":${port}"\n[[runners]]\n  url = "${gitlab.url}"\n  id = 6\n  token = "${RUNNER_TOKEN}"\n`);
    writeFileSync(join(dir, ".runner_system_id"), `${SYSTEM_ID}\n`);
    const run = await runCli(["runner-health", "--runner-config", join(dir, "config.toml"), "--state-file", join(dir, "s.json")], { env: { GITLAB_TOKEN: API_TOKEN } });
    expect(run.code).toBe(0);
    expect(oneLine(run)).toMatch(/manager r_0a1b2c3d4e5f online/);
    expect(gitlab.unexpected).toEqual([]);
  });

  it.each([
    [["runner-health", "--timeout", "soon"], /--timeout must be a positive number of seconds/],
    [["runner-health", "--runner-config", "/nonexistent/config.toml"], /runner config \/nonexistent\/config.toml does not exist/],
    [["runner-health", "--no-metrics"], /nothing to check/],
  ])("bad usage %j exits 2 with one line", async (args, message) => {
    const run = await runCli(args);
    expect(run.code).toBe(2);
    expect(oneLine(run)).toMatch(message);
  });
});
