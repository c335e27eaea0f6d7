import { describe, expect, it } from "vitest";
import type { AppDefinition } from "../marathon/types.js";
import { newAppRecord, type AppRecord } from "./app-record.js";
import type { ClusterSpec } from "./cluster-spec.js";
import { AgentState } from "./cluster-state.js";
import { InstanceLifecycle, type LifecycleHost } from "./instance-lifecycle.js";
import type { Instance } from "./instance.js";
import { Timeline } from "./timeline.js";
import { VirtualClock } from "./virtual-clock.js";

// The scenarios of test/sim-lifecycle.test.ts ("task lifecycle", "relaunches"), seen from
// the lifecycle's side: what it does to one instance and what it asks of its host.

const cluster: ClusterSpec = {
  agents: [{ hostname: "a1", cpus: 4, mem: 4096, disk: 1000 }],
  images: [
    { image: "*:broken", startSeconds: 1, healthy: false, healthFailure: "500 Internal Server Error" },
    { image: "*:crash", startSeconds: 2, crashOnStart: true },
    { image: "*:late", startSeconds: 1, healthyAfterSeconds: 20 },
    { image: "*java*", startSeconds: 2, healthyAfterSeconds: 2, memNeededMb: 280, oomAfterSeconds: 5 },
    { image: "*:slowready", startSeconds: 1, healthyAfterSeconds: 1, readyAfterSeconds: 40 },
    { image: "*:dies", startSeconds: 1, crashAfterSeconds: 5 },
  ],
  defaultImage: { startSeconds: 1, healthyAfterSeconds: 1 },
};

const VERSION = "2026-01-01T00:00:00.000Z";
const docker = (image: string) => ({ type: "DOCKER" as const, docker: { image } });
const hc = (extra: Record<string, unknown> = {}) => [{ protocol: "HTTP", gracePeriodSeconds: 5, intervalSeconds: 2, maxConsecutiveFailures: 3, ...extra }];

interface Recorded {
  eventType: string;
  t: number;
  [key: string]: unknown;
}

/**
 * The lifecycle on a host that keeps the app records and records what it is asked to do;
 * the test plays the offer round (`offer`) and the deployments (`deploying`).
 */
function setup(spec: ClusterSpec = cluster, hostOptions: { deploying?: boolean } = {}) {
  const clock = new VirtualClock();
  const timeline = new Timeline();
  const apps = new Map<string, AppRecord>();
  const events: Recorded[] = [];
  const enqueued: { appId: string; count: number; t: number }[] = [];
  const dirty: string[] = [];
  const dropped: string[] = [];
  let ids = 0;
  let freed = 0;
  const host: LifecycleHost = {
    clock,
    timeline,
    apps,
    emit: (eventType, payload) => events.push({ ...payload, eventType, t: clock.now() }),
    uuid: () => `u${++ids}`,
    markDirty: (appId) => dirty.push(appId),
    isDeploying: () => hostOptions.deploying ?? false,
    resourcesFreed: () => {
      freed++;
    },
    enqueue: (appId, count) => {
      const app = apps.get(appId);
      if (!app) throw new Error(`enqueue for unknown app ${appId}`);
      app.pending += count;
      enqueued.push({ appId, count, t: clock.now() });
    },
    dropReservations: (app) => {
      dropped.push(app.id);
      for (const r of app.reservations.splice(0)) r.agent.release(r.resources, r.ports);
    },
    scheduleOffers: () => {},
  };
  const agent = new AgentState(spec.agents[0] as ClusterSpec["agents"][number], "agent-1", "10.0.0.2", clock.now());
  const lifecycle = new InstanceLifecycle(host, spec);
  const addApp = (def: AppDefinition): AppRecord => {
    const stored: AppDefinition = { cpus: 0.1, mem: 32, version: VERSION, versionInfo: { lastScalingAt: VERSION, lastConfigChangeAt: VERSION }, ...def };
    const app = newAppRecord(def.id as string, stored);
    apps.set(app.id, app);
    return app;
  };
  /** What an offer round does for one queued launch. */
  const offer = (app: AppRecord): Instance => {
    app.pending--;
    return lifecycle.launch(app, agent, [31000]);
  };
  const statuses = (appId: string) => events.filter((e) => e.eventType === "status_update_event" && e.appId === appId).map((e) => [e.taskStatus, e.t - start]);
  const ofType = (type: string) => events.filter((e) => e.eventType === type);
  const start = clock.now();
  return { clock, timeline, apps, events, enqueued, dirty, dropped, agent, lifecycle, addApp, offer, statuses, ofType, start, freed: () => freed };
}

