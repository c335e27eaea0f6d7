import { createServer as createHttpServer } from "node:http";
import { createServer } from "node:net";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { ConfigError, HttpError, UnreachableError } from "../src/errors.js";
import { RequestTimedOutError, UnexpectedResponseError } from "../src/http/errors.js";
import { createMarathonClient, MarathonApiError, MarathonRejectedInputError, type MarathonClient, type MarathonClientOptions, type RetryInfo } from "../src/marathon/client.js";
import { startFakeServer, type FakeRoute, type FakeServer } from "./helpers/fake-server.js";
import { createInstantClock } from "./marathon-test-clock.js";

const app = {
  id: "/click-count",
  version: "2026-01-01T00:00:00.000Z",
  instances: 1,
  tasksStaged: 0,
  tasksRunning: 1,
  tasksHealthy: 1,
  tasksUnhealthy: 0,
  deployments: [],
  tasks: [{ id: "click-count.1", appId: "/click-count", host: "agent-1", ports: [31000], stagedAt: null, startedAt: null, version: "2026-01-01T00:00:00.000Z", healthCheckResults: [{ alive: true }] }],
  lastTaskFailure: null,
  readinessCheckResults: [],
};

const servers: FakeServer[] = [];
const clients: MarathonClient[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  for (const s of servers.splice(0)) await s.close();
});

async function fake(routes: FakeRoute[]): Promise<FakeServer> {
  const server = await startFakeServer(routes);
  servers.push(server);
  return server;
}

function client(options: MarathonClientOptions): MarathonClient {
  const c = createMarathonClient({ clock: createInstantClock(), timeoutMs: 2000, ...options });
  clients.push(c);
  return c;
}

/** A loopback port with nothing listening: connections to it are refused. */
async function refusedUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected a rejection");
}

