import { afterEach, describe, expect, it } from "vitest";
import { startSimulator, type ClusterSpec, type Simulator } from "../src/sim/index.js";

/**
 * The rolling restart against an oracle written from notes section 1:
 * minHealthy = ceil(N x mhc), maxCapacity = floor(N x (1 + moc)), killNow = R - minHealthy,
 * the +1 rule, one old killed per new healthy instance.
 */
function oracle(n: number, mhc: number, moc: number) {
  const minHealthy = Math.ceil(n * mhc);
  let maxCapacity = Math.floor(n * (1 + moc));
  const killNow = Math.max(0, n - minHealthy);
  if (minHealthy === maxCapacity && maxCapacity <= n) maxCapacity += 1;
  return { minHealthy, maxCapacity, killNow, firstLaunches: Math.min(n, Math.max(0, maxCapacity - n)) };
}

/** N agents; with spare capacity each holds ten instances, without it exactly one. */
function cluster(n: number, spare: boolean): ClusterSpec {
  return {
    agents: Array.from({ length: n }, (_, i) => ({ hostname: `agent-${i}`, cpus: 4, mem: spare ? 1280 : 128, disk: 1000, ports: "[31000-31100]" })),
    defaultImage: { startSeconds: 2, healthyAfterSeconds: 2, killSeconds: 3 },
  };
}

const app = (n: number) => ({
  id: "/web",
  instances: n,
  cpus: 0.1,
  mem: 100,
  cmd: "serve",
  healthChecks: [{ protocol: "HTTP", gracePeriodSeconds: 30, intervalSeconds: 2, maxConsecutiveFailures: 3 }],
});

