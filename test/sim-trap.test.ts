import { afterEach, describe, expect, it } from "vitest";
import { defaultCluster, startSimulator, type RestartCounts, type Simulator } from "../src/sim/index.js";

/**
 * The original cluster's trap: a 300 MB app on the 497 MB staging agent. Its check is
 * MESOS_HTTP, as in marathon/click-count: Marathon 1.10+ counts an old instance for a
 * restart's immediate kills only when Mesos reports it healthy (see the last tests).
 */
const clickCount = {
  id: "/click-count",
  instances: 1,
  cpus: 0.1,
  mem: 300,
  container: { type: "DOCKER", docker: { image: "registry.example.com/demo/click-count:1.0.0" } },
  constraints: [["type", "CLUSTER", "staging"]],
  healthChecks: [{ protocol: "MESOS_HTTP", path: "/health", portIndex: 0, delaySeconds: 0, gracePeriodSeconds: 60, intervalSeconds: 5, maxConsecutiveFailures: 3 }],
};

// Response bodies are Marathon JSON read field by field in assertions.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function call(sim: Simulator, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${sim.marathonUrl}${path}`, { method, headers: { "Content-Type": "application/json" }, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

async function runningClickCount(): Promise<Simulator> {
  const s = await startSimulator({ seed: 3 });
  const created = await call(s, "POST", "/v2/apps", clickCount);
  expect(created.status).toBe(201);
  expect(await s.clock.runUntil(() => s.state.deployments().length === 0, { maxMs: 120_000 })).toBe(true);
  expect(s.state.healthyCount("/click-count")).toBe(1);
  return s;
}