describe("Marathon client: reads and writes", () => {
  it("reads an app with readiness embedded and sends basic auth", async () => {
    const server = await fake([{ method: "GET", path: "/v2/apps/click-count", reply: () => ({ body: { app } }) }]);
    const marathon = client({ urls: [server.url], auth: { username: "deployer", password: "s3cret-pw" } });
    const status = await marathon.getApp("/click-count");
    expect(status.tasks?.[0]?.healthCheckResults?.[0]?.alive).toBe(true);
    const request = server.requests[0];
    expect(request?.url.searchParams.getAll("embed")).toEqual(["app.readiness"]);
    expect(request?.headers.authorization).toBe(`Basic ${Buffer.from("deployer:s3cret-pw").toString("base64")}`);
    expect(server.unexpected).toEqual([]);
  });

  it("sends a DC/OS token as `Authorization: token=...`", async () => {
    const server = await fake([{ method: "GET", path: "/service/marathon/v2/deployments", reply: () => ({ body: [] }) }]);
    const marathon = client({ urls: [`${server.url}/service/marathon/`], auth: { token: "acs-token-123" } });
    expect(await marathon.getDeployments()).toEqual([]);
    expect(server.requests[0]?.headers.authorization).toBe("token=acs-token-123");
  });

  it("uses credentials from the URL but never shows them", async () => {
    const server = await fake([{ method: "GET", path: "/v2/apps/web", reply: () => ({ status: 404, body: { message: "App '/web' does not exist" } }) }]);
    const withCreds = server.url.replace("http://", "http://ci:pa55word@");
    const marathon = client({ urls: [withCreds] });
    const error = await rejection(marathon.getApp("web"));
    expect(error).toBeInstanceOf(MarathonApiError);
    expect(error.message).toBe(`GET ${server.url}/v2/apps/web?embed=app.readiness: 404 Not Found: App '/web' does not exist`);
    expect(server.requests[0]?.headers.authorization).toBe(`Basic ${Buffer.from("ci:pa55word").toString("base64")}`);
    expect(marathon.urls).toEqual([server.url]);
  });

  it("refuses to start without a usable URL (exit 2, nothing sent)", () => {
    expect(() => createMarathonClient({ urls: [] })).toThrow(ConfigError);
    expect(() => createMarathonClient({ urls: ["marathon.example.com"] })).toThrow(/Marathon URL "marathon.example.com" is not a URL/);
  });

  it("findApp gives undefined for a missing app", async () => {
    const server = await fake([{ method: "GET", path: "/v2/apps/web", reply: () => ({ status: 404, body: { message: "App '/web' does not exist" } }) }]);
    expect(await client({ urls: [server.url] }).findApp("/web")).toBeUndefined();
  });

  it("PUTs an app with force and partialUpdate and returns the deployment", async () => {
    const server = await fake([{ method: "PUT", path: "/v2/apps/click-count", reply: () => ({ body: { deploymentId: "d-1", version: "2026-01-02T00:00:00.000Z" } }) }]);
    const result = await client({ urls: [server.url] }).putApp({ id: "/click-count", mem: 300 }, { force: true, partialUpdate: false });
    expect(result).toEqual({ deploymentId: "d-1", version: "2026-01-02T00:00:00.000Z" });
    const request = server.requests[0];
    expect(request?.url.search).toBe("?force=true&partialUpdate=false");
    expect(JSON.parse(request?.body ?? "")).toEqual({ id: "/click-count", mem: 300 });
    expect(request?.headers["content-type"]).toBe("application/json");
  });

  it("rolls back with PUT {version}", async () => {
    const server = await fake([{ method: "PUT", path: "/v2/apps/click-count", reply: () => ({ body: { deploymentId: "d-2", version: "v3" } }) }]);
    await client({ urls: [server.url] }).rollbackApp("/click-count", "2026-01-01T00:00:00.000Z");
    expect(JSON.parse(server.requests[0]?.body ?? "")).toEqual({ version: "2026-01-01T00:00:00.000Z" });
  });

  it("POSTs an app and reads the deployment id from the header", async () => {
    const server = await fake([
      { method: "POST", path: "/v2/apps", reply: () => ({ status: 201, headers: { "marathon-deployment-id": "d-9" }, body: { ...app, deployments: [{ id: "d-9" }] } }) },
    ]);
    const created = await client({ urls: [server.url] }).postApp({ id: "/click-count" });
    expect(created.deploymentId).toBe("d-9");
    expect(created.app.id).toBe("/click-count");
  });

  it("cancels a deployment with force (202, no body) and reverts without it", async () => {
    const server = await fake([
      { method: "DELETE", path: "/v2/deployments/d-1", reply: (req) => (req.url.searchParams.get("force") === "true" ? { status: 202 } : { body: { deploymentId: "d-3", version: "v4" } }) },
    ]);
    const marathon = client({ urls: [server.url] });
    expect(await marathon.deleteDeployment("d-1", { force: true })).toBeUndefined();
    expect(await marathon.deleteDeployment("d-1")).toEqual({ deploymentId: "d-3", version: "v4" });
  });

  it("reads versions, a version, the queue, info and the leader", async () => {
    const server = await fake([
      { method: "GET", path: "/v2/apps/web/versions", reply: () => ({ body: { versions: ["v2", "v1"] } }) },
      { method: "GET", path: "/v2/apps/web/versions/v1", reply: () => ({ body: { id: "/web", mem: 128, version: "v1" } }) },
      { method: "GET", path: "/v2/queue", reply: () => ({ body: { queue: [{ app: { id: "/web" }, count: 1, delay: { timeLeftSeconds: 0, overdue: true } }] } }) },
      { method: "GET", path: "/v2/info", reply: () => ({ body: { name: "marathon", version: "1.11.24" } }) },
      { method: "GET", path: "/v2/leader", times: 1, reply: () => ({ body: { leader: "10.0.0.1:8080" } }) },
      { method: "GET", path: "/v2/leader", reply: () => ({ status: 404, body: { message: "There is no leader" } }) },
      { method: "GET", path: "/ping", reply: () => ({ body: "pong" }) },
    ]);
    const marathon = client({ urls: [server.url] });
    expect(await marathon.getAppVersions("web")).toEqual(["v2", "v1"]);
    expect((await marathon.getAppVersion("web", "v1")).mem).toBe(128);
    expect((await marathon.getQueue())[0]?.count).toBe(1);
    expect((await marathon.getInfo()).version).toBe("1.11.24");
    expect(await marathon.getLeader()).toBe("10.0.0.1:8080");
    expect(await marathon.getLeader()).toBeUndefined();
    await marathon.ping();
    expect(server.unexpected).toEqual([]);
  });

  it("refuses an answer that lacks what mdeploy reads, listing every path", async () => {
    const server = await fake([{ method: "GET", path: "/v2/apps/web", reply: () => ({ body: { app: { id: "/web", tasks: [{ id: 3 }] } } }) }]);
    const error = await rejection(client({ urls: [server.url] }).getApp("web"));
    expect(error).toBeInstanceOf(UnexpectedResponseError);
    expect((error as UnexpectedResponseError).details).toEqual(["/app/version: is missing", "/app/tasks/0/version: is missing", "/app/tasks/0/id: must be string"]);
    expect((error as UnexpectedResponseError).exitCode).toBe(6);
  });
});

