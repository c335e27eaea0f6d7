/**
 * The rules of the HTTP seam as a user meets them through the Marathon and Mesos adapters:
 * a URL that answers like something else says "does not look like Mesos" (exit 6); a GET's
 * redirect is followed once and credentials never go to another origin's other path; a
 * write's redirect is named, not followed; a server that never answers is named after the
 * first timeout; and exit codes come from error classes, not from status numbers.
 */
import { subscribe, unsubscribe } from "node:diagnostics_channel";
import { createServer, type Server, type Socket } from "node:net";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { HttpError, UnreachableError } from "../src/errors.js";
import { formatHttpEvent, HTTP_EVENTS_CHANNEL, noAnswerNotice, type HttpEvent } from "../src/http/http-events.js";
import { createMarathonClient, MarathonApiError } from "../src/marathon/client.js";
import { followMarathonEvents } from "../src/marathon/event-stream.js";
import { createMesosClient } from "../src/mesos/client.js";
import { startFakeServer, type FakeRoute, type FakeServer } from "./helpers/fake-server.js";
import { createInstantClock } from "./marathon-test-clock.js";

const servers: FakeServer[] = [];
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
  for (const close of closers.splice(0)) await close();
});
async function fake(routes: FakeRoute[]): Promise<FakeServer> {
  const s = await startFakeServer(routes);
  servers.push(s);
  return s;
}
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => new Error("expected a rejection"),
    (error: unknown) => error,
  );
}

const agents = { slaves: [{ id: "S0", hostname: "a1", resources: { cpus: 1, mem: 512, disk: 1000 }, used_resources: { cpus: 0, mem: 0, disk: 0 } }] };
const app = { app: { id: "/web", instances: 1, version: "2026-01-01T00:00:00.000Z", tasks: [], deployments: [] } };

describe("a URL that is not Mesos", () => {
  it("an HTML 404 (Marathon's port, a proxy): '<url> does not look like Mesos (GET /master/slaves: ...)', exit 6", async () => {
    const server = await fake([{ method: "GET", path: "/master/slaves", reply: () => ({ status: 404, headers: { "content-type": "text/html" }, body: "<html>Not Found</html>" }) }]);
    const mesos = createMesosClient({ url: server.url, clock: createInstantClock() });
    const error = await rejection(mesos.getAgents());
    mesos.close();
    expect(error).toBeInstanceOf(UnreachableError);
    expect((error as UnreachableError).exitCode).toBe(6);
    expect((error as Error).message).toBe(`${server.url} does not look like Mesos (GET /master/slaves: 404 Not Found, text/html)`);
  });

  it("a 200 login page reached through a redirect to another path: not Mesos, and the credentials stayed home", async () => {
    const login = await fake([{ method: "GET", path: "/sso/login", reply: () => ({ headers: { "content-type": "text/html" }, body: "<form>sign in</form>" }) }]);
    const master = await fake([{ method: "GET", path: "/master/slaves", reply: () => ({ status: 302, headers: { location: `${login.url}/sso/login` } }) }]);
    const mesos = createMesosClient({ url: master.url, auth: { username: "ops", password: "mesos-pw-9" }, clock: createInstantClock() });
    const error = await rejection(mesos.getAgents());
    mesos.close();
    expect((error as Error).message).toMatch(/does not look like Mesos \(GET \/master\/slaves: 200 OK, text\/html\)/);
    expect(login.requests).toHaveLength(1);
    expect(login.requests[0]?.headers.authorization).toBeUndefined();
  });

  it("the leader's redirect (same path, another host) is followed once with the credentials", async () => {
    const leader = await fake([{ method: "GET", path: "/master/slaves", reply: () => ({ body: agents }) }]);
    const standby = await fake([{ method: "GET", path: "/master/slaves", reply: () => ({ status: 307, headers: { location: `${leader.url}/master/slaves` } }) }]);
    const mesos = createMesosClient({ url: standby.url, auth: { username: "ops", password: "mesos-pw-9" }, clock: createInstantClock() });
    expect(await mesos.getAgents()).toHaveLength(1);
    mesos.close();
    expect(leader.requests[0]?.headers.authorization).toMatch(/^Basic /);
  });

  it("a second redirect is not followed: named with its target, exit 6", async () => {
    const second = await fake([{ method: "GET", path: "/master/slaves", reply: () => ({ status: 302, headers: { location: "http://127.0.0.1:9/master/slaves" } }) }]);
    const first = await fake([{ method: "GET", path: "/master/slaves", reply: () => ({ status: 302, headers: { location: `${second.url}/master/slaves` } }) }]);
    const mesos = createMesosClient({ url: first.url, clock: createInstantClock() });
    const error = await rejection(mesos.getAgents());
    mesos.close();
    expect((error as UnreachableError).exitCode).toBe(6);
    expect((error as Error).message).toContain("which redirects again (to http://127.0.0.1:9/master/slaves); not followed");
  });
});