describe("the staging trap (click-count 300 MB on a 497 MB agent)", () => {
  it("never completes with the default (1,1) and /v2/queue says InsufficientMemory", async () => {
    sim = await runningClickCount();
    const put = await call(sim, "PUT", "/v2/apps/click-count", { ...clickCount, container: { type: "DOCKER", docker: { image: "registry.example.com/demo/click-count:1.0.1" } }, upgradeStrategy: { minimumHealthCapacity: 1, maximumOverCapacity: 1 } });
    expect(put.status).toBe(200);
    // An hour of simulated time: Marathon has no deployment timeout.
    await sim.clock.advance(3_600_000);
    const deployments = (await call(sim, "GET", "/v2/deployments")).body;
    expect(deployments).toHaveLength(1);
    expect(deployments[0].id).toBe(put.body.deploymentId);
    const queue = (await call(sim, "GET", "/v2/queue")).body.queue;
    expect(queue).toHaveLength(1);
    expect(queue[0].count).toBe(1);
    const reasons = Object.fromEntries(queue[0].processedOffersSummary.rejectSummaryLastOffers.map((r: { reason: string; declined: number }) => [r.reason, r.declined]));
    expect(reasons.InsufficientMemory).toBe(1);
    expect(reasons.UnfulfilledConstraint).toBe(2);
    expect(sim.state.queueReason("/click-count")).toBe("InsufficientMemory");
    // The old instance keeps serving.
    expect(sim.state.healthyCount("/click-count")).toBe(1);
  });

  it("completes with (0,1) after a moment without a healthy instance", async () => {
    sim = await runningClickCount();
    const start = sim.clock.now();
    const put = await call(sim, "PUT", "/v2/apps/click-count", { ...clickCount, container: { type: "DOCKER", docker: { image: "registry.example.com/demo/click-count:1.0.1" } }, upgradeStrategy: { minimumHealthCapacity: 0, maximumOverCapacity: 1 } });
    expect(put.status).toBe(200);
    expect(await sim.clock.runUntil(() => sim!.state.deployments().length === 0, { maxMs: 600_000 })).toBe(true);
    expect(sim.timeline.extremes("/click-count", start)).toEqual({ minHealthy: 0, maxActive: 1 });
    const app = sim.state.app("/click-count") as { tasks: { version: string }[]; version: string };
    expect(app.tasks).toHaveLength(1);
    expect(app.tasks[0]?.version).toBe(put.body.version);
    expect(sim.state.events().some((e) => e.eventType === "deployment_success" && (e as { id?: string }).id === put.body.deploymentId)).toBe(true);
  });

  it("is escaped by a forced (0,1) redeploy over the stuck deployment", async () => {
    sim = await runningClickCount();
    const stuck = await call(sim, "PUT", "/v2/apps/click-count", { env: { BUILD: "2" } });
    await sim.clock.advance(120_000);
    const locked = await call(sim, "PUT", "/v2/apps/click-count", { env: { BUILD: "3" }, upgradeStrategy: { minimumHealthCapacity: 0, maximumOverCapacity: 1 } });
    expect(locked.status).toBe(409);
    expect(locked.body.deployments).toEqual([{ id: stuck.body.deploymentId }]);
    const forced = await call(sim, "PUT", "/v2/apps/click-count?force=true", { env: { BUILD: "3" }, upgradeStrategy: { minimumHealthCapacity: 0, maximumOverCapacity: 1 } });
    expect(forced.status).toBe(200);
    expect(await sim.clock.runUntil(() => sim!.state.deployments().length === 0, { maxMs: 600_000 })).toBe(true);
    const failed = sim.state.events().find((e) => e.eventType === "deployment_failed" && (e as { id?: string }).id === stuck.body.deploymentId);
    expect(failed).toMatchObject({ reason: "The upgrade has been cancelled" });
  });

  /**
   * Marathon 1.10+ counts an old instance as healthy only when Mesos says so
   * (Instance.consideredHealthy; src/sim/README.md). click-count's HTTP check runs in
   * Marathon, so (0,1) kills nothing up front, and its new instance cannot fit beside the
   * old one: the restart never gets anywhere. A MESOS_HTTP check makes it work again.
   */
  it.each([
    { protocol: "HTTP", restartCounts: "mesos-health", completes: false },
    { protocol: "MESOS_HTTP", restartCounts: "mesos-health", completes: true },
    { protocol: "HTTP", restartCounts: "active", completes: true },
  ] as { protocol: string; restartCounts: RestartCounts; completes: boolean }[])("(0,1) with a $protocol check under restartCounts $restartCounts: completes=$completes", async ({ protocol, restartCounts, completes }) => {
    const s = await startSimulator({ seed: 3, cluster: { ...defaultCluster(), marathon: { restartCounts } } });
    sim = s;
    const app = { ...clickCount, healthChecks: [{ ...clickCount.healthChecks[0], protocol, portIndex: 0, delaySeconds: 0 }] };
    expect((await call(s, "POST", "/v2/apps", app)).status).toBe(201);
    expect(await s.clock.runUntil(() => s.state.deployments().length === 0, { maxMs: 120_000 })).toBe(true);
    const put = await call(s, "PUT", "/v2/apps/click-count", { ...app, env: { BUILD: "2" }, upgradeStrategy: { minimumHealthCapacity: 0, maximumOverCapacity: 1 } });
    expect(put.status).toBe(200);
    expect(await s.clock.runUntil(() => s.state.deployments().length === 0, { maxMs: 600_000 })).toBe(completes);
    if (!completes) {
      expect(s.timeline.forApp("/click-count", "kill")).toEqual([]);
      expect(s.state.queueReason("/click-count")).toBe("InsufficientMemory");
      expect(s.state.healthyCount("/click-count")).toBe(1);
    }
  });

  /** Without restartCounts the rule is the one of the release /v2/info reports. */
  it.each([
    { version: undefined, reported: "1.11.24", completes: false },
    { version: "1.10.26", reported: "1.10.26", completes: false },
    { version: "1.9.109", reported: "1.9.109", completes: true },
    { version: "1.4.13", reported: "1.4.13", completes: true },
  ])("(0,1) with an HTTP check on Marathon $reported: completes=$completes", async ({ version, reported, completes }) => {
    const s = await startSimulator({ seed: 3, cluster: { ...defaultCluster(), marathon: version === undefined ? {} : { version } } });
    sim = s;
    expect((await call(s, "GET", "/v2/info")).body.version).toBe(reported);
    const app = { ...clickCount, healthChecks: [{ ...clickCount.healthChecks[0], protocol: "HTTP" }] };
    expect((await call(s, "POST", "/v2/apps", app)).status).toBe(201);
    expect(await s.clock.runUntil(() => s.state.deployments().length === 0, { maxMs: 120_000 })).toBe(true);
    await call(s, "PUT", "/v2/apps/click-count", { ...app, env: { BUILD: "2" }, upgradeStrategy: { minimumHealthCapacity: 0, maximumOverCapacity: 1 } });
    expect(await s.clock.runUntil(() => s.state.deployments().length === 0, { maxMs: 600_000 })).toBe(completes);
    expect(s.timeline.forApp("/click-count", "kill").length > 0).toBe(completes);
  });

  it("reports a Mesos-run check's result as another status update of the running task", async () => {
    const s = await startSimulator({ seed: 3 });
    sim = s;
    expect((await call(s, "POST", "/v2/apps", clickCount)).status).toBe(201);
    expect(await s.clock.runUntil(() => s.state.healthyCount("/click-count") === 1, { maxMs: 120_000 })).toBe(true);
    const updates = s.state.events().filter((e) => e.eventType === "status_update_event" || e.eventType === "health_status_changed_event");
    expect(updates.map((e) => (e.eventType === "status_update_event" ? (e as { taskStatus?: string }).taskStatus : "health"))).toEqual(["TASK_STAGING", "TASK_STARTING", "TASK_RUNNING", "TASK_RUNNING", "health"]);
  });
});