describe("Marathon client: errors people read", () => {
  it("says what a 409 means, names the locking deployment, exits 6 unless handled (not bad input)", async () => {
    const server = await fake([
      {
        method: "PUT",
        path: "/v2/apps/click-count",
        reply: () => ({
          status: 409,
          body: {
            message: "App is locked by one or more deployments. Override with the option '?force=true'. View details at '/v2/deployments/<DEPLOYMENT_ID>'.",
            deployments: [{ id: "8e0bc7ef" }],
          },
        }),
      },
    ]);
    const error = await rejection(client({ urls: [server.url] }).putApp({ id: "click-count" }));
    expect(error).toBeInstanceOf(MarathonApiError);
    expect(error.message).toBe(`PUT ${server.url}/v2/apps/click-count: 409 Conflict: App is locked by one or more deployments`);
    expect((error as MarathonApiError).lockingDeploymentIds).toEqual(["8e0bc7ef"]);
    expect((error as MarathonApiError).details).toEqual(["locked by deployment 8e0bc7ef"]);
    expect((error as MarathonApiError).exitCode).toBe(6);
    expect(server.requests).toHaveLength(1);
  });

  it("turns 422 details into path lines", async () => {
    const server = await fake([
      {
        method: "PUT",
        path: "/v2/apps/web",
        reply: () => ({
          status: 422,
          body: {
            message: "Object is not valid",
            details: [
              { path: "/upgradeStrategy/maximumOverCapacity", errors: ["got 1.0, expected 0.0"] },
              { path: "/", errors: ["AppDefinition must either contain one of 'cmd' or 'args', and/or a 'container'."] },
            ],
          },
        }),
      },
    ]);
    const error = (await rejection(client({ urls: [server.url] }).putApp({ id: "/web" }))) as HttpError;
    expect(error.message).toBe(`PUT ${server.url}/v2/apps/web: 422 Unprocessable Entity: Object is not valid`);
    expect(error.details).toEqual([
      "/upgradeStrategy/maximumOverCapacity: got 1.0, expected 0.0",
      "/: AppDefinition must either contain one of 'cmd' or 'args', and/or a 'container'.",
    ]);
    expect(error).toBeInstanceOf(MarathonRejectedInputError);
    expect(error.exitCode).toBe(2);
  });

  it("maps 401 to exit 6 without the password anywhere in the error", async () => {
    const server = await fake([
      { method: "GET", path: "/v2/apps/web", reply: () => ({ status: 401, headers: { "www-authenticate": 'Basic realm="Mesosphere"' }, body: "<html>401</html>" }) },
    ]);
    const error = await rejection(client({ urls: [server.url], auth: { username: "deployer", password: "hunter2-secret" } }).getApp("web"));
    expect(error).toBeInstanceOf(UnreachableError);
    expect((error as UnreachableError).exitCode).toBe(6);
    expect(error.message).toBe(`GET ${server.url}/v2/apps/web?embed=app.readiness: 401 Unauthorized`);
    const everything = JSON.stringify({ message: error.message, details: (error as UnreachableError).details, stack: error.stack });
    expect(everything).not.toContain("hunter2-secret");
    expect(everything).not.toContain(Buffer.from("deployer:hunter2-secret").toString("base64"));
    expect((error as UnreachableError).details[0]).toMatch(/MARATHON_PASSWORD/);
    expect(server.requests).toHaveLength(1);
  });

  it("maps 403 to exit 6 and keeps Marathon's message", async () => {
    const server = await fake([{ method: "PUT", path: "/v2/apps/web", reply: () => ({ status: 403, body: { message: "Max number (100) of running deployments is achieved." } }) }]);
    const error = await rejection(client({ urls: [server.url], auth: { token: "t0ken-value" } }).putApp({ id: "/web" }));
    expect(error).toBeInstanceOf(UnreachableError);
    expect(error.message).toContain("403 Forbidden: Max number (100) of running deployments is achieved.");
    expect(error.message).not.toContain("t0ken-value");
  });
});

