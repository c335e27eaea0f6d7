import { afterEach, describe, expect, it } from "vitest";
import { startSimulator, type ClusterSpec, type Simulator } from "../src/sim/index.js";

const cluster: ClusterSpec = {
  agents: [
    { hostname: "a1", cpus: 4, mem: 4096, disk: 1000, attributes: { type: "svc", zone: "z1" } },
    { hostname: "a2", cpus: 4, mem: 4096, disk: 1000, attributes: { type: "app", zone: "z2" } },
    { hostname: "a3", cpus: 4, mem: 4096, disk: 1000, attributes: { type: "app", zone: "z3" } },
  ],
  images: [
    { image: "*:broken", startSeconds: 1, healthy: false, healthFailure: "500 Internal Server Error" },
    { image: "*:crash", startSeconds: 2, crashOnStart: true },
    { image: "*:leak", startSeconds: 1, healthyAfterSeconds: 1, unhealthyAfterSeconds: 60 },
    { image: "*java*", startSeconds: 2, healthyAfterSeconds: 2, memNeededMb: 280, oomAfterSeconds: 5 },
    { image: "*:slowready", startSeconds: 1, healthyAfterSeconds: 1, readyAfterSeconds: 40 },
  ],
  defaultImage: { startSeconds: 1, healthyAfterSeconds: 1 },
};

const docker = (image: string) => ({ type: "DOCKER", docker: { image } });
const hc = (extra: Record<string, unknown> = {}) => [{ protocol: "HTTP", gracePeriodSeconds: 5, intervalSeconds: 2, maxConsecutiveFailures: 3, ...extra }];

let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

