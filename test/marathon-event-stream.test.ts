import { afterEach, describe, expect, it } from "vitest";
import { createMarathonClient, MarathonAuthError, type MarathonClient } from "../src/marathon/client.js";
import { followMarathonEvents, type EventStreamState } from "../src/marathon/event-stream.js";
import type { MarathonEvent } from "../src/marathon/types.js";
import { startSseFake, until, type SseFake } from "./marathon-sse-fake.js";
import { createInstantClock, createManualClock } from "./marathon-test-clock.js";

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function fake(options?: Parameters<typeof startSseFake>[0]): Promise<SseFake> {
  const server = await startSseFake(options);
  cleanups.push(() => server.close());
  return server;
}

function client(urls: string[], auth?: { username: string; password: string }): MarathonClient {
  const c = createMarathonClient({ urls, auth, clock: createInstantClock(), timeoutMs: 2000 });
  cleanups.push(() => c.close());
  return c;
}


function follow(marathon: MarathonClient, extra: { eventTypes?: string[]; attachTimeoutMs?: number; maxFrameChars?: number } = {}) {
  const events: MarathonEvent[] = [];
  const states: EventStreamState[] = [];
  const controller = new AbortController();
  const clock = createInstantClock();
  const done = followMarathonEvents({
    client: marathon,
    signal: controller.signal,
    clock,
    // Every stream starts with Marathon's attach event; the tests look at what follows it.
    onEvent: (e) => (e.eventType === "event_stream_attached" ? undefined : events.push(e)),
    onStateChange: (s) => states.push(s),
    ...extra,
  });
  cleanups.push(async () => {
    controller.abort();
    await done.catch(() => undefined);
  });
  return { events, states, controller, done, clock };
}

const success = (id: string) => ({ eventType: "deployment_success", timestamp: "2026-01-01T00:00:01.000Z", id, plan: { id, steps: [], version: "v" } });

