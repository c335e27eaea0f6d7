/**
 * Secrets in the GitLab, registry and Marathon paths never reach any output: credentials with
 * user names of every length 1-6 (base64(user:password) only contains base64(password) for
 * some lengths, so the exact header value must be registered), URLs with user info, and
 * servers that echo the Authorization header (or the token they got) in 401/500 bodies. Every
 * command runs plain, with --json and with --debug.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { startFakeServer, type FakeReply, type FakeRequest, type FakeServer } from "./helpers/fake-server.js";
import { runCli, type CliRun } from "./helpers/run-cli.js";
import { runnerMetricsPage, scratchDir } from "./gitlab-fakes.js";

const USERS = ["a", "ab", "abc", "abcd", "abcde", "abcdef"];
const MODES: string[][] = [[], ["--json"], ["--debug"]];
const password = (user: string) => `pw-${user.length}-Zq81xv`;

/** Every form a credential could leak in: the values, their base64, and the Basic header's base64(user:password). */
function leaks(run: CliRun, credentials: { user?: string; secret: string }[]): string[] {
  const text = run.stdout + run.stderr;
  const forms = credentials.flatMap(({ user, secret }) => [
    secret,
    encodeURIComponent(secret),
    Buffer.from(secret).toString("base64"),
    ...(user !== undefined ? [Buffer.from(`${user}:${secret}`).toString("base64"), `${user}:${secret}`] : []),
  ]);
  return forms.filter((form) => text.includes(form));
}

/** Answers everything with `status`, echoing the Authorization header and body it got. */
const echo =
  (status: number) =>
  (request: FakeRequest): FakeReply => ({ status, body: { message: `denied: authorization=${String(request.headers.authorization)} private-token=${String(request.headers["private-token"])} body=${request.body}` } });

const servers: FakeServer[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await server.close();
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});
async function serve(routes: Parameters<typeof startFakeServer>[0]): Promise<FakeServer> {
  const server = await startFakeServer(routes);
  servers.push(server);
  return server;
}

