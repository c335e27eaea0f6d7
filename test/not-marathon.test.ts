/**
 * A Marathon URL that is not Marathon (the wrong port, Mesos' URL, a login
 * page in front) says so with exit 6, naming the URL and what /v2/info
 * answered, instead of "not deployed". A GET's redirect is followed once (without
 * credentials to another origin) and named with its target.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeServer } from "./helpers/fake-server.js";
import { runCli } from "./helpers/run-cli.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "mdeploy-not-marathon-"));
  await writeFile(path.join(dir, "app.json.hbs"), '{ "id": "/staging/web", "cmd": "sleep 1000", "mem": 32, "cpus": 0.1 }\n');
  await writeFile(path.join(dir, "mdeploy.yml"), "environments:\n  staging:\n    template: app.json.hbs\n");
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const html = { status: 404, headers: { "content-type": "text/html" }, body: "<html><body>Not Found</body></html>" };

describe("a URL that is not Marathon", () => {
  it("a 404 page in HTML: exit 6, '<url> does not look like Marathon (GET /v2/info: ...)'", async () => {
    // Every /v2 path answers a 404 page: the Mesos master's port, or a web server.
    const server = await startFakeServer([{ method: "GET", path: /^\/v2\//, reply: () => html }]);
    try {
      for (const command of ["status", "history"]) {
        const run = await runCli([command, "staging"], { cwd: dir, env: { MARATHON_URL: server.url }, timeoutMs: 30_000 });
        expect(run.code, run.stderr).toBe(6);
        expect(run.stderr).toContain(`mdeploy: ${server.url} does not look like Marathon (GET /v2/info: 404 Not Found, text/html)`);
        expect(run.stderr).not.toContain("not deployed");
      }
      expect(server.unexpected).toEqual([]);
    } finally {
      await server.close();
    }
  });

  it("Marathon's own 404 (JSON) still means the app is not deployed", async () => {
    const server = await startFakeServer([
      { method: "GET", path: "/v2/apps/staging/web", reply: () => ({ status: 404, headers: { "content-type": "application/json" }, body: { message: "App '/staging/web' does not exist" } }) },
      { method: "GET", path: "/v2/deployments", reply: () => ({ status: 200, headers: { "content-type": "application/json" }, body: [] }) },
      { method: "GET", path: "/v2/queue", reply: () => ({ status: 200, headers: { "content-type": "application/json" }, body: { queue: [] } }) },
      // status looks for a canary or green copy in the same round trip as the app.
      ...["canary", "green"].map((copy) => ({ method: "GET", path: `/v2/apps/staging/web-${copy}`, reply: () => ({ status: 404, headers: { "content-type": "application/json" }, body: { message: `App '/staging/web-${copy}' does not exist` } }) })),
    ]);
    try {
      const run = await runCli(["status", "staging"], { cwd: dir, env: { MARATHON_URL: server.url }, timeoutMs: 30_000 });
      expect(run.code).toBe(2);
      expect(run.stderr).toContain("/staging/web is not deployed");
      expect(server.unexpected).toEqual([]);
    } finally {
      await server.close();
    }
  });

  it("an app that is not deployed is named so, even when the reads of its canary and green copies fail", async () => {
    const json = { "content-type": "application/json" };
    const server = await startFakeServer([
      { method: "GET", path: "/v2/apps/staging/web", reply: () => ({ status: 404, headers: json, body: { message: "App '/staging/web' does not exist" } }) },
      { method: "GET", path: "/v2/deployments", reply: () => ({ status: 200, headers: json, body: [] }) },
      { method: "GET", path: "/v2/queue", reply: () => ({ status: 200, headers: json, body: { queue: [] } }) },
      ...["canary", "green"].map((copy) => ({ method: "GET", path: `/v2/apps/staging/web-${copy}`, reply: () => ({ status: 500, headers: json, body: { message: "boom" } }) })),
    ]);
    try {
      const run = await runCli(["status", "staging"], { cwd: dir, env: { MARATHON_URL: server.url }, timeoutMs: 30_000 });
      expect(run.code, run.stderr).toBe(2);
      expect(run.stderr).toContain("/staging/web is not deployed");
    } finally {
      await server.close();
    }
  });

  it("a redirect (a login proxy) is followed once for a GET and named with its target, exit 6; the credentials stay home", async () => {
    const login = await startFakeServer([{ method: "GET", path: "/login", reply: () => ({ headers: { "content-type": "text/html" }, body: "<form>sign in</form>" }) }]);
    // A single sign-on proxy sends every path to its login page.
    const server = await startFakeServer([{ method: "GET", path: /^\//, reply: () => ({ status: 302, headers: { location: `${login.url}/login` } }) }]);
    try {
      const run = await runCli(["status", "staging"], { cwd: dir, env: { MARATHON_URL: server.url, MARATHON_USERNAME: "ci", MARATHON_PASSWORD: "login-proxy-pw-1" }, timeoutMs: 30_000 });
      expect(run.code, run.stderr).toBe(6);
      expect(run.stderr).toContain(`mdeploy: ${server.url} does not look like Marathon (GET /v2/info: 302 Found, redirects to ${login.url}/login)`);
      expect(login.requests.length).toBeGreaterThan(0);
      expect(login.requests.map((r) => r.headers.authorization)).toEqual(login.requests.map(() => undefined));
      expect(run.stderr).not.toContain("login-proxy-pw-1");
    } finally {
      await server.close();
      await login.close();
    }
  });
});
