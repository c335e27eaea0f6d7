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
  // Checked by Mesos, so every healthy old instance counts for the immediate kills on any
  // release; how Marathon-run checks change that is the restartCounts table below.
  healthChecks: [{ protocol: "MESOS_HTTP", portIndex: 0, delaySeconds: 0, gracePeriodSeconds: 30, intervalSeconds: 2, maxConsecutiveFailures: 3 }],
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

/**
 * Resident apps (local persistent volumes), TaskReplaceActor for `runSpec.isResident`:
 * maximumOverCapacity is always 0, there is never an extra slot (no +1 rule); when
 * minHealthy equals the capacity one more old instance is killed at once instead. Old
 * instances are stopped, not decommissioned: each keeps its reservation, and the new
 * version starts on it, on the same agent, under the same instance id.
 */
function residentOracle(n: number, mhc: number) {
  const minHealthy = Math.ceil(n * mhc);
  const maxCapacity = n;
  let killNow = Math.max(0, n - minHealthy);
  const extraKill = minHealthy === maxCapacity;
  if (extraKill) killNow = n - minHealthy + 1;
  return { minHealthy, maxCapacity, killNow, floor: extraKill ? minHealthy - 1 : minHealthy };
}

const residentApp = (n: number) => ({
  ...app(n),
  healthChecks: [{ protocol: "MESOS_HTTP", portIndex: 0, delaySeconds: 0, gracePeriodSeconds: 30, intervalSeconds: 2, maxConsecutiveFailures: 3 }],
  container: { type: "MESOS", volumes: [{ containerPath: "data", mode: "RW", persistent: { size: 10 } }] },
});

const residentCases = [1, 2, 3, 5].flatMap((n) => [1, 0.5, 0].flatMap((mhc) => [true, false].map((spare) => ({ n, mhc, spare }))));

describe("resident app restart table", () => {
  it.each(residentCases)("N=$n mhc=$mhc moc=0 spare=$spare", async ({ n, mhc, spare }) => {
    sim = await startSimulator({ cluster: cluster(n, spare), seed: n });
    const s = sim;
    expect((await send(s, "POST", "/v2/apps", residentApp(n))).status).toBe(201);
    expect(await s.clock.runUntil(() => s.state.deployments().length === 0 && s.state.healthyCount("/web") === n, { maxMs: 300_000 })).toBe(true);
    const before = new Map(s.state.tasks("/web").map((t) => [t.id.replace(/\._app\.\d+$/, ""), t.host]));

    const t0 = s.clock.now();
    const put = await send(s, "PUT", "/v2/apps/web", { env: { RELEASE: "2" }, upgradeStrategy: { minimumHealthCapacity: mhc, maximumOverCapacity: 0 } });
    expect(put.status).toBe(200);
    const expected = residentOracle(n, mhc);
    // Reservations carry the restart even without a free slot anywhere.
    expect(await s.clock.runUntil(() => s.state.deployments().length === 0, { maxMs: 1_800_000 })).toBe(true);
    const atStart = s.timeline.forApp("/web").filter((e) => e.t === t0);
    expect(atStart.filter((e) => e.kind === "kill")).toHaveLength(expected.killNow);
    expect(atStart.filter((e) => e.kind === "launch")).toHaveLength(0);
    for (const sample of s.timeline.samples("/web", t0)) {
      expect(sample.healthy, `healthy at +${sample.t - t0} ms`).toBeGreaterThanOrEqual(expected.floor);
      expect(sample.active, `active at +${sample.t - t0} ms`).toBeLessThanOrEqual(expected.maxCapacity);
    }
    const after = s.state.tasks("/web");
    expect(after.every((t) => t.version === put.body.version)).toBe(true);
    expect(new Map(after.map((t) => [t.id.replace(/\._app\.2$/, ""), t.host]))).toEqual(before);
    expect(s.state.healthyCount("/web")).toBe(n);
  });

  it("defaults to (0.5, 0) and refuses maximumOverCapacity above 0", async () => {
    sim = await startSimulator({ cluster: cluster(2, true) });
    const s = sim;
    await send(s, "POST", "/v2/apps", residentApp(2));
    expect(s.state.app("/web")).toMatchObject({ upgradeStrategy: { minimumHealthCapacity: 0.5, maximumOverCapacity: 0 }, unreachableStrategy: "disabled" });
    const refused = await send(s, "PUT", "/v2/apps/web", { upgradeStrategy: { minimumHealthCapacity: 1, maximumOverCapacity: 1 } });
    expect(refused).toEqual({ status: 422, body: { message: "Object is not valid", details: [{ path: "/upgradeStrategy/maximumOverCapacity", errors: ["got 1.0, expected 0.0"] }] } });
  });
});