describe("redirects from Marathon", () => {
  it("a GET is followed once; to another origin's other path without the credentials", async () => {
    const elsewhere = await fake([{ method: "GET", path: "/marathon/v2/apps/web", reply: () => ({ body: app }) }]);
    const marathon = await fake([{ method: "GET", path: "/v2/apps/web", reply: () => ({ status: 301, headers: { location: `${elsewhere.url}/marathon/v2/apps/web` } }) }]);
    const client = createMarathonClient({ urls: [marathon.url], auth: { username: "ci", password: "marathon-pw-3" }, clock: createInstantClock() });
    expect((await client.getApp("/web")).id).toBe("/web");
    client.close();
    expect(elsewhere.requests[0]?.headers.authorization).toBeUndefined();
  });

  it("a followed GET keeps its own size cap: the app list (64 MB) redirected is not cut at the 16 MB of one app", async () => {
    const apps = { apps: [{ ...app.app, labels: { note: "x".repeat(17 * 1024 * 1024) } }] };
    const marathon = await fake([
      { method: "GET", path: "/v2/apps", reply: () => ({ status: 302, headers: { location: "/marathon/v2/apps" } }) },
      { method: "GET", path: "/marathon/v2/apps", reply: () => ({ body: apps }) },
    ]);
    const client = createMarathonClient({ urls: [marathon.url], clock: createInstantClock() });
    const listed = await client.listApps();
    client.close();
    expect(listed.map((a) => a.id)).toEqual(["/web"]);
  });

  it("a PUT's redirect is named with its target and not followed, exit 6", async () => {
    const elsewhere = await fake([]);
    const marathon = await fake([{ method: "PUT", path: "/v2/apps/web", reply: () => ({ status: 307, headers: { location: `${elsewhere.url}/v2/apps/web` } }) }]);
    const client = createMarathonClient({ urls: [marathon.url], clock: createInstantClock() });
    const error = await rejection(client.putApp({ id: "/web" }));
    client.close();
    expect((error as UnreachableError).exitCode).toBe(6);
    expect((error as Error).message).toBe(`PUT ${marathon.url}/v2/apps/web: 307 Temporary Redirect, redirects to ${elsewhere.url}/v2/apps/web`);
    expect(elsewhere.requests).toEqual([]);
  });
});

describe("exit codes come from error classes", () => {
  it.each([
    [409, "Conflict"],
    [404, "Not Found"],
    [429, "Too Many Requests"],
  ])("an unhandled %i from Marathon is not bad input: exit 6", async (status) => {
    const marathon = await fake([{ method: "POST", path: "/v2/apps/web/restart", reply: () => ({ status, body: { message: "no" } }) }]);
    const client = createMarathonClient({ urls: [marathon.url], clock: createInstantClock() });
    const error = await rejection(client.restartApp("/web"));
    client.close();
    expect(error).toBeInstanceOf(MarathonApiError);
    expect((error as HttpError).exitCode).toBe(6);
  });

  it("a 400 to a GET, or a proxy's HTML 400 to a PUT, is not a definition Marathon refused: exit 6", async () => {
    const marathon = await fake([
      { method: "GET", path: "/v2/apps/web", reply: () => ({ status: 400, body: { message: "Invalid embed" } }) },
      { method: "PUT", path: "/v2/apps/web", reply: () => ({ status: 400, headers: { "content-type": "text/html" }, body: "<html>The plain HTTP request was sent to HTTPS port</html>" }) },
    ]);
    const client = createMarathonClient({ urls: [marathon.url], clock: createInstantClock() });
    const errors = [await rejection(client.getApp("/web")), await rejection(client.putApp({ id: "/web" }))];
    client.close();
    expect(errors.map((e) => (e as HttpError).exitCode)).toEqual([6, 6]);
  });

  it("an unhandled 404 from Mesos in JSON is exit 6 too", async () => {
    const server = await fake([{ method: "GET", path: "/master/slaves", reply: () => ({ status: 409, body: { message: "busy" } }) }]);
    const mesos = createMesosClient({ url: server.url, clock: createInstantClock() });
    const error = await rejection(mesos.getAgents());
    mesos.close();
    expect(error).toBeInstanceOf(HttpError);
    expect((error as HttpError).exitCode).toBe(6);
  });
});

