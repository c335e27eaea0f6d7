import { afterEach, describe, expect, it } from "vitest";
import { startSimulator, type ClusterSpec, type RoutingTable, type Simulator } from "../src/sim/index.js";

const RULE = "Host(`shop.example.com`)";

/** Both apps carry the same router and service labels, so Traefik merges their tasks. */
const labels = {
  "traefik.enable": "true",
  "traefik.http.routers.shop.rule": RULE,
  "traefik.http.routers.shop.service": "shop",
  "traefik.http.services.shop.loadbalancer.server.port": "index:0",
};

const cluster: ClusterSpec = {
  agents: Array.from({ length: 4 }, (_, i) => ({ hostname: `agent-${i}`, cpus: 4, mem: 2048, disk: 1000, ports: "[31000-31100]" })),
  defaultImage: { startSeconds: 2, healthyAfterSeconds: 2, killSeconds: 3 },
};

function app(id: string, instances: number, extra: Record<string, unknown> = {}) {
  return {
    id,
    instances,
    cpus: 0.1,
    mem: 64,
    cmd: "serve",
    portDefinitions: [{ port: 0 }],
    labels,
    // Checked by Mesos: Marathon 1.10+ counts such old instances for a restart's first kills, so {0, 0} below starts.
    healthChecks: [{ protocol: "MESOS_HTTP", portIndex: 0, delaySeconds: 0, gracePeriodSeconds: 30, intervalSeconds: 2, maxConsecutiveFailures: 3 }],
    ...extra,
  };
}

let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

async function settled(s: Simulator, healthy: Record<string, number>): Promise<void> {
  const done = () => s.state.deployments().length === 0 && Object.entries(healthy).every(([id, n]) => s.state.healthyCount(id) === n);
  expect(await s.clock.runUntil(done, { maxMs: 300_000 })).toBe(true);
}

function call(s: Simulator, method: string, path: string, body?: unknown): number {
  return s.apply({ method, path, body }).status;
}

describe("simulated Traefik routing", () => {
  it("splits a shared service by running task count, follows scaling in the timeline, and serves the table at /_sim/routing", async () => {
    sim = await startSimulator({ cluster, seed: 3 });
    const s = sim;
    expect(call(s, "POST", "/v2/apps", app("/shop", 3))).toBe(201);
    expect(call(s, "POST", "/v2/apps", app("/shop-canary", 1))).toBe(201);
    expect(call(s, "POST", "/v2/apps", { ...app("/hidden", 1), labels: {} })).toBe(201);
    await settled(s, { "/shop": 3, "/shop-canary": 1, "/hidden": 1 });
    expect(s.traffic.shareOf(RULE, "/shop-canary")).toBeCloseTo(0.25, 5);
    const table = s.traffic.routing();
    expect(table.routes.map((r) => r.rule)).toEqual([RULE]);
    expect(table.routes[0]?.servers.every((server) => server.appId !== "/hidden")).toBe(true);

    const scaledAt = s.clock.now();
    expect(call(s, "PUT", "/v2/apps/shop-canary", { instances: 3 })).toBe(200);
    expect(call(s, "PUT", "/v2/apps/shop", { instances: 1 })).toBe(200);
    await settled(s, { "/shop": 1, "/shop-canary": 3 });
    expect(s.traffic.shareOf(RULE, "/shop-canary")).toBeCloseTo(0.75, 5);
    const canaryShares = s.traffic
      .history(RULE)
      .filter((c) => c.t >= scaledAt)
      .map((c) => c.backends.filter((b) => b.appId === "/shop-canary").reduce((sum, b) => sum + b.share, 0));
    // Stable shrinks at once (0.5), canary tasks join one by one (0.6, 0.75).
    expect(canaryShares.length).toBeGreaterThanOrEqual(2);
    expect(canaryShares.at(-1)).toBeCloseTo(0.75, 5);
    expect(canaryShares.some((share) => share > 0.25 && share < 0.75)).toBe(true);

    const res = await fetch(`${s.marathonUrl}/_sim/routing`);
    expect(res.status).toBe(200);
    const served = (await res.json()) as RoutingTable;
    expect(served.routes[0]?.servers.map((server) => server.taskId).sort()).toEqual(s.traffic.routing().routes[0]?.servers.map((server) => server.taskId).sort());
    expect(served.routes[0]?.servers).toHaveLength(4);
  });

  it("keeps a healthy backend behind the rule through a rolling restart with the default strategy, and not with {0, 0}", async () => {
    sim = await startSimulator({ cluster, seed: 5 });
    const s = sim;
    expect(call(s, "POST", "/v2/apps", app("/shop", 2))).toBe(201);
    await settled(s, { "/shop": 2 });
    const before = s.state.app("/shop")?.version;
    const restartedAt = s.clock.now();
    expect(call(s, "POST", "/v2/apps/shop/restart")).toBe(200);
    await settled(s, { "/shop": 2 });
    const during = s.traffic.history(RULE).filter((c) => c.t >= restartedAt);
    expect(during.length).toBeGreaterThan(2);
    expect(Math.min(...during.map((c) => c.healthy))).toBeGreaterThan(0);
    expect(s.traffic.shareOf(RULE, (b) => b.version !== before)).toBeCloseTo(1, 5);

    // The same check catches a strategy that stops every instance first.
    expect(call(s, "PUT", "/v2/apps/shop", { upgradeStrategy: { minimumHealthCapacity: 0, maximumOverCapacity: 0 } })).toBe(200);
    await settled(s, { "/shop": 2 });
    const stoppedAt = s.clock.now();
    expect(call(s, "POST", "/v2/apps/shop/restart")).toBe(200);
    await settled(s, { "/shop": 2 });
    expect(Math.min(...s.traffic.history(RULE).filter((c) => c.t >= stoppedAt).map((c) => c.healthy))).toBe(0);
  });

  it("sends no requests to a restarted task before its readiness check passes (respectReadinessChecks)", async () => {
    sim = await startSimulator({ cluster: { ...cluster, defaultImage: { startSeconds: 2, healthyAfterSeconds: 2, readyAfterSeconds: 8, killSeconds: 3 } }, seed: 7 });
    const s = sim;
    const ready = { portDefinitions: [{ port: 0, name: "http" }], readinessChecks: [{ name: "ready", portName: "http", intervalSeconds: 2, timeoutSeconds: 1 }] };
    expect(call(s, "POST", "/v2/apps", app("/shop", 2, ready))).toBe(201);
    await settled(s, { "/shop": 2 });
    const before = s.state.app("/shop")?.version;
    const restartedAt = s.clock.now();
    expect(call(s, "POST", "/v2/apps/shop/restart")).toBe(200);
    await settled(s, { "/shop": 2 });
    const firstReady = Math.min(...s.timeline.forApp("/shop", "ready").filter((e) => e.t > restartedAt).map((e) => e.t));
    const firstRouted = s.traffic.history(RULE).find((c) => c.t >= restartedAt && c.backends.some((b) => b.version !== before));
    const firstRunning = Math.min(...s.timeline.forApp("/shop", "state").filter((e) => e.t > restartedAt && e.state === "TASK_RUNNING").map((e) => e.t));
    // The new task ran for a while unready, and got requests only once ready.
    expect(firstReady).toBeGreaterThan(firstRunning);
    expect(firstRouted?.t).toBe(firstReady);
  });
});