describe("Marathon client: failover, leader, retries, timeouts", () => {
  it("fails over when the first URL refuses connections and keeps using the one that answered", async () => {
    const dead = await refusedUrl();
    const server = await fake([{ method: "GET", path: "/v2/deployments", reply: () => ({ body: [] }) }]);
    const retries: RetryInfo[] = [];
    const marathon = client({ urls: [dead, server.url], onRetry: (info) => retries.push(info) });
    await marathon.getDeployments();
    await marathon.getDeployments();
    expect(server.requests).toHaveLength(2);
    // Moving to the next URL after a refusal is failover, not a retry.
    expect(retries).toEqual([]);
  });

  it("fails over for a PUT too when nothing was sent", async () => {
    const dead = await refusedUrl();
    const server = await fake([{ method: "PUT", path: "/v2/apps/web", reply: () => ({ body: { deploymentId: "d", version: "v" } }) }]);
    expect(await client({ urls: [dead, server.url] }).putApp({ id: "/web" })).toEqual({ deploymentId: "d", version: "v" });
  });

  it("names every URL when none answers (exit 6)", async () => {
    const dead1 = await refusedUrl();
    const dead2 = await refusedUrl();
    const clock = createInstantClock();
    const error = await rejection(createMarathonClient({ urls: [dead1, dead2], clock }).getDeployments());
    expect(error).toBeInstanceOf(UnreachableError);
    expect(error.message).toBe("GET any of 2 Marathon URLs: connection refused");
    expect((error as UnreachableError).details).toEqual([`${dead1}/v2/deployments: connection refused`, `${dead2}/v2/deployments: connection refused`]);
    // GETs wait and try again per the table: 4 retries after the first pass.
    expect(clock.sleeps).toEqual([250, 500, 1000, 2000]);
  });

  it("moves to the leader a standby names in X-Marathon-Leader", async () => {
    const leader = await fake([{ method: "GET", path: "/v2/apps", reply: () => ({ headers: { "x-marathon-leader": "http://LEADER" }, body: { apps: [] } }) }]);
    const leaderHostUrl = leader.url;
    const standby = await fake([
      { method: "GET", path: "/v2/apps", reply: () => ({ headers: { via: "1.1 standby", "x-marathon-leader": leaderHostUrl }, body: { apps: [] } }) },
    ]);
    const marathon = client({ urls: [standby.url, leader.url] });
    await marathon.listApps();
    await marathon.listApps();
    expect(standby.requests).toHaveLength(1);
    expect(leader.requests).toHaveLength(1);
    expect(marathon.leaderUrl).toBe("http://LEADER");
  });

  it("retries a GET on 503 and on a dropped connection, with the table's waits", async () => {
    let calls = 0;
    const server = await fake([
      {
        method: "GET",
        path: "/v2/apps/web",
        reply: (_req, res) => {
          calls++;
          if (calls === 1) return { status: 503, body: { message: "Could not determine the current leader" } };
          if (calls === 2) {
            res.socket?.destroy();
            return;
          }
          return { body: { app } };
        },
      },
    ]);
    const clock = createInstantClock();
    const retries: RetryInfo[] = [];
    const marathon = createMarathonClient({ urls: [server.url], clock, onRetry: (r) => retries.push(r) });
    clients.push(marathon);
    expect((await marathon.getApp("web")).id).toBe("/click-count");
    expect(clock.sleeps).toEqual([250, 500]);
    expect(retries.map((r) => r.failure)).toEqual(["503 Service Unavailable", "the connection was closed before an answer came"]);
  });

  it("never retries a PUT on 503", async () => {
    const server = await fake([{ method: "PUT", path: "/v2/apps/web", reply: () => ({ status: 503, body: { message: "no leader" } }) }]);
    const clock = createInstantClock();
    const error = await rejection(createMarathonClient({ urls: [server.url], clock }).putApp({ id: "/web" }));
    expect(error).toBeInstanceOf(HttpError);
    expect((error as HttpError).exitCode).toBe(6);
    expect(server.requests).toHaveLength(1);
    expect(clock.sleeps).toEqual([]);
  });

  it("never retries a deployment DELETE on 502", async () => {
    const server = await fake([{ method: "DELETE", path: "/v2/deployments/d-1", reply: () => ({ status: 502, body: "Bad Gateway" }) }]);
    const error = await rejection(client({ urls: [server.url] }).deleteDeployment("d-1"));
    expect(error.message).toBe(`DELETE ${server.url}/v2/deployments/d-1: 502 Bad Gateway: Bad Gateway`);
    expect(server.requests).toHaveLength(1);
  });

  it("reports a PUT whose connection broke as may-have-applied, without retrying", async () => {
    const server = await fake([{ method: "PUT", path: "/v2/apps/web", reply: (_req, res) => void res.socket?.destroy() }]);
    const error = await rejection(client({ urls: [server.url, server.url] }).putApp({ id: "/web" }));
    expect(error).toBeInstanceOf(RequestTimedOutError);
    expect((error as RequestTimedOutError).reason).toBe("reset");
    expect(server.requests).toHaveLength(1);
  });

  it("reuses connections for reads but sends writes on a fresh one (no stale-socket false alarms)", async () => {
    const ports: string[] = [];
    const server = createHttpServer((req, res) => {
      ports.push(`${req.method} ${req.socket.remotePort}`);
      res.writeHead(200, { "content-type": "application/json" }).end(req.method === "GET" ? "[]" : '{"deploymentId":"d","version":"v"}');
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const marathon = client({ urls: [`http://127.0.0.1:${(server.address() as AddressInfo).port}`] });
    await marathon.getDeployments();
    await marathon.getDeployments();
    await marathon.putApp({ id: "/web" });
    await marathon.putApp({ id: "/web" });
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const port = (i: number) => ports[i]?.split(" ")[1];
    expect(port(0)).toBe(port(1));
    expect(new Set([port(0), port(2), port(3)]).size).toBe(3);
  });

  it("reports a PUT that timed out as RequestTimedOutError with mayHaveApplied", async () => {
    const server = await fake([{ method: "PUT", path: "/v2/apps/web", reply: () => new Promise<void>(() => undefined) }]);
    const started = Date.now();
    const error = await rejection(createMarathonClient({ urls: [server.url], timeoutMs: 100 }).putApp({ id: "/web" }));
    expect(error).toBeInstanceOf(RequestTimedOutError);
    expect((error as RequestTimedOutError).mayHaveApplied).toBe(true);
    expect(error.message).toBe(`PUT ${server.url}/v2/apps/web: no answer within 100 ms; the change may or may not have been applied`);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(server.requests).toHaveLength(1);
  });

  it("retries a GET that timed out, then says it is unreachable", async () => {
    const server = await fake([{ method: "GET", path: "/v2/queue", reply: () => new Promise<void>(() => undefined) }]);
    const clock = createInstantClock();
    const marathon = createMarathonClient({ urls: [server.url], timeoutMs: 50, clock, retry: { rules: [{ methods: ["GET"], retryOn: ["timeout"], delaysMs: [10] }] } });
    const error = await rejection(marathon.getQueue());
    expect(error).toBeInstanceOf(UnreachableError);
    expect(error.message).toBe(`GET ${server.url}/v2/queue: no answer within 50 ms`);
    expect(server.requests).toHaveLength(2);
  });

  it("stops waiting when the caller aborts", async () => {
    const server = await fake([{ method: "GET", path: "/v2/deployments", reply: () => new Promise<void>(() => undefined) }]);
    const controller = new AbortController();
    const pending = client({ urls: [server.url] }).getDeployments({ signal: controller.signal });
    setTimeout(() => controller.abort(new Error("stop")), 20);
    const error = await rejection(pending);
    expect(error).not.toBeInstanceOf(UnreachableError);
  });
});