describe("a Mesos master that accepts connections and never answers", () => {
  it("is named after the first per-request timeout, with the attempt and the bound; then exit 6", async () => {
    const sockets: Socket[] = [];
    const silent: Server = createServer((socket) => void sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    closers.push(async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    });
    const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
    const notices: string[] = [];
    const listener = (message: unknown) => {
      const notice = noAnswerNotice(message as HttpEvent);
      if (notice) notices.push(notice.text);
    };
    subscribe(HTTP_EVENTS_CHANNEL, listener);
    try {
      const mesos = createMesosClient({ url, timeoutMs: 200, clock: createInstantClock() });
      const error = await rejection(mesos.getAgents());
      mesos.close();
      expect((error as UnreachableError).exitCode).toBe(6);
      expect((error as Error).message).toBe(`GET ${url}/master/slaves: no answer within 200 ms`);
    } finally {
      unsubscribe(HTTP_EVENTS_CHANNEL, listener);
    }
    expect(notices[0]).toBe(`no answer from ${url} in 0.2 s, retrying 2/5; giving up after about 4.8 s in all`);
    expect(notices).toHaveLength(4);
  });
});

// Answers an attacker or a broken proxy could give: each is a clear exit-6 error naming the target,
// never an internal error, never a password in the message.
describe("Marathon's event stream redirected somewhere mdeploy cannot go", () => {
  it.each(["file:///etc/passwd", "ftp://127.0.0.1/v2/events", "http://[::1"])("a 302 to %s is exit 6 naming the target, not an internal error", async (location) => {
    const marathon = await fake([{ method: "GET", path: "/v2/events", reply: () => ({ status: 302, headers: { location } }) }]);
    const client = createMarathonClient({ urls: [marathon.url], clock: createInstantClock() });
    const error = await rejection(client.openEventStream({ eventTypes: ["deployment_success"] }));
    client.close();
    expect(error).toBeInstanceOf(UnreachableError);
    expect((error as UnreachableError).exitCode).toBe(6);
    expect((error as Error).message).toBe(`GET ${marathon.url}/v2/events?event_type=deployment_success: 302 Found, redirects to ${location}`);
    expect(marathon.requests).toHaveLength(1);
  });
});

describe("a second redirect whose Location carries user info", () => {
  const location = "https://ops:hunter2-secret@127.0.0.1:9/next";
  it("Marathon: named without the password", async () => {
    const marathon = await fake([
      { method: "GET", path: "/v2/apps/web", reply: () => ({ status: 302, headers: { location: "/moved" } }) },
      { method: "GET", path: "/moved", reply: () => ({ status: 302, headers: { location } }) },
    ]);
    const client = createMarathonClient({ urls: [marathon.url], clock: createInstantClock() });
    const error = await rejection(client.getApp("/web"));
    client.close();
    expect((error as UnreachableError).exitCode).toBe(6);
    expect((error as Error).message).toContain("redirects again (to https://127.0.0.1:9/next); not followed");
    expect((error as Error).message).not.toContain("hunter2");
  });

  it("Mesos: named without the password", async () => {
    const master = await fake([
      { method: "GET", path: "/master/slaves", reply: () => ({ status: 307, headers: { location: "/standby/master/slaves" } }) },
      { method: "GET", path: "/standby/master/slaves", reply: () => ({ status: 307, headers: { location } }) },
    ]);
    const mesos = createMesosClient({ url: master.url, clock: createInstantClock() });
    const error = await rejection(mesos.getAgents());
    mesos.close();
    expect((error as UnreachableError).exitCode).toBe(6);
    expect((error as Error).message).toContain("redirects again (to https://127.0.0.1:9/next)");
    expect((error as Error).message).not.toContain("hunter2");
  });
});

