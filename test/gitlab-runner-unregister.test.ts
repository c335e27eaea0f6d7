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
          reply: (request) => ((JSON.parse(request.body || "{}") as { token?: string }).token === LEGACY_TOKEN ? { status: 204 } : { status: 403, body: { message: "403 Forbidden" } }),
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

  it("token GitLab does not accept (403): exit 6, one line, no token shown", async () => {
    const run = await unregister([{ method: "DELETE", path: "/api/v4/runners", times: 1, reply: () => ({ status: 403, body: { message: "403 Forbidden" } }) }], {
      GITLAB_RUNNER_TOKEN: LEGACY_TOKEN,
    });
    expect(run.code).toBe(6);
    expect(run.stderr.trim().split("\n")).toHaveLength(1);
    expect(run.stderr).toMatch(/^mdeploy: DELETE http:\/\/127\.0\.0\.1:\d+\/api\/v4\/runners: 403 Forbidden: 403 Forbidden \(GitLab does not accept this runner token/);
  });

  it("GitLab unreachable: exit 6", async () => {
    const closed = await startFakeServer([]);
    await closed.close();
    const run = await runCli(["runner-unregister"], { env: { GITLAB_URL: closed.url, GITLAB_RUNNER_TOKEN: SHARED_TOKEN, GITLAB_RUNNER_SYSTEM_ID: SYSTEM_ID } });
    expect(run.code).toBe(6);
    expect(run.stderr).toMatch(/ECONNREFUSED/);
    expect(run.stderr).not.toContain(SHARED_TOKEN);
  });
});
