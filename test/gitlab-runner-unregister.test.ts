import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { startFakeServer, type FakeRoute, type FakeServer } from "./helpers/fake-server.js";
import { runCli } from "./helpers/run-cli.js";
import { scratchDir, secretsIn } from "./gitlab-fakes.js";

const SHARED_TOKEN = "glrt-t1_shared-token-for-all-containers";
const LEGACY_TOKEN = "legacy0runner0token0abcdef";
const SYSTEM_ID = "r_0a1b2c3d4e5f";

let gitlab: FakeServer | undefined;
afterEach(async () => {
  if (gitlab) expect(gitlab.unexpected).toEqual([]);
  await gitlab?.close();
  gitlab = undefined;
});

async function unregister(routes: FakeRoute[], env: Record<string, string>, args: string[] = []) {
  gitlab = await startFakeServer(routes);
  const run = await runCli(["runner-unregister", ...args], { env: { GITLAB_URL: gitlab.url, ...env } });
  expect(secretsIn(run.stdout + run.stderr, [SHARED_TOKEN, LEGACY_TOKEN])).toEqual([]);
  return run;
}

describe("mdeploy runner-unregister", () => {
  it("shared glrt- token: removes only this container's manager, never the runner", async () => {
    const run = await unregister(
      [
        {
          method: "DELETE",
          path: "/api/v4/runners/managers",
          times: 1,
          reply: (request) => {
            const form = new URLSearchParams(request.body);
            return form.get("token") === SHARED_TOKEN && form.get("system_id") === SYSTEM_ID ? { status: 204 } : { status: 400, body: { message: "bad form" } };
          },
        },
        // Any DELETE /runners (the whole runner) is left unrouted: the fake records it as unexpected.
      ],
      { GITLAB_RUNNER_TOKEN: SHARED_TOKEN, GITLAB_RUNNER_SYSTEM_ID: SYSTEM_ID },
    );
    expect(run.code).toBe(0);
    expect(run.stdout.trim()).toBe(`unregistered manager ${SYSTEM_ID}; the runner and its other containers stay registered`);
    expect(gitlab?.requests.map((r) => `${r.method} ${r.url.pathname}${r.url.search}`)).toEqual(["DELETE /api/v4/runners/managers"]);
  });

  it("shared token read from config.toml and .runner_system_id", async () => {
    const dir = scratchDir("unregister");
    gitlab = await startFakeServer([{ method: "DELETE", path: "/api/v4/runners/managers", times: 1, reply: () => ({ status: 204 }) }]);
    writeFileSync(join(dir, "config.toml"), `[[runners]]\n  url = "${gitlab.url}"\n  id = 6\n  token = "${SHARED_TOKEN}"\n`);
    writeFileSync(join(dir, ".runner_system_id"), SYSTEM_ID);
    const run = await runCli(["runner-unregister", "--runner-config", join(dir, "config.toml")]);
    expect(run.code).toBe(0);
    expect(new URLSearchParams(gitlab.requests[0]?.body).get("system_id")).toBe(SYSTEM_ID);
  });

  it("shared token without a system_id: refused with exit 2, nothing sent", async () => {
    const run = await unregister([], { GITLAB_RUNNER_TOKEN: SHARED_TOKEN });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/refusing to unregister the whole runner/);
    expect(gitlab?.requests).toEqual([]);
  });

  it("legacy per-container token: removes that runner", async () => {
    const run = await unregister(
      [
        {
          method: "DELETE",
          path: "/api/v4/runners",
          times: 1,
          reply: (request) => (new URLSearchParams(request.body).get("token") === LEGACY_TOKEN ? { status: 204 } : { status: 403, body: { message: "403 Forbidden" } }),
        },
      ],
      { GITLAB_RUNNER_TOKEN: LEGACY_TOKEN },
    );
    expect(run.code).toBe(0);
    expect(run.stdout.trim()).toBe("unregistered the runner (legacy per-container token)");
  });

  it("manager already gone (404): nothing to remove, exit 0", async () => {
    const run = await unregister([{ method: "DELETE", path: "/api/v4/runners/managers", times: 1, reply: () => ({ status: 404, body: { message: "404 Not Found" } }) }], {
      GITLAB_RUNNER_TOKEN: SHARED_TOKEN,
      GITLAB_RUNNER_SYSTEM_ID: SYSTEM_ID,
    });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/was not registered; nothing to remove/);
  });

  it.each([
    ["legacy token, DELETE /runners", "/api/v4/runners", { GITLAB_RUNNER_TOKEN: LEGACY_TOKEN }],
    ["shared token, DELETE /runners/managers", "/api/v4/runners/managers", { GITLAB_RUNNER_TOKEN: SHARED_TOKEN, GITLAB_RUNNER_SYSTEM_ID: SYSTEM_ID }],
  ])("%s: GitLab's JSON 403 (token no longer valid) is nothing to unregister, exit 0 saying so", async (_name, path, env) => {
    const run = await unregister([{ method: "DELETE", path, times: 1, reply: () => ({ status: 403, body: { message: "403 Forbidden" } }) }], env);
    expect(run.code).toBe(0);
    expect(run.stdout.trim()).toBe("GitLab no longer accepts this runner token (403): the runner was already deleted or its token revoked; nothing to unregister");
    expect(run.stderr).toBe("");
  });

  it.each<[string, number, Record<string, string>, unknown]>([
    ["a proxy's HTML 403", 403, { "content-type": "text/html" }, "<html>Forbidden</html>"],
    ["a 500", 500, {}, { message: "500 Internal Server Error" }],
    ["a 502 from a proxy", 502, { "content-type": "text/html" }, "<html>Bad Gateway</html>"],
  ])("legacy token, %s: exit 6, one line, distinct from the token being gone", async (_name, status, headers, body) => {
    const run = await unregister([{ method: "DELETE", path: "/api/v4/runners", times: 1, reply: () => ({ status, headers, body }) }], { GITLAB_RUNNER_TOKEN: LEGACY_TOKEN });
    expect(run.code).toBe(6);
    expect(run.stderr.trim().split("\n")).toHaveLength(1);
    expect(run.stderr).toMatch(new RegExp(`^mdeploy: DELETE http://127\\.0\\.0\\.1:\\d+/api/v4/runners: ${status} `));
    expect(run.stdout).not.toMatch(/nothing to unregister/);
  });

  it("a 307 to another host is not followed: the runner token in the form body stays home, exit non-zero", async () => {
    const other = await startFakeServer([]);
    try {
      const target = `${other.url.replace("127.0.0.1", "localhost")}/api/v4/runners/managers`;
      const run = await unregister([{ method: "DELETE", path: "/api/v4/runners/managers", times: 1, reply: () => ({ status: 307, headers: { location: target } }) }], {
        GITLAB_RUNNER_TOKEN: SHARED_TOKEN,
        GITLAB_RUNNER_SYSTEM_ID: SYSTEM_ID,
      });
      expect(other.requests.map((r) => `${r.method} ${r.url.pathname} ${r.body.includes(SHARED_TOKEN) ? "with" : "without"} token`)).toEqual([]);
      expect(run.code).not.toBe(0);
      expect(run.stderr).toMatch(/^mdeploy: DELETE http:\/\/127\.0\.0\.1:\d+\/api\/v4\/runners\/managers: 307 .*not followed/);
      expect(run.stdout).not.toMatch(/unregistered|nothing to unregister/);
    } finally {
      await other.close();
    }
  });

  it("a malformed GitLab URL is bad input (exit 2), nothing sent", async () => {
    const run = await runCli(["runner-unregister"], { env: { GITLAB_URL: "htp:/x", GITLAB_RUNNER_TOKEN: LEGACY_TOKEN } });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^mdeploy: GITLAB_URL "htp:\/x" is not an http\(s\) URL/);
  });

  it("GitLab unreachable: exit 6", async () => {
    const closed = await startFakeServer([]);
    await closed.close();
    const run = await runCli(["runner-unregister"], { env: { GITLAB_URL: closed.url, GITLAB_RUNNER_TOKEN: SHARED_TOKEN, GITLAB_RUNNER_SYSTEM_ID: SYSTEM_ID } });
    expect(run.code).toBe(6);
    expect(run.stderr).toMatch(/connection refused/);
    expect(run.stderr).not.toContain(SHARED_TOKEN);
  });
});