describe("Marathon's event stream redirected in several hops", () => {
  it("credentials dropped at one hop stay dropped: another host cannot earn them by redirecting to its own /v2/events", async () => {
    const elsewhere = await fake([
      { method: "GET", path: "/sso/check", reply: () => ({ status: 302, headers: { location: "/v2/events" } }) },
      { method: "GET", path: "/v2/events", reply: () => ({ status: 503, headers: { "content-type": "application/json" }, body: { message: "no" } }) },
    ]);
    const marathon = await fake([{ method: "GET", path: "/v2/events", reply: () => ({ status: 302, headers: { location: `${elsewhere.url}/sso/check` } }) }]);
    const client = createMarathonClient({ urls: [marathon.url], auth: { username: "ci", password: "marathon-pw-5" }, clock: createInstantClock() });
    await rejection(client.openEventStream({}));
    client.close();
    expect(marathon.requests[0]?.headers.authorization).toBeDefined();
    expect(elsewhere.requests.map((r) => r.url.pathname)).toEqual(["/sso/check", "/v2/events"]);
    expect(elsewhere.requests.map((r) => r.headers.authorization)).toEqual([undefined, undefined]);
  });

  it("the leader's redirect (same path, another host) still carries them", async () => {
    const leader = await fake([{ method: "GET", path: "/v2/events", reply: () => ({ status: 503, headers: { "content-type": "application/json" }, body: { message: "no" } }) }]);
    const standby = await fake([{ method: "GET", path: "/v2/events", reply: () => ({ status: 302, headers: { location: `${leader.url}/v2/events` } }) }]);
    const client = createMarathonClient({ urls: [standby.url], auth: { username: "ci", password: "marathon-pw-5" }, clock: createInstantClock() });
    await rejection(client.openEventStream({}));
    client.close();
    expect(leader.requests[0]?.headers.authorization).toBe(`Basic ${Buffer.from("ci:marathon-pw-5").toString("base64")}`);
  });
});

describe("Marathon's event stream answering an error whose body never ends", () => {
  const neverEnding: FakeRoute = {
    method: "GET",
    path: "/v2/events",
    reply: (_request, response) => {
      response.writeHead(503, { "content-type": "text/plain" });
      response.write("leader election in progress");
    },
  };

  it("is given up after the request timeout, named with what arrived (exit 6)", async () => {
    const marathon = await fake([neverEnding]);
    const client = createMarathonClient({ urls: [marathon.url], timeoutMs: 200, clock: createInstantClock() });
    const error = await Promise.race([rejection(client.openEventStream({})), new Promise((resolve) => setTimeout(() => resolve("still waiting after 5 s"), 5_000))]);
    client.close();
    expect(error).toBeInstanceOf(MarathonApiError);
    expect((error as MarathonApiError).exitCode).toBe(6);
    expect((error as Error).message).toBe(`GET ${marathon.url}/v2/events: 503 Service Unavailable: leader election in progress`);
  });

  it("stops when the caller's signal aborts", async () => {
    const marathon = await fake([neverEnding]);
    const client = createMarathonClient({ urls: [marathon.url], timeoutMs: 60_000, clock: createInstantClock() });
    const stop = new AbortController();
    const pending = rejection(client.openEventStream({ signal: stop.signal }));
    // Aborted once the server has the request (and, nearly always, the client its 503 headers).
    for (let i = 0; i < 100 && marathon.requests.length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    stop.abort(new Error("the deploy ended"));
    const error = await Promise.race([pending, new Promise((resolve) => setTimeout(() => resolve("still waiting after 5 s"), 5_000))]);
    client.close();
    // Before the headers reached the client it is the abort itself; after, Marathon's 503. Either way it ended.
    expect(error).toBeInstanceOf(Error);
  });
});

describe("--debug lines for Marathon's event stream", () => {
  it("the stream opened at a URL with a token in its query shows the token as REDACTED, as the exchange line does", async () => {
    const attached = { eventType: "event_stream_attached", remoteAddress: "127.0.0.1", timestamp: "2026-01-01T00:00:00.000Z" };
    const marathon = await fake([
      {
        method: "GET",
        path: "/v2/events",
        reply: (request, response) => {
          if (!request.url.searchParams.has("access_token")) return { status: 302, headers: { location: "/v2/events?access_token=tok-secret-123" } };
          response.writeHead(200, { "content-type": "text/event-stream" });
          response.write(`event: event_stream_attached\ndata: ${JSON.stringify(attached)}\n\n`);
          return undefined;
        },
      },
    ]);
    const lines: string[] = [];
    const listener = (message: unknown) => lines.push(formatHttpEvent(message as HttpEvent));
    subscribe(HTTP_EVENTS_CHANNEL, listener);
    const client = createMarathonClient({ urls: [marathon.url], clock: createInstantClock() });
    const stop = new AbortController();
    try {
      await followMarathonEvents({ client, signal: stop.signal, clock: createInstantClock(), onEvent: () => undefined, onStateChange: (state) => state.state === "open" && stop.abort() });
    } finally {
      unsubscribe(HTTP_EVENTS_CHANNEL, listener);
      client.close();
    }
    expect(lines).toContain(`http: event stream /v2/events: open (${marathon.url}/v2/events?access_token=REDACTED)`);
    expect(lines.join("\n")).not.toContain("tok-secret-123");
  });
});