describe("no secret in any output", () => {
  // One run per user name length, the modes and the echoing status taking turns (a 500 is retried, so each costs seconds).
  it.each(USERS.map((user, index) => [user, index % 2 === 0 ? 401 : 500, MODES[index % MODES.length] as string[]] as const))(
    "MARATHON_URL with user %j and a Marathon echoing the Authorization header in a %d, mode %j",
    async (user, status, mode) => {
      const marathon = await serve([{ method: "GET", path: /.*/, reply: echo(status) }]);
      const dir = await mkdtemp(path.join(tmpdir(), "mdeploy-secrets-"));
      dirs.push(dir);
      await writeFile(path.join(dir, "mdeploy.yml"), "environments:\n  staging:\n    template: app.json.hbs\n");
      await writeFile(path.join(dir, "app.json.hbs"), '{ "id": "/staging/app", "instances": 1, "cpus": 0.1, "mem": 32, "cmd": "sleep 1000" }');
      const secret = password(user);
      const header = `Basic ${Buffer.from(`${user}:${secret}`).toString("base64")}`;
      const url = `http://${encodeURIComponent(user)}:${encodeURIComponent(secret)}@${new URL(marathon.url).host}`;
      const inUrl = await runCli(["status", "staging", ...mode], { cwd: dir, env: { MARATHON_URL: url } });
      expect(inUrl.code).not.toBe(0);
      expect(inUrl.stderr).toContain(`${status}`);
      expect(marathon.requests.at(-1)?.headers.authorization).toBe(header);
      expect(leaks(inUrl, [{ user, secret }])).toEqual([]);
      // The same credentials as MARATHON_USERNAME/MARATHON_PASSWORD, answered 401.
      const marathon401 = await serve([{ method: "GET", path: /.*/, reply: echo(401) }]);
      const inEnv = await runCli(["status", "staging", ...mode], { cwd: dir, env: { MARATHON_URL: marathon401.url, MARATHON_USERNAME: user, MARATHON_PASSWORD: secret } });
      expect(marathon401.requests.at(-1)?.headers.authorization).toBe(header);
      expect(leaks(inEnv, [{ user, secret }])).toEqual([]);
    },
  );

  it.each(USERS.map((user, index) => [user, MODES[index % MODES.length] as string[]] as const))(
    "runner-health: GITLAB_URL with user %j (proxy credentials) and a GitLab echoing them in a 500, mode %j",
    async (user, mode) => {
      const secret = password(user);
      const token = `glpat-${user}-health-tok3n`;
      const gitlab = await serve([{ method: "GET", path: /^\/api\/v4\/runners\/6(\/managers)?$/, reply: echo(500) }]);
      const metrics = await serve([{ method: "GET", path: "/metrics", reply: () => ({ body: runnerMetricsPage({ startedSecondsAgo: 7200 }) }) }]);
      const gitlabUrl = `http://${encodeURIComponent(user)}:${encodeURIComponent(secret)}@${new URL(gitlab.url).host}`;
      for (const strict of [[], ["--strict"]]) {
        const run = await runCli(["runner-health", "--runner-id", "6", "--system-id", "r_1", "--metrics-url", `${metrics.url}/metrics`, "--state-file", path.join(scratchDir("secrets"), "s.json"), ...strict, ...mode], {
          env: { GITLAB_URL: gitlabUrl, GITLAB_TOKEN: token },
        });
        expect(run.stdout + run.stderr).toMatch(/GitLab unreachable or misconfigured/);
        expect(run.stdout + run.stderr).toContain(`GET ${gitlab.url}/api/v4/runners/6: 500`);
        expect(gitlab.requests[0]?.headers.authorization).toBe(`Basic ${Buffer.from(`${user}:${secret}`).toString("base64")}`);
        expect(leaks(run, [{ user, secret }, { secret: token }])).toEqual([]);
      }
      expect(gitlab.unexpected).toEqual([]);
    },
  );

  it.each(USERS.map((user, index) => [user, MODES[index % MODES.length] as string[]] as const))(
    "registry-auth --verify-image: deploy token user %j, a token service echoing the header in its 401, mode %j",
    async (user, mode) => {
      const secret = password(user);
      let self = "";
      const registry = await serve([
        { method: "HEAD", path: "/v2/group/app/manifests/1.0", reply: () => ({ status: 401, headers: { "www-authenticate": `Bearer realm="${self}/jwt/auth",service="container_registry"` } }) },
        { method: "GET", path: "/jwt/auth", reply: echo(401) },
      ]);
      self = registry.url;
      const host = new URL(registry.url).host;
      const run = await runCli(["registry-auth", "--registry", host, "--verify-image", `${host}/group/app:1.0`, ...mode], {
        cwd: scratchDir("secrets"),
        env: { MDEPLOY_REGISTRY_USER: user, MDEPLOY_REGISTRY_PASSWORD: secret },
      });
      expect(run.code).toBe(6);
      expect(registry.requests.find((r) => r.url.pathname === "/jwt/auth")?.headers.authorization).toBe(`Basic ${Buffer.from(`${user}:${secret}`).toString("base64")}`);
      expect(leaks(run, [{ user, secret }])).toEqual([]);
      expect(registry.unexpected).toEqual([]);
    },
  );

  it.each(MODES.map((mode) => ({ mode })))("runner-unregister and runner-reap: tokens echoed back in 500 bodies, mode $mode", async ({ mode }) => {
    const runnerToken = "legacy-runner-token-echo-0001";
    const apiToken = "glpat-reaper-token-echo-0002";
    const gitlab = await serve([
      { method: "DELETE", path: "/api/v4/runners", reply: echo(500) },
      { method: "GET", path: "/api/v4/runners/all", reply: echo(500) },
    ]);
    const unregister = await runCli(["runner-unregister", ...mode], { env: { GITLAB_URL: gitlab.url, GITLAB_RUNNER_TOKEN: runnerToken } });
    expect(unregister.code).toBe(6);
    expect(unregister.stderr).toContain("500");
    const reap = await runCli(["runner-reap", "--tag", "marathon", ...mode], { env: { GITLAB_URL: gitlab.url, GITLAB_TOKEN: apiToken } });
    expect(reap.code).toBe(6);
    // The servers did get them (so the echo could leak), and no output shows them.
    expect(gitlab.requests.map((r) => r.body + String(r.headers["private-token"])).join(" ")).toContain(runnerToken);
    expect(leaks(unregister, [{ secret: runnerToken }])).toEqual([]);
    expect(leaks(reap, [{ secret: apiToken }])).toEqual([]);
    expect(gitlab.unexpected).toEqual([]);
  });

  it("a GitLab URL with user info given to runner-reap or runner-unregister is refused (exit 2) without showing it", async () => {
    const url = "https://ops:proxy-pass-9q@gitlab.example.com";
    const reap = await runCli(["runner-reap", "--tag", "x", "--debug"], { env: { GITLAB_URL: url, GITLAB_TOKEN: "glpat-xyz-0003" } });
    expect(reap.code).toBe(2);
    expect(reap.stderr).toMatch(/GITLAB_URL carries user info/);
    const unregister = await runCli(["runner-unregister", "--json"], { env: { GITLAB_URL: url, GITLAB_RUNNER_TOKEN: "legacy-tok-0004" } });
    expect(unregister.code).toBe(2);
    expect(leaks(reap, [{ user: "ops", secret: "proxy-pass-9q" }])).toEqual([]);
    expect(leaks(unregister, [{ user: "ops", secret: "proxy-pass-9q" }])).toEqual([]);
  });
});