describe("an instance's life", () => {
  it("goes STAGING, STARTING halfway through its start, RUNNING, then healthy at the first Marathon-run check", async () => {
    const s = setup();
    const app = s.addApp({ id: "/web", cmd: "x", healthChecks: hc() });
    const instance = s.offer(app);
    expect(instance.taskId).toBe("web.instance-u1._app.1");
    await s.clock.advance(10_000);
    expect(s.statuses("/web")).toEqual([
      ["TASK_STAGING", 0],
      ["TASK_STARTING", 500],
      ["TASK_RUNNING", 1_000],
    ]);
    expect(s.ofType("instance_changed_event").map((e) => e.condition)).toEqual(["Staging", "Starting", "Running"]);
    expect(s.ofType("health_status_changed_event")).toEqual([expect.objectContaining({ appId: "/web", alive: true, t: s.start + 2_000 })]);
    expect(s.ofType("instance_health_changed_event")).toEqual([expect.objectContaining({ runSpecId: "/web", healthy: true })]);
    expect(s.timeline.forApp("/web").map((e) => e.kind)).toEqual(["launch", "state", "state", "state", "health"]);
    expect(s.agent.used.mem).toBe(32);
    expect(s.dirty.length).toBeGreaterThanOrEqual(4);
  });

  it("gives a Mesos-run check its delaySeconds before the first result", async () => {
    const s = setup();
    const app = s.addApp({ id: "/m", cmd: "x", healthChecks: hc({ protocol: "MESOS_HTTP", delaySeconds: 15 }) });
    s.offer(app);
    await s.clock.advance(15_999);
    expect(s.ofType("health_status_changed_event")).toHaveLength(0);
    await s.clock.advance(1);
    expect(s.ofType("health_status_changed_event")).toEqual([expect.objectContaining({ alive: true, t: s.start + 16_000 })]);
  });

  it("after maxConsecutiveFailures says so, kills, and queues the same instance again after a growing backoff", async () => {
    const s = setup();
    const app = s.addApp({ id: "/bad", container: docker("x/app:broken"), healthChecks: hc(), backoffSeconds: 10, backoffFactor: 2 });
    const first = s.offer(app);
    // Running at 1 s; checks every 2 s from 2 s; the grace period (5 s) covers 2 s and 4 s, so failures at 6, 8, 10 s.
    await s.clock.advance(10_000);
    expect(s.ofType("failed_health_check_event")).toHaveLength(3);
    expect(s.ofType("unhealthy_instance_kill_event")).toEqual([expect.objectContaining({ appId: "/bad", taskId: first.taskId, reason: "500 Internal Server Error", host: "a1" })]);
    expect(first.state).toBe("TASK_KILLING");
    expect(s.enqueued).toEqual([]);
    await s.clock.advance(1_000);
    expect(first.state).toBe("TASK_KILLED");
    expect(s.ofType("status_update_event").at(-1)).toMatchObject({ taskStatus: "TASK_KILLED", message: "Killed: FailedHealthChecks" });
    expect(s.enqueued).toEqual([{ appId: "/bad", count: 1, t: s.start + 11_000 }]);
    expect(app.relaunch).toEqual([{ instanceId: first.instanceId, incarnation: 1 }]);
    expect(app.delayUntil - s.clock.now()).toBe(10_000);
    expect(s.agent.used.mem).toBe(0);

    const second = s.offer(app);
    expect(second.instanceId).toBe(first.instanceId);
    expect(second.taskId).toBe(`${first.instanceId}._app.2`);
    expect(await s.clock.runUntil(() => second.state === "TASK_KILLED", { maxMs: 60_000 })).toBe(true);
    expect(app.failures).toBe(2);
    expect(app.delayUntil - s.clock.now()).toBe(20_000);
  });

  it("never kills when maxConsecutiveFailures is 0", async () => {
    const s = setup();
    const app = s.addApp({ id: "/bad", container: docker("x/app:broken"), healthChecks: hc({ maxConsecutiveFailures: 0 }) });
    const instance = s.offer(app);
    await s.clock.advance(120_000);
    expect(s.ofType("unhealthy_instance_kill_event")).toHaveLength(0);
    expect(instance.state).toBe("TASK_RUNNING");
    expect(instance.health).toMatchObject({ alive: false, lastFailureCause: "500 Internal Server Error" });
    expect(instance.health?.consecutiveFailures).toBeGreaterThan(10);
  });

  it("ignores failures during the grace period until the first success", async () => {
    const s = setup();
    const app = s.addApp({ id: "/slow", container: docker("x/slow:late"), healthChecks: hc({ gracePeriodSeconds: 30, maxConsecutiveFailures: 1 }) });
    const instance = s.offer(app);
    await s.clock.advance(60_000);
    expect(s.ofType("failed_health_check_event")).toHaveLength(0);
    expect(instance.health).toMatchObject({ alive: true, consecutiveFailures: 0 });
  });

  it("OOM-kills a task given less memory than its image needs: lastTaskFailure, resources freed, backoff, relaunch queued", async () => {
    const s = setup();
    const app = s.addApp({ id: "/java", container: docker("acme/java-app:1"), mem: 256 });
    const instance = s.offer(app);
    await s.clock.advance(7_000);
    expect(instance.state).toBe("TASK_FAILED");
    expect(s.ofType("status_update_event").at(-1)).toMatchObject({ taskStatus: "TASK_FAILED", message: "Memory limit exceeded: Requested: 256MB Maximum Used: 256MB" });
    expect(app.lastTaskFailure).toMatchObject({ appId: "/java", state: "TASK_FAILED", taskId: instance.taskId, host: "a1", timestamp: new Date(s.start + 7_000).toISOString() });
    expect(app.instances.size).toBe(0);
    expect(s.agent.used.mem).toBe(0);
    expect(s.freed()).toBe(1);
    // backoffSeconds defaults to 1.
    expect(app.delayUntil).toBe(s.start + 8_000);
    expect(s.enqueued).toEqual([{ appId: "/java", count: 1, t: s.start + 7_000 }]);
  });

  it("a crash at start fails the task before it ever runs", async () => {
    const s = setup();
    const app = s.addApp({ id: "/crash", container: docker("x/y:crash") });
    const instance = s.offer(app);
    await s.clock.advance(5_000);
    expect(s.statuses("/crash")).toEqual([
      ["TASK_STAGING", 0],
      ["TASK_STARTING", 1_000],
      ["TASK_FAILED", 2_000],
    ]);
    expect(instance.startedAt).toBeNull();
    expect(s.enqueued).toHaveLength(1);
  });

  it("a task launched while its app deploys is ready only once its readiness check passes", async () => {
    const s = setup(cluster, { deploying: true });
    const def: AppDefinition = {
      id: "/r",
      container: docker("x/y:slowready"),
      portDefinitions: [{ port: 10000, name: "http" }],
      readinessChecks: [{ name: "ready", portName: "http", intervalSeconds: 5, timeoutSeconds: 2 }],
    };
    const instance = s.offer(s.addApp(def));
    expect(instance.ready).toBe(false);
    await s.clock.advance(40_999);
    expect(instance.readinessChecked).toBe(true);
    expect(instance.ready).toBe(false);
    await s.clock.advance(1);
    expect(instance.ready).toBe(true);
    expect(s.timeline.forApp("/r", "ready")).toEqual([expect.objectContaining({ t: s.start + 41_000, ready: true })]);

    const outside = setup();
    expect(outside.offer(outside.addApp(def)).ready).toBe(true);
  });
});

