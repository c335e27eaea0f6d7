import { describe, expect, it } from "vitest";
import type { Clock } from "../core/ports/clock.js";
import type { AppStatus, Deployment, MarathonEvent, Task } from "../marathon/types.js";
import { MarathonApiError } from "../marathon/client.js";
import type { EventWatch } from "./event-watch.js";
import { followDeployment, type FollowOutcome } from "./follow-deployment.js";

const OLD = "2026-01-01T00:00:00.000Z";
const NEW = "2026-01-01T00:10:00.000Z";
const ID = "d-1";

/** A clock that moves only when everything else waits: each turn fires the earliest sleeper. */
function manualClock() {
  let now = 0;
  const sleepers: { at: number; wake: () => void }[] = [];
  const clock: Clock = {
    now: () => now,
    sleep: (ms) => new Promise<void>((resolve) => sleepers.push({ at: now + ms, wake: resolve })),
  };
  const run = async <T>(promise: Promise<T>): Promise<T> => {
    let done = false;
    // Both ways, so a rejection is left to the caller, not reported as unhandled here.
    void promise.then(
      () => (done = true),
      () => (done = true),
    );
    for (let turn = 0; turn < 100_000 && !done; turn++) {
      await new Promise((r) => setImmediate(r));
      if (done) break;
      sleepers.sort((a, b) => a.at - b.at);
      const next = sleepers.shift();
      if (next) {
        now = Math.max(now, next.at);
        next.wake();
      }
    }
    return promise;
  };
  return { clock, run };
}

function task(version: string, healthy = true, state: Task["state"] = "TASK_RUNNING"): Task {
  return { id: `t-${version}`, appId: "/a", host: "h", ports: [], stagedAt: null, startedAt: version, version, state, healthCheckResults: [{ alive: healthy, consecutiveFailures: 0, firstSuccess: null, lastSuccess: null, lastFailure: null }] };
}

function app(version: string, tasks: Task[]): AppStatus {
  return { id: "/a", instances: 1, version, healthChecks: [{ protocol: "HTTP" }], tasksStaged: 0, tasksRunning: tasks.length, tasksHealthy: 0, tasksUnhealthy: 0, deployments: [], tasks };
}

const running: Deployment = { id: ID, version: NEW, affectedApps: ["/a"], affectedPods: [], steps: [], currentActions: [{ action: "RestartApplication", app: "/a" }], currentStep: 1, totalSteps: 1 };

interface Script {
  /** The app and deployments Marathon shows at clock time t. */
  at: (t: number) => { app: AppStatus; deployments: Deployment[] };
  /** Events that arrive at clock time t (delivered once). */
  events?: { t: number; event: MarathonEvent }[];
  interrupted?: boolean;
  /** Why the stream is down (with interrupted). */
  gapReason?: string;
  deadline?: number;
  /** Cluster ms per real ms, as the simulator's fast virtual clock (default 1). */
  speed?: number;
  /** An error the app read throws at clock time t, if any. */
  fail?: (t: number) => Error | undefined;
  /** Clock time at which the caller's signal aborts (its time is up), if any. */
  abortAt?: number;
}

async function follow(script: Script): Promise<FollowOutcome> {
  notes = [];
  const { clock, run } = manualClock();
  const pending = [...(script.events ?? [])];
  const events: MarathonEvent[] = [];
  const deliver = () => {
    while (pending.length > 0 && (pending[0]?.t ?? Infinity) <= clock.now()) events.push((pending.shift() as { event: MarathonEvent }).event);
  };
  const watch: EventWatch = {
    events,
    interrupted: script.interrupted ?? false,
    open: !(script.interrupted ?? false),
    gapReason: script.gapReason,
    failure: undefined,
    wait: async (ms) => {
      const nextEvent = pending[0]?.t;
      await clock.sleep(nextEvent !== undefined && nextEvent > clock.now() ? Math.min(ms, nextEvent - clock.now()) : ms);
      deliver();
    },
    whenOpen: async () => true,
    close: async () => undefined,
  };
  const marathon = {
    getApp: async () => {
      const error = script.fail?.(clock.now());
      if (error) throw error;
      return script.at(clock.now()).app;
    },
    getDeployments: async () => script.at(clock.now()).deployments,
    getQueue: async () => [],
  };
  deliver();
  const speed = script.speed ?? 1;
  // Real time on the same timeline: one real ms is `speed` cluster ms.
  const realClock: Clock = { now: () => clock.now() / speed, sleep: (ms, signal) => clock.sleep(ms * speed, signal) };
  const stop = new AbortController();
  const abortAt = script.abortAt;
  // Fired from inside the clock, the way the command's own timer would, so it cannot race the follower.
  if (abortAt !== undefined) void clock.sleep(abortAt).then(() => stop.abort());
  return run(followDeployment({ marathon, clock, realClock, watch, appId: "/a", deploymentId: ID, version: NEW, deadline: script.deadline ?? 600_000, onNote: (line) => notes.push(line), signal: stop.signal }));
}