/**
 * How a restart counts the old instances it may kill at once (MarathonSimSettings
 * restartCounts; src/sim/README.md). Marathon 1.10+ (`mesos-health`) reads health only from
 * Mesos: instances checked by Marathon itself (HTTP, HTTPS, TCP) never count, so no old
 * instance is killed up front and a restart with maximumOverCapacity 0 never starts.
 * 1.4 to 1.9 (`active`) count every instance Marathon wants running.
 */
describe("restartCounts: immediate kills by health check protocol", () => {
  const rules = ["mesos-health", "active", "any-health"] as const;
  const protocols = ["HTTP", "TCP", "MESOS_HTTP", "COMMAND"] as const;
  const table = rules.flatMap((rule) => protocols.flatMap((protocol) => strategies.map(([mhc, moc]) => ({ rule, protocol, mhc, moc }))));

  it.each(table)("$rule $protocol mhc=$mhc moc=$moc", async ({ rule, protocol, mhc, moc }) => {
    const n = 3;
    sim = await startSimulator({ cluster: { ...cluster(n, true), marathon: { restartCounts: rule } }, seed: 11 });
    const s = sim;
    const hc = protocol === "COMMAND" ? { protocol, command: { value: "true" }, delaySeconds: 0 } : { protocol, portIndex: 0, delaySeconds: 0 };
    await send(s, "POST", "/v2/apps", { ...app(n), healthChecks: [{ ...hc, gracePeriodSeconds: 30, intervalSeconds: 2, maxConsecutiveFailures: 3 }] });
    expect(await s.clock.runUntil(() => s.state.deployments().length === 0 && s.state.healthyCount("/web") === n, { maxMs: 300_000 })).toBe(true);

    const t0 = s.clock.now();
    await send(s, "PUT", "/v2/apps/web", { env: { RELEASE: "2" }, upgradeStrategy: { minimumHealthCapacity: mhc, maximumOverCapacity: moc } });
    const counted = rule === "mesos-health" && (protocol === "HTTP" || protocol === "TCP") ? 0 : n;
    const minHealthy = Math.ceil(n * mhc);
    let maxCapacity = Math.floor(n * (1 + moc));
    if (minHealthy === maxCapacity && maxCapacity <= counted) maxCapacity += 1;
    const killNow = Math.max(0, counted - minHealthy);
    const launchNow = Math.min(n, Math.max(0, maxCapacity - n));
    const done = await s.clock.runUntil(() => s.state.deployments().length === 0, { maxMs: 600_000 });
    const atStart = s.timeline.forApp("/web").filter((e) => e.t === t0);
    expect(atStart.filter((e) => e.kind === "kill")).toHaveLength(killNow);
    expect(atStart.filter((e) => e.kind === "launch")).toHaveLength(launchNow);
    expect(done).toBe(killNow > 0 || launchNow > 0);
    if (!done) {
      // Stuck with nothing to launch: every old instance keeps serving and the queue is empty.
      expect(s.state.healthyCount("/web")).toBe(n);
      expect(s.state.queue()).toEqual([]);
    }
  });
});
