import { afterEach, describe, expect, it } from "vitest";
import { createMarathonClient, type MarathonClient } from "../src/marathon/client.js";
import { createDeploymentWatcher, type DeploymentWatcher, type DeploymentWatcherOptions } from "../src/marathon/deployment-watcher.js";
import type { EventStreamState } from "../src/marathon/event-stream.js";
import type { AppStatus, Deployment } from "../src/marathon/types.js";
import { startSseFake, until, type SseFake } from "./marathon-sse-fake.js";
import { createManualClock, type ManualClock } from "./marathon-test-clock.js";

const V1 = "2026-01-01T00:00:00.000Z";
const V2 = "2026-01-02T00:00:00.000Z";
const target = { deploymentId: "d-1", appId: "/web", version: V2 };

/** What the fake Marathon reports; tests change it as the "deployment" progresses. */
interface ClusterState {
  deployments: Deployment[];
  app: AppStatus;
  /** Answer this many `/v2/deployments` polls with 500 first. */
  failPolls?: number;
}

const runningDeployment: Deployment = { id: "d-1", version: V2, affectedApps: ["/web"], affectedPods: [], steps: [], currentActions: [], currentStep: 1, totalSteps: 1 };

function appAt(version: string): AppStatus {
  return {
    id: "/web",
    version,
    instances: 1,
    tasksStaged: 0,
    tasksRunning: 1,
    tasksHealthy: 1,
    tasksUnhealthy: 0,
    deployments: [],
    tasks: [{ id: "web.1", appId: "/web", host: "a", ports: [], stagedAt: null, startedAt: "x", state: "TASK_RUNNING", version }],
  };
}

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(state: ClusterState, options: Partial<DeploymentWatcherOptions> = {}) {
  const server: SseFake = await startSseFake({
    handle: (method, url) => {
      if (method === "GET" && url.pathname === "/v2/deployments") {
        if (state.failPolls && state.failPolls-- > 0) return { status: 500, body: { message: "boom" } };
        return { body: state.deployments };
      }
      if (method === "GET" && url.pathname === "/v2/apps/web") return { body: { app: state.app } };
      return undefined;
    },
  });
  cleanups.push(() => server.close());
  const clock: ManualClock = createManualClock();
  // No retries inside the client: these tests are about the watcher's own polling.
  const client: MarathonClient = createMarathonClient({ urls: [server.url], clock, timeoutMs: 2000, retry: { rules: [] } });
  cleanups.push(() => client.close());
  const states: EventStreamState[] = [];
  const watcher: DeploymentWatcher = createDeploymentWatcher({ client, clock, onStreamState: (s) => states.push(s), ...options });
  cleanups.push(() => watcher.close());
  return { server, clock, client, watcher, states };
}


const successEvent = (id: string) => ({ eventType: "deployment_success", timestamp: V2, id, plan: { id, steps: [], version: V2 } });

describe("createDeploymentWatcher", () => {
  it("notices deployment_success from the stream at once, without polling", async () => {
    const state = { deployments: [runningDeployment], app: appAt(V1) };
    const { server, watcher } = await setup(state);
    await watcher.ready;
    expect(watcher.streamState.state).toBe("open");
    const waiting = watcher.waitFor(target);
    const sent = Date.now();
    server.emit(successEvent("d-1"));
    const outcome = await waiting;
    // Well under a second (real time) and without a single poll: the stream alone told.
    expect(Date.now() - sent).toBeLessThan(500);
    expect(outcome).toMatchObject({ result: "succeeded", source: "event" });
    expect(server.requests).toEqual([]);
    expect(server.streamRequests[0]?.url.searchParams.getAll("event_type")).toContain("deployment_success");
  });

  it("remembers an end that came before waitFor (a 0-step deployment ends at once)", async () => {
    const { server, watcher } = await setup({ deployments: [], app: appAt(V2) });
    await watcher.ready;
    server.emit({ eventType: "deployment_failed", timestamp: V2, id: "d-1", plan: { id: "d-1", steps: [], version: V2 }, reason: "The upgrade has been cancelled" });
    await until(() => server.streamRequests.length === 1, "the stream");
    await new Promise((r) => setTimeout(r, 30));
    expect(await watcher.waitFor(target)).toMatchObject({ result: "failed", source: "event", reason: "The upgrade has been cancelled" });
  });

  it("falls back to polling when the stream drops, within one poll interval", async () => {
    const state = { deployments: [runningDeployment], app: appAt(V1) };
    const { server, watcher, clock, states } = await setup(state, { pollIntervalMs: 1000, reconnectDelaysMs: [60_000] });
    await watcher.ready;
    const verdicts: string[] = [];
    const waiting = watcher.waitFor(target, { onVerdict: (v) => verdicts.push(v.state) });
    server.drop();
    // The gap triggers a catch-up poll at once: still running.
    await until(() => verdicts.length === 1, "the catch-up poll");
    expect(states.map((s) => s.state)).toContain("gap");
    // The deployment ends while the stream is down; no event will tell.
    state.deployments = [];
    state.app = appAt(V2);
    await clock.advance(1000);
    const outcome = await waiting;
    expect(outcome).toMatchObject({ result: "succeeded", source: "poll", health: { total: 1, ready: 1, instances: 1 } });
    expect(verdicts).toEqual(["running", "succeeded"]);
  });

  it("catches up after a reconnect when the end event fell into the gap", async () => {
    const state = { deployments: [runningDeployment], app: appAt(V1) };
    const { server, watcher, clock } = await setup(state, { pollIntervalMs: 60_000, reconnectDelaysMs: [100] });
    await watcher.ready;
    const waiting = watcher.waitFor(target);
    server.drop();
    await until(() => server.requests.length >= 1, "the catch-up poll after the gap");
    state.deployments = [];
    state.app = appAt(V2);
    await clock.advance(100); // reconnect; "open" again wakes another poll
    await server.waitForStreams(2);
    expect(await waiting).toMatchObject({ result: "succeeded", source: "poll" });
  });

  it("judges a vanished deployment as failed when the app went back (cancelled and reverted)", async () => {
    const { watcher } = await setup({ deployments: [], app: appAt(V1) }, { useEventStream: false });
    await watcher.ready;
    const outcome = await watcher.waitFor(target);
    expect(outcome.result).toBe("failed");
    expect(outcome.reason).toMatch(/app is at version 2026-01-01T00:00:00.000Z, not 2026-01-02T00:00:00.000Z/);
  });

  it("keeps polling through Marathon errors and stops when the caller aborts", async () => {
    const state: ClusterState = { deployments: [runningDeployment], app: appAt(V1), failPolls: 1 };
    const errors: string[] = [];
    const { watcher, clock, server } = await setup(state, { useEventStream: false, pollIntervalMs: 500, onPollError: (e) => errors.push(e.message) });
    const controller = new AbortController();
    const verdicts: string[] = [];
    const waiting = watcher.waitFor(target, { signal: controller.signal, onVerdict: (v) => verdicts.push(v.state) });
    await until(() => errors.length === 1, "the failed poll");
    expect(errors[0]).toMatch(/GET .*\/v2\/deployments: 500 Internal Server Error: boom/);
    await clock.advance(500);
    await until(() => verdicts.length === 1, "the next poll");
    expect(server.requests).toEqual(["GET /v2/deployments", "GET /v2/deployments"]);
    controller.abort(new Error("deploy timed out"));
    await expect(waiting).rejects.toThrow("deploy timed out");
  });
});