/** Notes the last follow printed (the fallback taken, task failures). */
let notes: string[] = [];

const success = (t: number): { t: number; event: MarathonEvent } => ({ t, event: { eventType: "deployment_success", timestamp: "", id: ID, plan: { id: ID, version: NEW, steps: [{ actions: [{ action: "RestartApplication", app: "/a" }] }] } } });

describe("followDeployment", () => {
  it("success needs the event and a verified app", async () => {
    const outcome = await follow({
      at: (t) => (t < 10_000 ? { app: app(NEW, [task(OLD)]), deployments: [running] } : { app: app(NEW, [task(NEW)]), deployments: [] }),
      events: [success(10_000)],
    });
    expect(outcome).toMatchObject({ kind: "success", verifiedBy: "event", version: NEW });
  });

  it("the event before the tasks settle: looks again until the app verifies", async () => {
    const outcome = await follow({
      at: (t) => (t < 10_000 ? { app: app(NEW, [task(NEW, false)]), deployments: [running] } : t < 10_100 ? { app: app(NEW, [task(NEW, false)]), deployments: [] } : { app: app(NEW, [task(NEW)]), deployments: [] }),
      events: [success(10_000)],
    });
    expect(outcome).toMatchObject({ kind: "success", verifiedBy: "event" });
  });

  it("vanished with the app half-replaced (a cancel): failed, never success", async () => {
    const outcome = await follow({ at: (t) => (t < 5_000 ? { app: app(NEW, [task(OLD)]), deployments: [running] } : { app: app(NEW, [task(OLD)]), deployments: [] }) });
    expect(outcome).toMatchObject({ kind: "failed", reason: "the deployment ended without deployment_success (cancelled or replaced)" });
  });

  it("on a fast cluster clock the poll sees the deployment gone before its event arrives: waits in real time, success by the event", async () => {
    // 500x: the event is 6 real ms behind the poll, though 3 s of cluster time pass.
    const outcome = await follow({
      speed: 500,
      deadline: 3_600_000,
      at: (t) => (t < 10_000 ? { app: app(NEW, [task(OLD)]), deployments: [running] } : { app: app(NEW, [task(NEW)]), deployments: [] }),
      events: [success(13_000)],
    });
    expect(outcome).toMatchObject({ kind: "success", verifiedBy: "event", version: NEW });
  });

  it("a cancel at the last moment that left the app verified: its deployment_failed arrives after the poll saw the deployment gone; failed, never success", async () => {
    const cancelled = { eventType: "deployment_failed", timestamp: "", id: ID, plan: { id: ID, version: NEW, steps: [] }, reason: "The upgrade has been cancelled" } as MarathonEvent;
    const outcome = await follow({
      speed: 500,
      deadline: 3_600_000,
      at: (t) => (t < 5_000 ? { app: app(NEW, [task(OLD)]), deployments: [running] } : { app: app(NEW, [task(NEW)]), deployments: [] }),
      events: [{ t: 8_000, event: cancelled }],
    });
    expect(outcome).toMatchObject({ kind: "failed", reason: "The upgrade has been cancelled" });
  });

  it("vanished with the app verified but neither end event on the open stream (a proxy dropping events): success from the state, and the fallback is said", async () => {
    const outcome = await follow({ at: (t) => (t < 5_000 ? { app: app(NEW, [task(OLD)]), deployments: [running] } : { app: app(NEW, [task(NEW)]), deployments: [] }) });
    expect(outcome).toMatchObject({ kind: "success", verifiedBy: "state", version: NEW });
    expect(notes).toContain(
      "deployment d-1 ended but its deployment_success or deployment_failed did not arrive on the open event stream within 2000 ms (a proxy dropping events?); following by polling every 500 ms and verifying from the app's state",
    );
  });

  it("a stream that never attached: says why and that it polls, then verifies from the state", async () => {
    const outcome = await follow({
      interrupted: true,
      gapReason: "no event_stream_attached within 5000 ms of the answer (a proxy buffering the stream?)",
      at: (t) => (t < 5_000 ? { app: app(NEW, [task(OLD)]), deployments: [running] } : { app: app(NEW, [task(NEW)]), deployments: [] }),
    });
    expect(outcome).toMatchObject({ kind: "success", verifiedBy: "state" });
    expect(notes[0]).toBe("event stream: no event_stream_attached within 5000 ms of the answer (a proxy buffering the stream?); following by polling every 500 ms and verifying from the app's state");
  });

  it("vanished while the stream was down and the app verifies: success from the state", async () => {
    const outcome = await follow({ interrupted: true, at: (t) => (t < 5_000 ? { app: app(NEW, [task(OLD)]), deployments: [running] } : { app: app(NEW, [task(NEW)]), deployments: [] }) });
    expect(outcome).toMatchObject({ kind: "success", verifiedBy: "state" });
  });

  it("another version took over: superseded", async () => {
    const later = "2026-01-01T00:20:00.000Z";
    const outcome = await follow({ at: (t) => (t < 5_000 ? { app: app(NEW, [task(OLD)]), deployments: [running] } : { app: app(later, [task(OLD)]), deployments: [] }) });
    expect(outcome).toMatchObject({ kind: "superseded", byVersion: later });
  });

  it("deployment_failed for our id: failed with Marathon's reason", async () => {
    const outcome = await follow({
      at: () => ({ app: app(NEW, [task(OLD)]), deployments: [running] }),
      events: [{ t: 3_000, event: { eventType: "deployment_failed", timestamp: "", id: ID, plan: { id: ID, version: NEW, steps: [] }, reason: "The upgrade has been cancelled" } }],
    });
    expect(outcome).toMatchObject({ kind: "failed", reason: "The upgrade has been cancelled" });
  });

  it("three failed tasks of the new version: fails fast, long before the deadline", async () => {
    const failed = (n: number, t: number): { t: number; event: MarathonEvent } => ({
      t,
      event: { eventType: "status_update_event", timestamp: "", slaveId: "s", taskId: `t${n}`, taskStatus: "TASK_FAILED", message: "Container exited with status 1", appId: "/a", host: "h", ipAddresses: [], ports: [], version: NEW },
    });
    const outcome = await follow({ at: () => ({ app: app(NEW, [task(OLD)]), deployments: [running] }), events: [failed(1, 1_000), failed(2, 3_000), failed(3, 6_000)] });
    expect(outcome).toMatchObject({ kind: "failed", reason: "the new version keeps failing (3 task failures)" });
  });

  it("nothing happens: timeout at the deadline, with the counts", async () => {
    const outcome = await follow({ deadline: 30_000, at: () => ({ app: app(NEW, [task(OLD)]), deployments: [running] }) });
    expect(outcome.kind).toBe("timeout");
    expect(outcome.kind === "timeout" && outcome.details[0]).toBe(`0/1 healthy instances of version ${NEW}; 1 of the previous version still running`);
  });

  it("failed tasks of the old version do not count", async () => {
    const oldFailure = (n: number): { t: number; event: MarathonEvent } => ({
      t: n * 1_000,
      event: { eventType: "status_update_event", timestamp: "", slaveId: "s", taskId: `o${n}`, taskStatus: "TASK_FAILED", message: "", appId: "/a", host: "h", ipAddresses: [], ports: [], version: OLD },
    });
    const outcome = await follow({
      at: (t) => (t < 10_000 ? { app: app(NEW, [task(OLD)]), deployments: [running] } : { app: app(NEW, [task(NEW)]), deployments: [] }),
      events: [oldFailure(1), oldFailure(2), oldFailure(3), oldFailure(4), success(10_000)],
    });
    expect(outcome.kind).toBe("success");
  });

  it("Marathon answering 503 for a while is ridden out: success once it answers again", async () => {
    const outcome = await follow({
      fail: (t) => (t > 1_000 && t < 8_000 ? new MarathonApiError("GET", "http://m/v2/apps/a", 503, "Service Unavailable", "", [], undefined) : undefined),
      at: (t) => (t < 10_000 ? { app: app(NEW, [task(OLD)]), deployments: [running] } : { app: app(NEW, [task(NEW)]), deployments: [] }),
      events: [success(10_000)],
    });
    expect(outcome).toMatchObject({ kind: "success", verifiedBy: "event" });
    expect(notes[0]).toMatch(/^cannot read the app from Marathon \(GET http:\/\/m\/v2\/apps\/a: 503 Service Unavailable\); still following$/);
  });

  it("the app deleted mid-deployment (404): failed saying so, not followed to the deadline", async () => {
    const outcome = await follow({
      fail: (t) => (t > 3_000 ? new MarathonApiError("GET", "http://m/v2/apps/a", 404, "Not Found", "App '/a' does not exist", [], undefined) : undefined),
      at: () => ({ app: app(NEW, [task(OLD)]), deployments: [running] }),
    });
    expect(outcome).toMatchObject({ kind: "failed", reason: "/a was deleted while its deployment ran" });
  });

  it("an error that is no Marathon failure (a bug) surfaces as it is instead of being followed past", async () => {
    const bug = new TypeError("x is not a function");
    await expect(follow({ fail: (t) => (t > 3_000 ? bug : undefined), at: () => ({ app: app(NEW, [task(OLD)]), deployments: [running] }) })).rejects.toBe(bug);
  });

  // Scenarios the removed second follower (marathon/deployment-watcher.ts) covered, held against the production one.
  it("a deployment that ended before following began (its deployment_failed already on the stream): failed with Marathon's reason", async () => {
    const cancelled = { eventType: "deployment_failed", timestamp: "", id: ID, plan: { id: ID, version: NEW, steps: [] }, reason: "The upgrade has been cancelled" } as MarathonEvent;
    const outcome = await follow({ at: () => ({ app: app(NEW, [task(NEW)]), deployments: [] }), events: [{ t: 0, event: cancelled }] });
    expect(outcome).toMatchObject({ kind: "failed", reason: "The upgrade has been cancelled" });
  });

  it("vanished while the stream was down with the app back at the old version (cancelled and reverted): failed, never success", async () => {
    const outcome = await follow({ interrupted: true, at: (t) => (t < 5_000 ? { app: app(NEW, [task(OLD)]), deployments: [running] } : { app: app(OLD, [task(OLD)]), deployments: [] }) });
    expect(outcome).toMatchObject({ kind: "failed", reason: "the deployment ended without deployment_success (cancelled or replaced)" });
  });

  it("the caller's time runs out while Marathon answers 503: timeout with what is known, not followed on", async () => {
    let reads = 0;
    const outcome = await follow({
      abortAt: 20_000,
      fail: (t) => {
        reads++;
        return t > 5_000 ? new MarathonApiError("GET", "http://m/v2/apps/a", 503, "Service Unavailable", "", [], undefined) : undefined;
      },
      at: () => ({ app: app(NEW, [task(OLD)]), deployments: [running] }),
    });
    expect(outcome).toEqual({ kind: "timeout", details: [`0/1 healthy instances of version ${NEW}; 1 of the previous version still running`] });
    // Polled on through the errors until the abort (every 2 s while the stream is open), then stopped, not on to the 600 s deadline.
    expect(reads).toBeGreaterThan(5);
    expect(reads).toBeLessThan(20);
  });

  it("TASK_DROPPED and TASK_GONE of new tasks count towards the crash loop; TASK_UNREACHABLE (the agent may return) does not", async () => {
    const update = (n: number, t: number, taskStatus: string): { t: number; event: MarathonEvent } => ({
      t,
      event: { eventType: "status_update_event", timestamp: "", taskId: `t${n}`, taskStatus, appId: "/a", host: "h", version: NEW },
    });
    const failing = await follow({ at: () => ({ app: app(NEW, [task(OLD)]), deployments: [running] }), events: [update(1, 1_000, "TASK_DROPPED"), update(2, 2_000, "TASK_GONE"), update(3, 3_000, "TASK_FAILED")] });
    expect(failing).toMatchObject({ kind: "failed", reason: "the new version keeps failing (3 task failures)" });
    const unreachable = await follow({
      at: (t) => (t < 10_000 ? { app: app(NEW, [task(OLD)]), deployments: [running] } : { app: app(NEW, [task(NEW)]), deployments: [] }),
      events: [update(1, 1_000, "TASK_UNREACHABLE"), update(2, 2_000, "TASK_UNREACHABLE"), update(3, 3_000, "TASK_UNREACHABLE"), success(10_000)],
    });
    expect(unreachable).toMatchObject({ kind: "success", verifiedBy: "event" });
  });
});