async function post(s: Simulator, body: unknown, path = "/v2/apps", method = "POST") {
  const res = await fetch(`${s.marathonUrl}${path}`, { method, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

const events = (s: Simulator, type: string) => s.state.events().filter((e) => e.eventType === type) as unknown as Record<string, unknown>[];

describe("task lifecycle", () => {
  it("goes STAGING, STARTING, RUNNING, then healthy", async () => {
    sim = await startSimulator({ cluster });
    await post(sim, { id: "/web", cmd: "x", cpus: 0.1, mem: 32, healthChecks: hc() });
    await sim.clock.advance(10_000);
    const states = events(sim, "status_update_event").map((e) => e.taskStatus);
    expect(states).toEqual(["TASK_STAGING", "TASK_STARTING", "TASK_RUNNING"]);
    expect(events(sim, "health_status_changed_event")).toMatchObject([{ appId: "/web", alive: true }]);
    expect(events(sim, "instance_health_changed_event")).toMatchObject([{ runSpecId: "/web", healthy: true }]);
  });

  it("kills after maxConsecutiveFailures, says so, and relaunches with growing backoff", async () => {
    sim = await startSimulator({ cluster });
    await post(sim, { id: "/bad", container: docker("x/app:broken"), cpus: 0.1, mem: 32, healthChecks: hc(), backoffSeconds: 10, backoffFactor: 2 });
    await sim.clock.advance(120_000);
    const kills = events(sim, "unhealthy_instance_kill_event");
    expect(kills.length).toBeGreaterThanOrEqual(2);
    expect(kills[0]).toMatchObject({ appId: "/bad", reason: "500 Internal Server Error", host: expect.any(String) });
    const launches = sim.timeline.forApp("/bad", "launch").map((e) => e.t);
    const gaps = launches.slice(1).map((t, i) => t - (launches[i] as number));
    // Each relaunch waits longer: backoff 10 s, then 20 s, ... on top of the time to fail.
    expect(gaps.length).toBeGreaterThanOrEqual(2);
    expect((gaps[1] as number) - (gaps[0] as number)).toBeGreaterThanOrEqual(9_000);
    expect(sim.state.deployments()).toHaveLength(1);
    // While backing off, /v2/queue shows the delay instead of "overdue".
    const s = sim;
    expect(await s.clock.runUntil(() => s.state.queue()[0]?.delay.overdue === false, { maxMs: 300_000 })).toBe(true);
    expect(s.state.queue()[0]?.delay.timeLeftSeconds).toBeGreaterThan(0);
  });

  it("never kills when maxConsecutiveFailures is 0", async () => {
    sim = await startSimulator({ cluster });
    await post(sim, { id: "/bad", container: docker("x/app:broken"), cpus: 0.1, mem: 32, healthChecks: hc({ maxConsecutiveFailures: 0 }) });
    await sim.clock.advance(120_000);
    expect(events(sim, "unhealthy_instance_kill_event")).toHaveLength(0);
    const task = sim.state.tasks("/bad")[0];
    expect(task?.healthCheckResults?.[0]).toMatchObject({ alive: false, lastFailureCause: "500 Internal Server Error" });
    expect(task?.healthCheckResults?.[0]?.consecutiveFailures).toBeGreaterThan(10);
  });

  it("ignores failures during the grace period until the first success", async () => {
    sim = await startSimulator({ cluster: { ...cluster, images: [{ image: "*", startSeconds: 1, healthyAfterSeconds: 20 }] } });
    await post(sim, { id: "/slow", container: docker("x/slow:1"), cpus: 0.1, mem: 32, healthChecks: hc({ gracePeriodSeconds: 30, maxConsecutiveFailures: 1 }) });
    expect(await sim.clock.runUntil(() => sim!.state.deployments().length === 0, { maxMs: 120_000 })).toBe(true);
    expect(events(sim, "unhealthy_instance_kill_event")).toHaveLength(0);
    expect(events(sim, "failed_health_check_event")).toHaveLength(0);
  });

  it("OOM-kills an app given less memory than its image needs and records lastTaskFailure", async () => {
    sim = await startSimulator({ cluster });
    await post(sim, { id: "/java", container: docker("acme/java-app:1"), cpus: 0.1, mem: 256 });
    await sim.clock.advance(30_000);
    const failed = events(sim, "status_update_event").filter((e) => e.taskStatus === "TASK_FAILED");
    expect(failed.length).toBeGreaterThanOrEqual(1);
    expect(failed[0]?.message).toBe("Memory limit exceeded: Requested: 256MB Maximum Used: 256MB");
    const app = sim.state.app("/java") as { lastTaskFailure: Record<string, unknown> };
    expect(app.lastTaskFailure).toMatchObject({ appId: "/java", state: "TASK_FAILED", message: expect.stringContaining("Memory limit exceeded") });

    await post(sim, { mem: 300 }, "/v2/apps/java?force=true", "PUT");
    expect(await sim.clock.runUntil(() => sim!.state.deployments().length === 0, { maxMs: 300_000 })).toBe(true);
    expect(sim.state.tasks("/java")).toHaveLength(1);
  });

  it("a crash at start fails the task and keeps the deployment waiting", async () => {
    sim = await startSimulator({ cluster });
    await post(sim, { id: "/crash", container: docker("x/y:crash"), cpus: 0.1, mem: 32 });
    await sim.clock.advance(60_000);
    expect(events(sim, "status_update_event").filter((e) => e.taskStatus === "TASK_FAILED").length).toBeGreaterThanOrEqual(3);
    expect(sim.state.deployments()).toHaveLength(1);
  });

  it("health checks that start failing later kill the task and a new one replaces it", async () => {
    sim = await startSimulator({ cluster });
    await post(sim, { id: "/leak", container: docker("x/y:leak"), cpus: 0.1, mem: 32, healthChecks: hc() });
    expect(await sim.clock.runUntil(() => sim!.state.deployments().length === 0, { maxMs: 60_000 })).toBe(true);
    await sim.clock.advance(90_000);
    expect(events(sim, "unhealthy_instance_kill_event")).toHaveLength(1);
    expect(sim.timeline.forApp("/leak", "launch")).toHaveLength(2);
  });

  it("readiness gates a deployment until the new task is ready", async () => {
    sim = await startSimulator({ cluster });
    const start = sim.clock.now();
    await post(sim, {
      id: "/r",
      container: docker("x/y:slowready"),
      cpus: 0.1,
      mem: 32,
      portDefinitions: [{ port: 0, name: "http" }],
      readinessChecks: [{ name: "ready", portName: "http", intervalSeconds: 5, timeoutSeconds: 2 }],
    });
    expect(await sim.clock.runUntil(() => sim!.state.deployments().length === 0, { maxMs: 300_000 })).toBe(true);
    const ready = sim.timeline.forApp("/r", "ready")[0];
    expect(ready).toBeDefined();
    expect((ready?.t as number) - start).toBeGreaterThanOrEqual(40_000);
  });
});

describe("scheduling with constraints", () => {
  const place = async (constraints: unknown[], instances: number) => {
    sim = await startSimulator({ cluster });
    await post(sim, { id: "/c", cmd: "x", cpus: 0.1, mem: 32, instances, constraints });
    await sim.clock.advance(30_000);
    return sim.state.tasks("/c").map((t) => t.host).sort();
  };

  it("UNIQUE hostname spreads and leaves the rest queued", async () => {
    expect(await place([["hostname", "UNIQUE"]], 4)).toEqual(["a1", "a2", "a3"]);
    expect(sim?.state.queueReason("/c")).toBe("UnfulfilledConstraint");
  });
  it("CLUSTER with a value pins", async () => expect(await place([["type", "CLUSTER", "svc"]], 2)).toEqual(["a1", "a1"]));
  it("LIKE and UNLIKE use full regex matches", async () => {
    expect(await place([["hostname", "LIKE", "a[12]"], ["hostname", "UNLIKE", "a1"]], 2)).toEqual(["a2", "a2"]);
  });
  it("MAX_PER caps per value", async () => expect(await place([["type", "MAX_PER", "1"]], 3)).toEqual(["a1", "a2"]));
  it("GROUP_BY balances over values", async () => expect(await place([["zone", "GROUP_BY", "3"]], 6)).toEqual(["a1", "a1", "a2", "a2", "a3", "a3"]));
  it("IS matches a value exactly", async () => expect(await place([["zone", "IS", "z3"]], 1)).toEqual(["a3"]));
  it("acceptedResourceRoles excludes agents of other roles", async () => {
    sim = await startSimulator({ cluster: { agents: [{ hostname: "r", cpus: 1, mem: 512, role: "slave_public" }] } });
    await post(sim, { id: "/p", cmd: "x", cpus: 0.1, mem: 32 });
    await sim.clock.advance(5_000);
    expect(sim.state.queueReason("/p")).toBe("UnfulfilledRole");
    await post(sim, { id: "/q", cmd: "x", cpus: 0.1, mem: 32, acceptedResourceRoles: ["slave_public"] });
    await sim.clock.advance(5_000);
    expect(sim.state.tasks("/q")).toHaveLength(1);
  });
  it("fixed host ports conflict as InsufficientPorts", async () => {
    sim = await startSimulator({ cluster: { agents: [{ hostname: "one", cpus: 4, mem: 4096, ports: "[80-80, 31000-31010]" }] } });
    await post(sim, { id: "/h", cmd: "x", cpus: 0.1, mem: 32, instances: 2, requirePorts: true, portDefinitions: [{ port: 80 }] });
    await sim.clock.advance(5_000);
    expect(sim.state.tasks("/h")).toHaveLength(1);
    expect(sim.state.queueReason("/h")).toBe("InsufficientPorts");
  });
});

describe("scaling and stopping", () => {
  it("scales down by killSelection, scales up, and DELETE stops every task", async () => {
    sim = await startSimulator({ cluster });
    await post(sim, { id: "/s", cmd: "x", cpus: 0.1, mem: 32, instances: 3 });
    expect(await sim.clock.runUntil(() => sim!.state.deployments().length === 0, { maxMs: 60_000 })).toBe(true);
    await post(sim, { instances: 1 }, "/v2/apps/s", "PUT");
    expect(await sim.clock.runUntil(() => sim!.state.deployments().length === 0, { maxMs: 60_000 })).toBe(true);
    expect(sim.state.tasks("/s")).toHaveLength(1);
    await post(sim, { instances: 4 }, "/v2/apps/s", "PUT");
    expect(await sim.clock.runUntil(() => sim!.state.deployments().length === 0, { maxMs: 60_000 })).toBe(true);
    expect(sim.state.tasks("/s")).toHaveLength(4);
    const del = await fetch(`${sim.marathonUrl}/v2/apps/s`, { method: "DELETE" });
    expect(del.status).toBe(200);
    expect((await fetch(`${sim.marathonUrl}/v2/apps/s`)).status).toBe(404);
    expect(await sim.clock.runUntil(() => sim!.state.deployments().length === 0, { maxMs: 60_000 })).toBe(true);
    expect(sim.state.agents().every((a) => a.used_resources.mem === 0)).toBe(true);
    expect(events(sim, "app_terminated_event")).toMatchObject([{ appId: "/s" }]);
  });

  it("re-creating a just-deleted app with force leaves no task of the old one behind", async () => {
    sim = await startSimulator({ cluster });
    const s = sim;
    await post(s, { id: "/r", cmd: "x", cpus: 0.1, mem: 32, instances: 2 });
    expect(await s.clock.runUntil(() => s.state.deployments().length === 0, { maxMs: 60_000 })).toBe(true);
    expect((await fetch(`${s.marathonUrl}/v2/apps/r`, { method: "DELETE" })).status).toBe(200);
    expect((await post(s, { id: "/r", cmd: "y", cpus: 0.1, mem: 32, instances: 1 })).status).toBe(409);
    expect((await post(s, { id: "/r", cmd: "y", cpus: 0.1, mem: 32, instances: 1 }, "/v2/apps?force=true")).status).toBe(201);
    expect(await s.clock.runUntil(() => s.state.deployments().length === 0, { maxMs: 60_000 })).toBe(true);
    await s.clock.advance(10_000);
    expect(s.state.tasks("/r")).toHaveLength(1);
    const used = s.state.agents().reduce((sum, a) => sum + a.used_resources.mem, 0);
    expect(used).toBe(32);
  });

  it("kills one task: relaunched by default, the app shrinks with scale=true", async () => {
    sim = await startSimulator({ cluster });
    const s = sim;
    await post(s, { id: "/k", cmd: "x", cpus: 0.1, mem: 32, instances: 2 });
    expect(await s.clock.runUntil(() => s.state.deployments().length === 0, { maxMs: 60_000 })).toBe(true);
    const [first, second] = s.state.tasks("/k");
    const killed = await fetch(`${s.marathonUrl}/v2/apps/k/tasks/${first?.id}`, { method: "DELETE" });
    expect(killed.status).toBe(200);
    expect(((await killed.json()) as { task: { id: string } }).task.id).toBe(first?.id);
    await s.clock.advance(10_000);
    expect(s.state.tasks("/k").map((t) => t.id)).not.toContain(first?.id);
    expect(s.state.tasks("/k")).toHaveLength(2);
    const scaled = await fetch(`${s.marathonUrl}/v2/apps/k/tasks/${second?.id}?scale=true`, { method: "DELETE" });
    expect(scaled.status).toBe(200);
    expect(await s.clock.runUntil(() => s.state.deployments().length === 0, { maxMs: 60_000 })).toBe(true);
    expect(s.state.tasks("/k")).toHaveLength(1);
    expect((s.state.app("/k") as { instances: number }).instances).toBe(1);
  });
});

describe("relaunches (Marathon 1.8+: Instance.isScheduled, InstanceOpFactoryImpl.inferNormalTaskOp)", () => {
  const crashLater = { ...cluster, images: [{ image: "*:dies", startSeconds: 1, crashAfterSeconds: 5 }] };

  it("a task that dies while Marathon wants it comes back under the same instance id, next incarnation", async () => {
    sim = await startSimulator({ cluster: crashLater });
    const s = sim;
    await post(s, { id: "/g/dies", container: docker("x/y:dies"), cpus: 0.1, mem: 32 });
    expect(await s.clock.runUntil(() => s.state.tasks("/g/dies")[0]?.state === "TASK_RUNNING", { maxMs: 60_000 })).toBe(true);
    const first = s.state.tasks("/g/dies")[0]?.id as string;
    expect(first).toMatch(/^g_dies\.instance-[0-9a-f-]+\._app\.1$/);
    expect(await s.clock.runUntil(() => s.state.tasks("/g/dies")[0]?.id === first.replace(/\.1$/, ".3"), { maxMs: 120_000 })).toBe(true);
    expect(events(s, "status_update_event").filter((e) => e.taskStatus === "TASK_FAILED").map((e) => e.taskId)).toEqual([first, first.replace(/\.1$/, ".2")]);
  });

  it("relaunchKeepsInstanceId: false gives each relaunch a new instance (Marathon 1.4 to 1.7)", async () => {
    sim = await startSimulator({ cluster: { ...crashLater, marathon: { relaunchKeepsInstanceId: false } } });
    const s = sim;
    await post(s, { id: "/dies", container: docker("x/y:dies"), cpus: 0.1, mem: 32 });
    expect(await s.clock.runUntil(() => s.timeline.forApp("/dies", "launch").length >= 3, { maxMs: 120_000 })).toBe(true);
    const ids = s.timeline.forApp("/dies", "launch").map((e) => e.taskId as string);
    expect(new Set(ids.map((id) => id.replace(/\._app\.\d+$/, ""))).size).toBe(ids.length);
    expect(ids.every((id) => id.endsWith("._app.1"))).toBe(true);
  });
});