async function send(sim: Simulator, method: string, path: string, body: unknown): Promise<{ status: number; body: { deploymentId?: string; version?: string } }> {
  const res = await fetch(`${sim.marathonUrl}${path}`, { method, headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as { deploymentId?: string; version?: string } };
}

const strategies: [number, number][] = [
  [1, 1],
  [1, 0],
  [0.5, 0],
  [0.5, 0.5],
  [0, 0],
  [0, 1],
];
const cases = [1, 2, 3, 5, 10].flatMap((n) => strategies.flatMap(([mhc, moc]) => [true, false].map((spare) => ({ n, mhc, moc, spare }))));

let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

describe("rolling restart table", () => {
  it.each(cases)("N=$n mhc=$mhc moc=$moc spare=$spare", async ({ n, mhc, moc, spare }) => {
    sim = await startSimulator({ cluster: cluster(n, spare), seed: n });
    const s = sim;
    expect((await send(s, "POST", "/v2/apps", app(n))).status).toBe(201);
    expect(await s.clock.runUntil(() => s.state.deployments().length === 0 && s.state.healthyCount("/web") === n, { maxMs: 300_000 })).toBe(true);

    const t0 = s.clock.now();
    const put = await send(s, "PUT", "/v2/apps/web", { env: { RELEASE: "2" }, upgradeStrategy: { minimumHealthCapacity: mhc, maximumOverCapacity: moc } });
    expect(put.status).toBe(200);
    const done = await s.clock.runUntil(() => s.state.deployments().length === 0, { maxMs: 1_800_000 });
    const expected = oracle(n, mhc, moc);

    const atStart = s.timeline.forApp("/web").filter((e) => e.t === t0);
    expect(atStart.filter((e) => e.kind === "kill")).toHaveLength(expected.killNow);
    expect(atStart.filter((e) => e.kind === "launch")).toHaveLength(spare ? expected.firstLaunches : 0);

    // After the first step, an old instance dies only when a new one has just become healthy.
    const later = s.timeline.forApp("/web").filter((e) => e.t > t0);
    for (const kill of later.filter((e) => e.kind === "kill")) {
      expect(later.some((e) => e.kind === "health" && e.healthy === true && e.t === kill.t && e.version === put.body.version)).toBe(true);
    }
    const kills = s.timeline.forApp("/web", "kill").filter((e) => e.t >= t0);
    expect(kills.every((e) => e.version !== put.body.version)).toBe(true);

    const samples = s.timeline.samples("/web", t0);
    for (const sample of samples) {
      expect(sample.healthy, `healthy at +${sample.t - t0} ms`).toBeGreaterThanOrEqual(expected.minHealthy);
      expect(sample.active, `active at +${sample.t - t0} ms`).toBeLessThanOrEqual(expected.maxCapacity);
    }

    const canProgress = spare || expected.killNow > 0;
    expect(done).toBe(canProgress);
    if (canProgress) {
      expect(s.state.healthyCount("/web")).toBe(n);
      const tasks = s.state.tasks("/web");
      expect(tasks.every((t) => t.version === put.body.version)).toBe(true);
      expect(s.state.events().some((e) => e.eventType === "deployment_success" && (e as { id?: string }).id === put.body.deploymentId)).toBe(true);
    } else {
      const queue = s.state.queue();
      expect(queue).toHaveLength(1);
      expect(s.state.queueReason("/web")).toBe("InsufficientMemory");
      // Waiting forever keeps every old instance serving.
      expect(s.state.healthyCount("/web")).toBe(n);
    }
  });
});

describe("restarts users trip over (notes: what users struggle with)", () => {
  const three = (extra = 0): ClusterSpec => ({
    agents: Array.from({ length: 3 + extra }, (_, i) => ({ hostname: `n${i}`, cpus: 4, mem: 4096, ports: "[8080-8080, 31000-31100]" })),
    defaultImage: { startSeconds: 1, healthyAfterSeconds: 1 },
  });

  it("#689: the default (1,1) with hostname UNIQUE on 3 agents for 3 instances hangs on UnfulfilledConstraint", async () => {
    sim = await startSimulator({ cluster: three() });
    const s = sim;
    await send(s, "POST", "/v2/apps", { id: "/u", cmd: "x", cpus: 0.1, mem: 32, instances: 3, constraints: [["hostname", "UNIQUE"]] });
    expect(await s.clock.runUntil(() => s.state.deployments().length === 0, { maxMs: 60_000 })).toBe(true);
    await send(s, "PUT", "/v2/apps/u", { env: { V: "2" } });
    expect(await s.clock.runUntil(() => s.state.deployments().length === 0, { maxMs: 600_000 })).toBe(false);
    expect(s.state.queueReason("/u")).toBe("UnfulfilledConstraint");
    // Lowering minimumHealthCapacity frees one slot at a time and finishes.
    await send(s, "PUT", "/v2/apps/u?force=true", { env: { V: "3" }, upgradeStrategy: { minimumHealthCapacity: 0.5, maximumOverCapacity: 0 } });
    expect(await s.clock.runUntil(() => s.state.deployments().length === 0, { maxMs: 600_000 })).toBe(true);
  });

  it("#3546: static host ports with (1,0) need one spare agent (the +1 rule)", async () => {
    const app = { id: "/p", cmd: "x", cpus: 0.1, mem: 32, instances: 3, requirePorts: true, portDefinitions: [{ port: 8080 }] };
    sim = await startSimulator({ cluster: three() });
    let s = sim;
    await send(s, "POST", "/v2/apps", app);
    expect(await s.clock.runUntil(() => s.state.deployments().length === 0, { maxMs: 60_000 })).toBe(true);
    await send(s, "PUT", "/v2/apps/p", { env: { V: "2" }, upgradeStrategy: { minimumHealthCapacity: 1, maximumOverCapacity: 0 } });
    expect(await s.clock.runUntil(() => s.state.deployments().length === 0, { maxMs: 600_000 })).toBe(false);
    expect(s.state.queueReason("/p")).toBe("InsufficientPorts");
    await s.close();

    sim = await startSimulator({ cluster: three(1) });
    s = sim;
    await send(s, "POST", "/v2/apps", app);
    expect(await s.clock.runUntil(() => s.state.deployments().length === 0, { maxMs: 60_000 })).toBe(true);
    const t0 = s.clock.now();
    await send(s, "PUT", "/v2/apps/p", { env: { V: "2" }, upgradeStrategy: { minimumHealthCapacity: 1, maximumOverCapacity: 0 } });
    expect(await s.clock.runUntil(() => s.state.deployments().length === 0, { maxMs: 600_000 })).toBe(true);
    expect(s.timeline.extremes("/p", t0)).toEqual({ minHealthy: 3, maxActive: 4 });
  });
});