describe("kills and relaunches (Marathon 1.8+: Instance.isScheduled, InstanceOpFactoryImpl.inferNormalTaskOp)", () => {
  it("a kill Marathon wants (scale down, restart) ends in TASK_KILLED after killSeconds and is not relaunched", async () => {
    const s = setup();
    const app = s.addApp({ id: "/k", cmd: "x" });
    const instance = s.offer(app);
    await s.clock.advance(2_000);
    s.lifecycle.kill(instance, "ScalingApp");
    expect(instance).toMatchObject({ goal: "stopped", state: "TASK_KILLING", replacing: false });
    expect(s.timeline.forApp("/k", "kill")).toEqual([expect.objectContaining({ detail: "ScalingApp" })]);
    await s.clock.advance(1_000);
    expect(instance.state).toBe("TASK_KILLED");
    expect(s.ofType("status_update_event").at(-1)).toMatchObject({ taskStatus: "TASK_KILLED", message: "" });
    expect(s.enqueued).toEqual([]);
    expect(app.failures).toBe(0);
    expect(app.relaunch).toEqual([]);
  });

  it("a task that dies while Marathon wants it comes back under the same instance id, next incarnation", async () => {
    const s = setup();
    const app = s.addApp({ id: "/g/dies", container: docker("x/y:dies") });
    const first = s.offer(app);
    expect(first.taskId).toBe("g_dies.instance-u1._app.1");
    await s.clock.advance(6_000);
    expect(first.state).toBe("TASK_FAILED");
    const second = s.offer(app);
    expect(second.taskId).toBe("g_dies.instance-u1._app.2");
    expect(await s.clock.runUntil(() => second.state === "TASK_FAILED", { maxMs: 60_000 })).toBe(true);
    expect(s.offer(app).taskId).toBe("g_dies.instance-u1._app.3");
  });

  it("relaunchKeepsInstanceId: false gives each relaunch a new instance (Marathon 1.4 to 1.7)", async () => {
    const s = setup({ ...cluster, marathon: { relaunchKeepsInstanceId: false } });
    const app = s.addApp({ id: "/dies", container: docker("x/y:dies") });
    s.offer(app);
    await s.clock.advance(6_000);
    expect(s.enqueued).toHaveLength(1);
    expect(app.relaunch).toEqual([]);
    expect(s.offer(app).taskId).toBe("dies.instance-u2._app.1");
  });

  it("a wiped task is replaced by a new instance", async () => {
    const s = setup();
    const app = s.addApp({ id: "/w", cmd: "x" });
    const instance = s.offer(app);
    await s.clock.advance(2_000);
    s.lifecycle.kill(instance, "KillingTasksViaApi", true, true);
    await s.clock.advance(1_000);
    expect(s.enqueued).toHaveLength(1);
    expect(app.relaunch).toEqual([]);
    expect(s.offer(app).instanceId).not.toBe(instance.instanceId);
  });

  it("an instance of the old config that ends is replaced only while the app is short of instances, by a new instance", async () => {
    const s = setup();
    const app = s.addApp({ id: "/o", container: docker("x/y:dies"), instances: 1 });
    s.offer(app);
    const NEXT = "2026-01-01T00:00:01.000Z";
    app.def = { ...app.def, version: NEXT, versionInfo: { lastScalingAt: NEXT, lastConfigChangeAt: NEXT } };
    app.pending = 1;
    await s.clock.advance(6_000);
    // One launch of the new config is queued already: that is enough for instances: 1.
    expect(s.enqueued).toEqual([]);
    expect(app.failures).toBe(1);

    const short = setup();
    const other = short.addApp({ id: "/o", container: docker("x/y:dies"), instances: 1 });
    short.offer(other);
    other.def = { ...other.def, version: NEXT, versionInfo: { lastScalingAt: NEXT, lastConfigChangeAt: NEXT } };
    await short.clock.advance(6_000);
    expect(short.enqueued).toHaveLength(1);
    expect(other.relaunch).toEqual([]);
  });

  it("a resident instance that stops keeps its reservation: resources stay taken on its agent", async () => {
    const s = setup();
    const app = s.addApp({
      id: "/db",
      cmd: "x",
      container: { type: "MESOS", volumes: [{ containerPath: "data", mode: "RW", persistent: { size: 10 } }] },
      upgradeStrategy: { minimumHealthCapacity: 0.5, maximumOverCapacity: 0 },
    });
    const instance = s.offer(app);
    await s.clock.advance(2_000);
    s.lifecycle.kill(instance, "Upgrading");
    await s.clock.advance(1_000);
    expect(instance.state).toBe("TASK_KILLED");
    expect(app.reservations).toEqual([expect.objectContaining({ instanceId: instance.instanceId, incarnation: 1, agent: s.agent, ports: [31000] })]);
    expect(s.agent.used.mem).toBe(32);
    expect(s.freed()).toBe(0);
  });

  it("a deleted app is forgotten, with its reservations, when its last task ends and no deployment holds it", async () => {
    const s = setup();
    const app = s.addApp({ id: "/gone", cmd: "x" });
    const instance = s.offer(app);
    await s.clock.advance(2_000);
    app.deleted = true;
    s.lifecycle.kill(instance, "DeletingApp");
    await s.clock.advance(1_000);
    expect(s.apps.has("/gone")).toBe(false);
    expect(s.dropped).toEqual(["/gone"]);
  });

  it("an agent lost under a task: TASK_LOST and a new instance replaces it", async () => {
    const s = setup();
    const app = s.addApp({ id: "/l", cmd: "x" });
    const instance = s.offer(app);
    await s.clock.advance(2_000);
    s.lifecycle.terminate(instance, "TASK_LOST", "Agent a1 removed", true);
    expect(instance.state).toBe("TASK_LOST");
    expect(s.ofType("instance_changed_event").at(-1)).toMatchObject({ condition: "Unreachable" });
    expect(app.lastTaskFailure).toMatchObject({ state: "TASK_LOST", message: "Agent a1 removed" });
    expect(s.enqueued).toHaveLength(1);
    expect(app.relaunch).toEqual([]);
  });
});