describe("followMarathonEvents", () => {
  it("asks for text/event-stream with one event_type per filter and passes events on", async () => {
    const server = await fake();
    const { events, states } = follow(client([server.url], { username: "ci", password: "pw-123456" }), { eventTypes: ["deployment_success", "deployment_failed"] });
    await server.waitForStreams(1);
    const request = server.streamRequests[0];
    expect(request?.url.searchParams.getAll("event_type")).toEqual(["deployment_success", "deployment_failed", "event_stream_attached"]);
    expect(request?.headers.accept).toBe("text/event-stream");
    expect(request?.headers.authorization).toBe(`Basic ${Buffer.from("ci:pw-123456").toString("base64")}`);
    server.emit({ eventType: "event_stream_attached", timestamp: "2026-01-01T00:00:00.000Z", remoteAddress: "127.0.0.1" });
    server.emit(success("d-1"));
    await until(() => events.length === 1, "the event");
    // Asked for only to get the stream going; not passed on unless listed.
    expect(events[0]).toMatchObject({ eventType: "deployment_success", id: "d-1" });
    expect(states[0]).toEqual({ state: "connecting", attempt: 1 });
    expect(states[1]).toEqual({ state: "open", url: `${server.url}/v2/events?event_type=deployment_success&event_type=deployment_failed&event_type=event_stream_attached` });
  });

  it("reassembles a frame cut across TCP writes, with CRLF line ends and comments", async () => {
    const server = await fake();
    const { events } = follow(client([server.url]));
    await server.waitForStreams(1);
    const frame = `: ping\r\nevent: deployment_success\r\ndata: ${JSON.stringify(success("d-2"))}\r\n\r\n`;
    const cut = frame.indexOf('"id"') + 2;
    server.write(frame.slice(0, cut));
    await new Promise((r) => setTimeout(r, 20));
    expect(events).toEqual([]);
    server.write(frame.slice(cut));
    await until(() => events.length === 1, "the reassembled event");
    expect(events[0]).toMatchObject({ id: "d-2" });
  });

  it("reports a gap when the stream drops and reconnects with backoff", async () => {
    const server = await fake();
    const { events, states, clock } = follow(client([server.url]));
    await server.waitForStreams(1);
    await until(() => server.openStreams === 1, "an open stream");
    server.drop();
    await server.waitForStreams(2);
    await until(() => server.openStreams === 1, "the second stream");
    server.emit(success("d-3"));
    await until(() => events.length === 1, "an event after reconnecting");
    const kinds = states.map((s) => s.state);
    expect(kinds.slice(0, 5)).toEqual(["connecting", "open", "gap", "connecting", "open"]);
    expect(states[2]).toMatchObject({ state: "gap", retryInMs: 100 });
    expect(clock.sleeps[0]).toBe(100);
  });

  it("backs off further when streams keep closing before any data", async () => {
    let calls = 0;
    const server = await fake({ eventsReply: () => (++calls <= 3 ? { status: 200, headers: { "content-type": "text/event-stream" }, body: "" } : undefined) });
    const { states, clock } = follow(client([server.url]));
    await server.waitForStreams(1);
    expect(states.filter((s) => s.state === "gap").map((s) => (s.state === "gap" ? s.reason : ""))).toEqual(Array(3).fill("the event stream ended"));
    expect(clock.sleeps.slice(0, 3)).toEqual([100, 250, 500]);
  });

  it("follows a standby's 302 to the leader and keeps the credentials", async () => {
    const leader = await fake();
    const standby = await fake({ eventsReply: (req) => ({ status: 302, headers: { location: `${leader.url}${req.url ?? ""}` } }) });
    const { events, states } = follow(client([standby.url], { username: "ci", password: "pw-123456" }), { eventTypes: ["deployment_success"] });
    await leader.waitForStreams(1);
    expect(leader.streamRequests[0]?.headers.authorization).toBeDefined();
    expect(leader.streamRequests[0]?.url.searchParams.getAll("event_type")).toEqual(["deployment_success", "event_stream_attached"]);
    leader.emit(success("d-4"));
    await until(() => events.length === 1, "an event from the leader");
    expect(states.find((s) => s.state === "open")).toEqual({ state: "open", url: `${leader.url}/v2/events?event_type=deployment_success&event_type=event_stream_attached` });
  });

  it("stops with an exit-6 error on 401 instead of reconnecting forever", async () => {
    const server = await fake({ eventsReply: () => ({ status: 401, body: "" }) });
    const { done, states } = follow(client([server.url], { username: "ci", password: "wrong-password" }));
    const error = await done.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(MarathonAuthError);
    expect((error as MarathonAuthError).exitCode).toBe(6);
    expect(String((error as Error).message)).not.toContain("wrong-password");
    expect(states.at(-1)).toMatchObject({ state: "closed" });
  });

  it("keeps trying while Marathon answers 503 and resolves when aborted", async () => {
    let calls = 0;
    const server = await fake({ eventsReply: () => (++calls <= 2 ? { status: 503, body: '{"message":"no leader"}' } : undefined) });
    const marathon = createMarathonClient({ urls: [server.url], clock: createInstantClock(), retry: { rules: [] } });
    cleanups.push(() => marathon.close());
    const { states, controller, done } = follow(marathon);
    await server.waitForStreams(1);
    expect(states.filter((s) => s.state === "gap")).toHaveLength(2);
    controller.abort();
    await done;
    expect(states.at(-1)).toEqual({ state: "closed" });
  });

  it("reconnects when a stream stays silent past idleTimeoutMs (on the injected clock)", async () => {
    const server = await fake();
    const clock = createManualClock();
    const states: EventStreamState[] = [];
    const controller = new AbortController();
    const done = followMarathonEvents({
      client: client([server.url]),
      signal: controller.signal,
      clock,
      idleTimeoutMs: 30_000,
      reconnectDelaysMs: [10],
      onEvent: () => undefined,
      onStateChange: (s) => states.push(s),
    });
    cleanups.push(async () => {
      controller.abort();
      await done;
    });
    await server.waitForStreams(1);
    await until(() => states.some((s) => s.state === "open"), "the stream to open");
    await clock.advance(29_000);
    expect(states.map((s) => s.state)).toEqual(["connecting", "open"]);
    await clock.advance(1_000);
    await until(() => states.some((s) => s.state === "gap"), "the idle gap");
    expect(states.find((s) => s.state === "gap")).toEqual({ state: "gap", reason: "no event for 30000 ms", retryInMs: 10 });
    await clock.advance(10);
    await server.waitForStreams(2);
  });

  it("opens the stream on the next URL when the first refuses connections", async () => {
    const dead = await fake();
    const deadUrl = dead.url;
    await dead.close();
    const server = await fake();
    const { events } = follow(client([deadUrl, server.url]));
    await server.waitForStreams(1);
    await until(() => server.openStreams === 1, "the stream");
    server.emit(success("d-5"));
    await until(() => events.length === 1, "an event via the second URL");
  });

  it("headers without event_stream_attached (a proxy buffering the stream) never count as open: a gap after attachTimeoutMs, then a new attempt", async () => {
    const server = await fake({ attach: false });
    const { states } = follow(client([server.url]), { attachTimeoutMs: 100 });
    await server.waitForStreams(2);
    expect(states.some((s) => s.state === "open")).toBe(false);
    expect(states.find((s) => s.state === "gap")).toEqual({ state: "gap", reason: "no event_stream_attached within 100 ms of the answer (a proxy buffering the stream?)", retryInMs: 100 });
  });

  it("a first frame other than event_stream_attached is not Marathon talking: a gap, the event is not passed on", async () => {
    const server = await fake({ attach: false });
    const { states, events } = follow(client([server.url]), { attachTimeoutMs: 2000 });
    await server.waitForStreams(1);
    await until(() => server.openStreams === 1, "the stream");
    server.emit(success("d-6"));
    await until(() => states.some((s) => s.state === "gap"), "the gap");
    expect(states.find((s) => s.state === "gap")).toMatchObject({ reason: "the event stream sent deployment_success before event_stream_attached" });
    expect(events).toEqual([]);
    expect(states.some((s) => s.state === "open")).toBe(false);
  });

  it("garbage instead of events (a proxy's page) is a gap, never an open stream", async () => {
    const server = await fake({ eventsReply: () => ({ status: 200, headers: { "content-type": "text/event-stream" }, body: "data: <html>502 Bad Gateway</html>\n\n" }) });
    const { states } = follow(client([server.url]));
    await until(() => states.filter((s) => s.state === "gap").length >= 2, "two gaps");
    expect(states.find((s) => s.state === "gap")).toMatchObject({ reason: 'the event stream sent something that is not a Marathon event ("<html>502 Bad Gateway</html>")' });
    expect(states.some((s) => s.state === "open")).toBe(false);
  });

  it("garbage after the stream attached drops the connection as a gap (events may be lost) and reconnects", async () => {
    const server = await fake();
    const { states, events } = follow(client([server.url]));
    await server.waitForStreams(1);
    await until(() => states.some((s) => s.state === "open"), "the stream to attach");
    server.write("data: not json at all\n\n");
    await server.waitForStreams(2);
    await until(() => states.filter((s) => s.state === "open").length === 2, "the second attach");
    expect(states.map((s) => s.state).slice(0, 5)).toEqual(["connecting", "open", "gap", "connecting", "open"]);
    server.emit(success("d-7"));
    await until(() => events.length === 1, "an event after reconnecting");
  });

  it("a frame of a deciding kind that fails its schema is a gap, not an event: it is not passed on and the stream reconnects", async () => {
    const server = await fake();
    const { states, events } = follow(client([server.url]));
    await server.waitForStreams(1);
    await until(() => states.some((s) => s.state === "open"), "the stream to attach");
    // A task failure without the version it belongs to: counting it (or not) against the new version would be a guess.
    server.emit({ eventType: "status_update_event", timestamp: "2026-01-01T00:00:01.000Z", taskId: "web.1", taskStatus: "TASK_FAILED", appId: "/web" });
    await server.waitForStreams(2);
    expect(states.find((s) => s.state === "gap")).toMatchObject({ reason: "the event stream sent a status_update_event mdeploy cannot trust (/version: is missing)" });
    await until(() => states.filter((s) => s.state === "open").length === 2, "the second attach");
    server.emit(success("d-9"));
    await until(() => events.length === 1, "an event on the new connection");
    expect(events).toEqual([success("d-9")]);
  });

  it("a kind mdeploy does not read is dropped quietly: no gap, and the events around it pass", async () => {
    const server = await fake();
    const { states, events } = follow(client([server.url]));
    await server.waitForStreams(1);
    await until(() => states.some((s) => s.state === "open"), "the stream to attach");
    server.emit({ eventType: "api_post_event", timestamp: "2026-01-01T00:00:01.000Z", clientIp: "10.0.0.1", uri: "/v2/apps/web" });
    server.emit(success("d-10"));
    await until(() => events.length === 1, "the event after it");
    expect(events).toEqual([success("d-10")]);
    expect(states.some((s) => s.state === "gap")).toBe(false);
    expect(server.streamRequests).toHaveLength(1);
  });

  it("a line that never ends is cut at maxFrameChars: a gap and a new connection, not a growing buffer", async () => {
    const server = await fake();
    const { states, events } = follow(client([server.url]), { maxFrameChars: 10_000 });
    await server.waitForStreams(1);
    await until(() => states.some((s) => s.state === "open"), "the stream to attach");
    for (let i = 0; i < 20; i++) server.write(`data: ${"x".repeat(1000)}`);
    await server.waitForStreams(2);
    expect(states.find((s) => s.state === "gap")).toMatchObject({ reason: "the event stream sent a frame over the bound (an event-stream frame grew past 10000 characters without ending)" });
    await until(() => states.filter((s) => s.state === "open").length === 2, "the second attach");
    server.emit(success("d-8"));
    await until(() => events.length === 1, "an event on the new connection");
  });

  it("an error that is no network failure (a bug) surfaces instead of becoming a gap", async () => {
    const broken: Pick<MarathonClient, "openEventStream"> = {
      openEventStream: async () => {
        throw new TypeError("cannot read properties of undefined");
      },
    };
    const states: EventStreamState[] = [];
    const error = await followMarathonEvents({ client: broken, signal: new AbortController().signal, clock: createInstantClock(), onEvent: () => undefined, onStateChange: (s) => states.push(s) }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(TypeError);
    expect(states.map((s) => s.state)).toEqual(["connecting", "closed"]);
  });
});
