import { describe, expect, it } from "vitest";
import type { AppDefinition, AppStatus, Task } from "../marathon/types.js";
import { capacityFor, countPerAgent, floorCount, overCapacityFor, perAgentCount, planUpgrade, planWithoutCapacity } from "./plan-upgrade.js";
import type { AgentCapacity, ClusterSnapshot } from "./types.js";

/** An agent with `memTotal` MB of which `memUsed` is taken (by the running instances counted in `tasks`). */
function agent(name: string, type: string, memTotal: number, memUsed = 0, extra: Partial<AgentCapacity> = {}): AgentCapacity {
  return {
    id: `${name}-id`,
    hostname: name,
    attributes: { type },
    free: { cpus: 1 - memUsed / 1000, mem: memTotal - memUsed, disk: 10_000, ports: 1000 },
    total: { cpus: 1, mem: memTotal, disk: 10_000, ports: 1000 },
    active: true,
    ...extra,
  };
}

function task(host: string, version = "2026-01-01T00:00:00.000Z", startedAt = "2026-01-01T00:00:10.000Z"): Task {
  return { id: `app.${host}.${startedAt}`, appId: "/click-count", host, slaveId: `${host}-id`, ports: [31000], stagedAt: startedAt, startedAt, version, state: "TASK_RUNNING" };
}

const clickCount = (image: string, extra: Partial<AppDefinition> = {}): AppDefinition => ({
  id: "/click-count",
  instances: 1,
  cpus: 0.1,
  mem: 300,
  container: { type: "DOCKER", docker: { image } },
  constraints: [["type", "CLUSTER", "staging"]],
  ...extra,
});

function runningApp(def: AppDefinition, tasks: Task[]): AppStatus {
  return { ...def, version: "2026-01-01T00:00:00.000Z", tasksStaged: 0, tasksRunning: tasks.length, tasksHealthy: tasks.length, tasksUnhealthy: 0, deployments: [], tasks };
}

const snap = (...agents: AgentCapacity[]): ClusterSnapshot => ({ agents });

describe("the original trap: click-count 300 MB on a 497 MB staging agent", () => {
  const cluster = snap(agent("svc-1", "svc", 7800, 2000), agent("staging-1", "staging", 497, 300), agent("production-1", "production", 497, 300));
  const running = runningApp(clickCount("click-count:1"), [task("staging-1")]);

  it("auto lowers minimumHealthCapacity to 0 and says zero-downtime was not possible and why", () => {
    const plan = planUpgrade({ cluster, running, target: clickCount("click-count:2") });
    expect(plan.kind).toBe("restart");
    expect(plan.feasible).toBe(true);
    expect(plan.strategy).toEqual({ minimumHealthCapacity: 0, maximumOverCapacity: 1 });
    expect(plan.strategySource).toBe("auto");
    expect(plan.zeroDowntime).toBe(false);
    expect(plan.reasons.join(" ")).toContain("zero-downtime was not possible");
    expect(plan.reasons.join(" ")).toContain("needs 300 MB more on one agent with type:staging; the largest free is 197 MB");
    expect(plan.steps[0]?.action).toMatch(/stop 1 old instance first \(on staging-1\)/);
    expect(plan.minHealthy).toBe(0);
  });

  it("an explicit (1,1) in the template is refused with the shortfall named", () => {
    const target = clickCount("click-count:2", { upgradeStrategy: { minimumHealthCapacity: 1, maximumOverCapacity: 1 } });
    const plan = planUpgrade({ cluster, running, target });
    expect(plan.feasible).toBe(false);
    expect(plan.strategySource).toBe("template");
    expect(plan.shortfall).toBe("needs 300 MB more on one agent with type:staging; the largest free is 197 MB");
    expect(plan.verdict).toContain("cannot finish");
    expect(plan.reasons[1]).toContain("minimumHealthCapacity 0 would fit");
  });

  it("--strategy template without a strategy in the template checks Marathon's default (1,1) and refuses", () => {
    const plan = planUpgrade({ cluster, running, target: clickCount("click-count:2"), mode: "template" });
    expect(plan.feasible).toBe(false);
    expect(plan.strategySource).toBe("marathon-default");
    expect(plan.reasons[1]).toContain("--strategy auto");
  });

  it("with a second staging agent auto keeps minimumHealthCapacity 1 and never drops below one healthy", () => {
    const two = snap(...cluster.agents, agent("staging-2", "staging", 497, 0));
    const plan = planUpgrade({ cluster: two, running, target: clickCount("click-count:2") });
    expect(plan.strategy).toEqual({ minimumHealthCapacity: 1, maximumOverCapacity: 1 });
    expect(plan.zeroDowntime).toBe(true);
    expect(plan.minHealthy).toBe(1);
    expect(plan.reasons).toEqual([]);
    expect(plan.steps.map((s) => s.action)).toEqual(["start 1 new instance (on staging-2)", "1 new instance healthy; stop 1 old instance (on staging-1)"]);
    expect(plan.peak).toEqual({ instances: 2, cpus: 0.2, mem: 600, disk: 0 });
  });

  it("600 MB can never fit a 497 MB agent: refused even one at a time, naming the largest free", () => {
    const plan = planUpgrade({ cluster, running, target: clickCount("click-count:2", { mem: 600 }) });
    expect(plan.feasible).toBe(false);
    expect(plan.verdict).toContain("even one instance at a time");
    expect(plan.shortfall).toBe("needs 600 MB more on one agent with type:staging; the largest free is 497 MB");
  });
});

describe("plan kinds", () => {
  const cluster = snap(agent("a1", "staging", 4000), agent("a2", "staging", 4000));
  const base = clickCount("img:1", { instances: 2 });
  const running = runningApp(base, [task("a1"), task("a2", undefined, "2026-01-01T00:00:20.000Z")]);
  const cases: { name: string; running?: AppStatus; target: AppDefinition; kind: string; feasible: boolean; verdict: RegExp }[] = [
    { name: "new app", target: base, kind: "create", feasible: true, verdict: /new app: start 2 instances; fits/ },
    { name: "same definition", running, target: base, kind: "unchanged", feasible: true, verdict: /no changes/ },
    { name: "defaults spelled out are no change", running, target: { ...base, disk: 0, backoffFactor: 1.15, labels: {} }, kind: "unchanged", feasible: true, verdict: /no changes/ },
    { name: "only instances", running, target: { ...base, instances: 3 }, kind: "scale", feasible: true, verdict: /scale from 2 to 3/ },
    { name: "a new strategy in the template restarts", running, target: { ...base, upgradeStrategy: { minimumHealthCapacity: 0.5, maximumOverCapacity: 0 } }, kind: "restart", feasible: true, verdict: /rolling upgrade with minimumHealthCapacity 0.5/ },
    { name: "scale down", running, target: { ...base, instances: 1 }, kind: "scale", feasible: true, verdict: /scale from 2 to 1/ },
    { name: "image change", running, target: clickCount("img:2", { instances: 2 }), kind: "restart", feasible: true, verdict: /fits; all 2 stay healthy/ },
    { name: "scale beyond capacity", running, target: { ...base, instances: 30 }, kind: "scale", feasible: false, verdict: /cannot scale/ },
    { name: "new app too big", target: { ...base, mem: 5000 }, kind: "create", feasible: false, verdict: /cannot start .*needs 5000 MB more on one agent with type:staging; the largest free is 4000 MB/ },
  ];
  it.each(cases)("$name", ({ running: r, target, kind, feasible, verdict }) => {
    const plan = planUpgrade({ cluster, running: r, target });
    expect(plan.kind).toBe(kind);
    expect(plan.feasible).toBe(feasible);
    expect(plan.verdict).toMatch(verdict);
  });
});

describe("auto keeps minimumHealthCapacity as high as capacity allows", () => {
  const cases: { name: string; agents: AgentCapacity[]; old: string[]; n: number; constraints?: AppDefinition["constraints"]; mhc: number; minHealthy: number }[] = [
    { name: "room for a full surge", agents: [agent("a", "s", 2000, 900), agent("b", "s", 2000, 600)], old: ["a", "a", "a"], n: 3, mhc: 1, minHealthy: 3 },
    { name: "room for one spare instance replaces one at a time at full capacity", agents: [agent("a", "s", 1300, 900)], old: ["a", "a", "a"], n: 3, mhc: 1, minHealthy: 3 },
    { name: "no spare room: stops one of three first", agents: [agent("a", "s", 1000, 900)], old: ["a", "a", "a"], n: 3, mhc: 0.6666, minHealthy: 2 },
    { name: "hostname UNIQUE on three agents (MA#689)", agents: [agent("a", "s", 4000, 300), agent("b", "s", 4000, 300), agent("c", "s", 4000, 300)], old: ["a", "b", "c"], n: 3, constraints: [["hostname", "UNIQUE"]], mhc: 0.6666, minHealthy: 2 },
    { name: "hostname UNIQUE with a spare agent keeps all", agents: [agent("a", "s", 4000, 300), agent("b", "s", 4000, 300), agent("c", "s", 4000, 300), agent("d", "s", 4000)], old: ["a", "b", "c"], n: 3, constraints: [["hostname", "UNIQUE"]], mhc: 1, minHealthy: 3 },
    { name: "single instance, no room", agents: [agent("a", "s", 497, 300)], old: ["a"], n: 1, mhc: 0, minHealthy: 0 },
    { name: "two instances on two full agents", agents: [agent("a", "s", 497, 300), agent("b", "s", 497, 300)], old: ["a", "b"], n: 2, mhc: 0.5, minHealthy: 1 },
    { name: "scale up during a restart uses the new count", agents: [agent("a", "s", 1300, 300)], old: ["a"], n: 3, mhc: 1, minHealthy: 1 },
  ];
  it.each(cases)("$name", ({ agents, old, n, constraints, mhc, minHealthy }) => {
    const def = clickCount("img:1", { instances: old.length, constraints: constraints ?? [] });
    const running = runningApp(def, old.map((h, i) => task(h, undefined, `2026-01-01T00:00:${10 + i}.000Z`)));
    const plan = planUpgrade({ cluster: snap(...agents), running, target: { ...def, instances: n, container: { docker: { image: "img:2" } } } });
    expect(plan.feasible).toBe(true);
    expect(plan.strategy.minimumHealthCapacity).toBe(mhc);
    expect(plan.minHealthy).toBe(minHealthy);
  });
});

describe("old instances that are not healthy (Marathon 1.10+ counts only those Mesos reports healthy)", () => {
  it("an unhealthy old instance holding the only slot blocks every strategy", () => {
    const def = clickCount("img:1", { constraints: [], healthChecks: [{ protocol: "MESOS_HTTP" }] });
    const sick = { ...task("a"), healthCheckResults: [{ alive: false, consecutiveFailures: 0, firstSuccess: null, lastSuccess: null, lastFailure: null }] };
    const plan = planUpgrade({ cluster: snap(agent("a", "s", 497, 300)), running: runningApp(def, [sick]), target: { ...def, container: { docker: { image: "img:2" } } } });
    expect(plan.feasible).toBe(false);
    expect(plan.shortfall).toBe("needs 300 MB more on one agent; the largest free is 197 MB");
  });
  it("an old instance failing its health checks is killed by Marathon, which frees its room", () => {
    const def = clickCount("img:1", { constraints: [], healthChecks: [{ protocol: "MESOS_HTTP" }] });
    const failing = { ...task("a"), healthCheckResults: [{ alive: false, consecutiveFailures: 2, firstSuccess: null, lastSuccess: null, lastFailure: "x" }] };
    const plan = planUpgrade({ cluster: snap(agent("a", "s", 497, 300)), running: runningApp(def, [failing]), target: { ...def, container: { docker: { image: "img:2" } } } });
    expect(plan.feasible).toBe(true);
    expect(plan.steps.map((s) => s.action)).toEqual(["Marathon kills the old instance failing its health checks (on a)", "start 1 new instance (on a)"]);
  });
  it("an unhealthy instance among healthy ones is stopped first", () => {
    const def = clickCount("img:1", { instances: 2, constraints: [], healthChecks: [{ protocol: "MESOS_HTTP" }] });
    const ok = { ...task("a"), healthCheckResults: [{ alive: true, consecutiveFailures: 0, firstSuccess: "x", lastSuccess: "x", lastFailure: null }] };
    const sick = { ...task("b", undefined, "2026-01-01T00:00:01.000Z"), healthCheckResults: [] };
    const plan = planUpgrade({ cluster: snap(agent("a", "s", 497, 300), agent("b", "s", 497, 300)), running: runningApp(def, [ok, sick]), target: { ...def, container: { docker: { image: "img:2" } } } });
    expect(plan.feasible).toBe(true);
    // Only the healthy instance counts, so nothing is stopped unless minimumHealthCapacity is 0; then the sick one goes first.
    expect(plan.strategy.minimumHealthCapacity).toBe(0);
    expect(plan.steps[0]?.action).toContain("(on b)");
    expect(plan.minHealthy).toBe(1);
    expect(plan.zeroDowntime).toBe(true);
  });
});

describe("explicit strategies are checked the same way", () => {
  const agents = [agent("a", "s", 1000, 900)];
  const def = clickCount("img:1", { instances: 3, constraints: [] });
  const running = runningApp(def, [task("a"), task("a", undefined, "2026-01-01T00:00:11.000Z"), task("a", undefined, "2026-01-01T00:00:12.000Z")]);
  const cases: { strategy: { minimumHealthCapacity: number; maximumOverCapacity: number }; feasible: boolean }[] = [
    { strategy: { minimumHealthCapacity: 1, maximumOverCapacity: 1 }, feasible: false },
    { strategy: { minimumHealthCapacity: 1, maximumOverCapacity: 0 }, feasible: false },
    { strategy: { minimumHealthCapacity: 0.5, maximumOverCapacity: 0 }, feasible: true },
    { strategy: { minimumHealthCapacity: 0, maximumOverCapacity: 0 }, feasible: true },
    { strategy: { minimumHealthCapacity: 0.9, maximumOverCapacity: 1 }, feasible: false },
  ];
  it.each(cases)("$strategy.minimumHealthCapacity/$strategy.maximumOverCapacity on a full agent -> feasible $feasible", ({ strategy, feasible }) => {
    const plan = planUpgrade({ cluster: snap(...agents), running, target: { ...def, container: { docker: { image: "img:2" } }, upgradeStrategy: strategy } });
    expect(plan.feasible).toBe(feasible);
    expect(plan.strategy).toEqual(strategy);
    if (!feasible) expect(plan.shortfall).toMatch(/needs 300 MB more on one agent; the largest free is 100 MB/);
  });
});

describe("shortfalls in words", () => {
  const running = runningApp(clickCount("img:1", { constraints: [] }), [task("a")]);
  const target = (extra: Partial<AppDefinition>) => ({ ...clickCount("img:2", { constraints: [] }), upgradeStrategy: { minimumHealthCapacity: 1, maximumOverCapacity: 1 }, ...extra });
  const cases: { name: string; agents: AgentCapacity[]; target: AppDefinition; shortfall: RegExp }[] = [
    { name: "no agent has the attribute", agents: [agent("a", "svc", 4000, 300)], target: target({ constraints: [["type", "CLUSTER", "gpu"]] }), shortfall: /^needs one agent with type:gpu; none of the 1 active agents matches$/ },
    { name: "cpus short", agents: [agent("a", "s", 4000, 300, { free: { cpus: 0.05, mem: 3700, disk: 100, ports: 10 } })], target: target({}), shortfall: /needs 0.1 CPUs more on one agent; the largest free is 0.05 CPUs/ },
    { name: "role not offered", agents: [agent("a", "s", 4000, 300)], target: target({ acceptedResourceRoles: ["slave_public"] }), shortfall: /needs one agent with role slave_public/ },
    { name: "UNIQUE with every agent taken", agents: [agent("a", "s", 4000, 300)], target: target({ constraints: [["hostname", "UNIQUE"]] }), shortfall: /hostname:UNIQUE allows no more instances on the 1 agent that match .*needs one more agent/ },
  ];
  it.each(cases)("$name", ({ agents, target: t, shortfall }) => {
    const plan = planUpgrade({ cluster: snap(...agents), running, target: t });
    expect(plan.feasible).toBe(false);
    expect(plan.shortfall).toMatch(shortfall);
  });
  it("fixed host port held by the old instance", () => {
    const ports = { requirePorts: true, portDefinitions: [{ port: 8080 }] };
    const old = runningApp(clickCount("img:1", { constraints: [], ...ports }), [task("a")]);
    const plan = planUpgrade({ cluster: snap(agent("a", "s", 4000, 300)), running: old, target: target(ports) });
    expect(plan.feasible).toBe(false);
    expect(plan.shortfall).toMatch(/needs host port 8080 free on one agent/);
  });
});

describe("instances: per-agent", () => {
  const cluster = snap(agent("svc-1", "svc", 8000), agent("staging-1", "staging", 497), agent("production-1", "production", 497), agent("old", "svc", 8000, 0, { active: false }));
  it("resolves to the number of active agents the constraints allow", () => {
    const traefik = { id: "/traefik", instances: "per-agent" as unknown as number, mem: 64, cpus: 0.1, constraints: [["hostname", "UNIQUE"]] };
    expect(countPerAgent(traefik, cluster)).toBe(3);
    const plan = planUpgrade({ cluster, target: traefik });
    expect(plan.instances.to).toBe(3);
    expect(plan.feasible).toBe(true);
  });
  it("counts only agents with the attribute asked for", () => {
    expect(countPerAgent({ id: "/x", constraints: [["type", "LIKE", "s.*"]] }, cluster)).toBe(2);
  });
});

describe("per-node Traefik: fixed host ports 80 and 443, hostname UNIQUE, {0,0}", () => {
  const edgePorts: [number, number][] = [
    [80, 80],
    [443, 443],
    [31000, 32000],
  ];
  /** An agent offering `ranges`, of which `taken` ports are in use by someone. */
  const node = (name: string, ranges: [number, number][], extra: Partial<AgentCapacity> = {}): AgentCapacity =>
    agent(name, "node", 497, 0, { portRanges: ranges, freePortRanges: ranges, ...extra });
  const traefik = (image: string, instances: number | string = "per-agent"): AppDefinition => ({
    id: "/infra/traefik",
    instances: instances as number,
    cpus: 0.1,
    mem: 64,
    container: { type: "DOCKER", docker: { image } },
    networks: [{ mode: "host" }],
    portDefinitions: [{ port: 80 }, { port: 443 }],
    requirePorts: true,
    constraints: [["hostname", "UNIQUE"]],
    upgradeStrategy: { minimumHealthCapacity: 0, maximumOverCapacity: 0 },
  });
  const running = (hosts: string[]): AppStatus => runningApp({ ...traefik("traefik:v1.7.34", hosts.length) }, hosts.map((h) => ({ ...task(h), appId: "/infra/traefik", ports: [80, 443] })));

  it("per-agent counts only agents that offer the ports and are big enough in total, saying why the others are out", () => {
    const cluster = snap(
      node("svc", edgePorts),
      node("staging", edgePorts, { free: { cpus: 0, mem: 0, disk: 0, ports: 0 } }),
      node("workers", [[31000, 32000]]),
      node("tiny", edgePorts, { total: { cpus: 1, mem: 32, disk: 10_000, ports: 1000 } }),
    );
    const counted = perAgentCount(traefik("traefik:v1.7.34"), cluster);
    // staging is full right now but can host it: only what the agent has in all counts.
    expect(counted.count).toBe(2);
    expect(counted.excluded).toEqual(["ports 80, 443 are not among the ports agent workers offers (its ranges are [31000-32000])", "agent tiny is too small for one instance (64 MB needed, 32 MB in all)"]);
  });

  it("agents that offer only [31000-32000] refuse the first deploy saying so, not that an old instance holds the port", () => {
    const cluster = snap(node("svc", [[31000, 32000]]), node("staging", [[31000, 32000]]));
    const plan = planUpgrade({ cluster, target: traefik("traefik:v1.7.34"), mode: "template" });
    expect(plan.feasible).toBe(false);
    expect(plan.shortfall).toContain("ports 80, 443 are not among the ports agent svc offers (its ranges are [31000-32000])");
    expect(plan.shortfall).not.toContain("old instance");
  });

  it("a fixed count tells a port not offered, held by another app, and held by this app's old instance apart", () => {
    const notOffered = planUpgrade({ cluster: snap(node("svc", [[31000, 32000]])), target: traefik("t:1", 1), mode: "template" });
    expect(notOffered.shortfall).toBe("needs host port 80 free on one agent: port 80 is not among the ports agent svc offers (its ranges are [31000-32000])");
    const other = planUpgrade({ cluster: snap(node("svc", edgePorts, { freePortRanges: [[443, 443], [31000, 32000]] })), target: traefik("t:1", 1), mode: "template" });
    expect(other.shortfall).toBe("needs host port 80 free on one agent: port 80 is held by another task or app on svc");
    // {1,0} keeps the old instance until a new one is healthy, so on one node its ports never free up.
    const keep = { ...traefik("t:2", 1), constraints: [], upgradeStrategy: { minimumHealthCapacity: 1, maximumOverCapacity: 0 } };
    const held = planUpgrade({ cluster: snap(node("svc", edgePorts, { freePortRanges: [[31000, 32000]] })), running: running(["svc"]), target: keep, mode: "template" });
    expect(held.feasible).toBe(false);
    expect(held.shortfall).toContain("port 80 is held by this app's old instance on svc until it stops");
  });

  const edgeCluster = () => snap(...["svc", "staging", "production"].map((h) => node(h, edgePorts, { freePortRanges: [[31000, 32000]], free: { cpus: 0.05, mem: 20, disk: 10_000, ports: 999 } })));
  const withoutStrategy = (image: string, instances: number | string = "per-agent"): AppDefinition => {
    const app = traefik(image, instances);
    delete app.upgradeStrategy;
    return app;
  };

  it("auto on a new per-agent app sends the one-node-at-a-time strategy its upgrades need: N-1 kept, no surge", () => {
    const fresh = snap(...["svc", "staging", "production"].map((h) => node(h, edgePorts)));
    const plan = planUpgrade({ cluster: fresh, target: withoutStrategy("traefik:v1.7.34") });
    expect(plan.kind).toBe("create");
    expect(plan.strategy).toEqual({ minimumHealthCapacity: capacityFor(2, 3), maximumOverCapacity: 0 });
    expect(plan.strategySource).toBe("auto");
  });

  it("auto on a per-agent upgrade replaces one node at a time: never below N-1 healthy, never above N running", () => {
    const plan = planUpgrade({ cluster: edgeCluster(), running: running(["svc", "staging", "production"]), target: withoutStrategy("traefik:v1.7.35") });
    expect(plan.feasible, plan.shortfall).toBe(true);
    expect(plan.strategy).toEqual({ minimumHealthCapacity: capacityFor(2, 3), maximumOverCapacity: 0 });
    expect(Math.ceil(3 * plan.strategy.minimumHealthCapacity)).toBe(2);
    expect(plan.minHealthy).toBe(2);
    expect(plan.peak.instances).toBe(3);
    expect(plan.steps[0]?.action).toMatch(/^stop 1 old instance first/);
  });

  it("{0,0} stops the old instances first, so their ports and room go to the new ones: the upgrade progresses", () => {
    // Mesos lists 80 and 443 as used on every node: the old Traefik holds them.
    const cluster = snap(...["svc", "staging", "production", "edge"].map((h) => node(h, edgePorts, { freePortRanges: [[31000, 32000]], free: { cpus: 0.05, mem: 20, disk: 10_000, ports: 999 } })));
    const plan = planUpgrade({ cluster, running: running(["svc", "staging", "production", "edge"]), target: traefik("traefik:v1.7.35"), mode: "template" });
    expect(plan.feasible, plan.shortfall).toBe(true);
    expect(plan.instances).toEqual({ from: 4, to: 4 });
    expect(plan.strategy).toEqual({ minimumHealthCapacity: 0, maximumOverCapacity: 0 });
    expect(plan.steps[0]?.action).toMatch(/^stop 4 old instances first/);
    expect(plan.steps[1]?.action).toMatch(/^start 4 new instances/);
  });
});

describe("a floor the environment sets (minHealthy)", () => {
  // Three staging agents of 497 MB, each running one 300 MB instance: no room for a surge.
  const full = snap(agent("s1", "staging", 497, 300), agent("s2", "staging", 497, 300), agent("s3", "staging", 497, 300));
  // The same plus one empty staging agent: one new instance fits beside the old ones.
  const oneSpare = snap(...full.agents, agent("s4", "staging", 497, 0));
  const running = runningApp(clickCount("img:1", { instances: 3 }), [task("s1"), task("s2"), task("s3")]);
  const target = (extra: Partial<AppDefinition> = {}) => clickCount("img:2", { instances: 3, ...extra });

  const cases: { name: string; cluster: ClusterSnapshot; minHealthy: number; extra?: Partial<AppDefinition>; mode?: "auto" | "template"; feasible: boolean; keeps?: number; shortfall?: RegExp }[] = [
    { name: "auto, no spare, floor 2: one at a time keeps 2", cluster: full, minHealthy: 2, feasible: true, keeps: 2 },
    { name: "auto, no spare, floor 0.5 of 3 = 2: keeps 2", cluster: full, minHealthy: 0.5, feasible: true, keeps: 2 },
    {
      name: "auto, no spare, floor 3: refused with the shortfall",
      cluster: full,
      minHealthy: 3,
      feasible: false,
      shortfall: /^keeping 3 of 3 healthy \(the environment's floor, minHealthy 3\) needs 300 MB more on one agent with type:staging; the largest free is 197 MB; the most the cluster allows is 2$/,
    },
    { name: "auto, one spare agent, floor 3: the surge keeps all 3", cluster: oneSpare, minHealthy: 3, feasible: true, keeps: 3 },
    {
      name: "template {0, 1} below the floor of 1: refused",
      cluster: oneSpare,
      minHealthy: 1,
      extra: { upgradeStrategy: { minimumHealthCapacity: 0, maximumOverCapacity: 1 } },
      feasible: false,
      shortfall: /^upgradeStrategy minimumHealthCapacity 0, maximumOverCapacity 1 may leave 0 of 3 healthy, 1 below the environment's floor of 1 \(minHealthy 1\)$/,
    },
    { name: "template {0.5, 0} keeps 2, at the floor of 2", cluster: full, minHealthy: 2, extra: { upgradeStrategy: { minimumHealthCapacity: 0.5, maximumOverCapacity: 0 } }, feasible: true, keeps: 2 },
    {
      name: "--strategy template (Marathon's 1/1) with the floor met but no room: refused for room, not for the floor",
      cluster: full,
      minHealthy: 1,
      mode: "template",
      feasible: false,
      shortfall: /needs 300 MB more/,
    },
    { name: "a floor above the instance count: refused", cluster: oneSpare, minHealthy: 4, feasible: false, shortfall: /floor of 4 healthy instances \(minHealthy 4\) is more than the 3 instances/ },
  ];
  it.each(cases)("$name", ({ cluster, minHealthy, extra, mode, feasible, keeps, shortfall }) => {
    const plan = planUpgrade({ cluster, running, target: target(extra), minHealthy, ...(mode ? { mode } : {}) });
    expect(plan.feasible, plan.verdict).toBe(feasible);
    if (keeps !== undefined) {
      expect(plan.minHealthy).toBeGreaterThanOrEqual(keeps);
      expect(Math.ceil(3 * plan.strategy.minimumHealthCapacity)).toBeGreaterThanOrEqual(keeps);
      expect(Math.min(...plan.steps.map((s) => s.healthy))).toBeGreaterThanOrEqual(keeps);
    }
    if (shortfall) expect(plan.shortfall).toMatch(shortfall);
  });

  it("without the floor the same cluster goes as low as progress needs", () => {
    const plan = planUpgrade({ cluster: full, running, target: target() });
    expect(plan.feasible).toBe(true);
    expect(plan.minHealthy).toBe(2);
  });

  it("a new app and a scale are not upgrades: the floor does not refuse them", () => {
    const roomy = snap(agent("s5", "staging", 4000), agent("s6", "staging", 4000));
    expect(planUpgrade({ cluster: roomy, target: target(), minHealthy: 3 }).feasible).toBe(true);
    expect(planUpgrade({ cluster: oneSpare, running, target: clickCount("img:1", { instances: 1 }), minHealthy: 2 }).feasible).toBe(true);
  });

  it("without Mesos the floor is checked against what Marathon may do: ceil(n x minimumHealthCapacity)", () => {
    const refused = planWithoutCapacity(running, target({ upgradeStrategy: { minimumHealthCapacity: 0.3, maximumOverCapacity: 0 } }), 2);
    expect(refused.feasible).toBe(false);
    expect(refused.shortfall).toBe("upgradeStrategy minimumHealthCapacity 0.3, maximumOverCapacity 0 may leave 1 of 3 healthy, 1 below the environment's floor of 2 (minHealthy 2)");
    expect(planWithoutCapacity(running, target(), 3).feasible).toBe(true);
  });

  it.each([
    [2, 3, 2],
    [0.5, 3, 2],
    [0.5, 4, 2],
    [0.34, 3, 2],
    [0.99, 100, 99],
    [1, 5, 1],
  ])("floorCount(%d, %d) = %d", (minHealthy, n, expected) => {
    expect(floorCount(minHealthy, n)).toBe(expected);
  });
});

describe("lint traps", () => {
  const cluster = snap(agent("a", "s", 4000), agent("b", "s", 4000));
  const cases: { name: string; target: AppDefinition; warning: RegExp }[] = [
    { name: "mem 0", target: { id: "/x", mem: 0 }, warning: /mem is 0/ },
    { name: "UNIQUE above the agents", target: { id: "/x", instances: 3, constraints: [["hostname", "UNIQUE"]] }, warning: /instances 3 is above the 2 that hostname:UNIQUE allows/ },
    { name: "MAX_PER above the agents", target: { id: "/x", instances: 5, constraints: [["hostname", "MAX_PER", "2"]] }, warning: /instances 5 is above the 4 that hostname:MAX_PER 2 allows/ },
    { name: "fixed ports above the agents", target: { id: "/x", instances: 3, requirePorts: true, portDefinitions: [{ port: 80 }] }, warning: /fixed host port 80 allow one instance per agent/ },
  ];
  it.each(cases)("$name", ({ target, warning }) => {
    const plan = planUpgrade({ cluster, target });
    expect(plan.warnings.join("\n")).toMatch(warning);
  });
  it("UNIQUE with no spare agent warns on a restart", () => {
    const def: AppDefinition = { id: "/x", instances: 2, mem: 100, cpus: 0.1, constraints: [["hostname", "UNIQUE"]] };
    const running = runningApp(def, [task("a"), task("b")]);
    const plan = planUpgrade({ cluster, running, target: { ...def, cmd: "new" } });
    expect(plan.warnings.join("\n")).toMatch(/leaves no spare agent/);
    expect(plan.strategy.minimumHealthCapacity).toBe(0.5);
  });
  it("a clean app has no warnings", () => {
    expect(planUpgrade({ cluster, target: { id: "/x", mem: 64 } }).warnings).toEqual([]);
  });
});

describe("capacityFor gives a minimumHealthCapacity Marathon turns back into the same count", () => {
  const cases = [
    [0, 3],
    [1, 3],
    [2, 3],
    [3, 3],
    [7, 25],
    [8, 25],
    [1999, 2000],
    [1, 2000],
    [333, 1000],
  ] as const;
  it.each(cases)("%i of %i", (k, n) => {
    expect(Math.ceil(n * capacityFor(k, n))).toBe(k);
  });
});

describe("scale", () => {
  it("plans 2,000 instances over 10,000 agents quickly", () => {
    const agents = Array.from({ length: 10_000 }, (_, i) => agent(`a${i}`, "s", 1000, 300));
    const def: AppDefinition = { id: "/big", instances: 2000, cpus: 0.01, mem: 300 };
    const tasks = Array.from({ length: 2000 }, (_, i) => task(`a${i}`));
    const started = performance.now();
    const plan = planUpgrade({ cluster: snap(...agents), running: runningApp(def, tasks), target: { ...def, cmd: "v2" } });
    expect(plan.feasible).toBe(true);
    expect(plan.strategy.minimumHealthCapacity).toBe(1);
    expect(performance.now() - started).toBeLessThan(2000);
  });
});

/**
 * Marathon 1.10+ counts an old instance for a restart's immediate kills only when Mesos
 * reports it healthy (src/sim/README.md): with Marathon-run checks (HTTP, HTTPS, TCP) nothing
 * is stopped first, so only room for one more instance moves the upgrade. 1.4 to 1.9
 * counted every running instance.
 */
describe("the restart rule of the Marathon release", () => {
  const healthy = [{ alive: true, consecutiveFailures: 0, firstSuccess: "x", lastSuccess: "x", lastFailure: null }];
  const checked = (protocol: string, image = "img:1", extra: Partial<AppDefinition> = {}) =>
    clickCount(image, { constraints: [], healthChecks: [{ protocol, portIndex: 0 }], ...extra });
  const runningWith = (def: AppDefinition, hosts: string[]) => runningApp(def, hosts.map((h, i) => ({ ...task(h, undefined, `2026-01-01T00:00:1${i}.000Z`), healthCheckResults: healthy })));
  const next = (def: AppDefinition): AppDefinition => ({ ...def, container: { type: "DOCKER", docker: { image: "img:2" } } });

  it("HTTP-checked on 1.11 with room for one more: starts one beside the old one, all stay up", () => {
    const def = checked("HTTP");
    const plan = planUpgrade({ cluster: snap(agent("a", "s", 700, 300)), running: runningWith(def, ["a"]), target: next(def), marathonVersion: "1.11.24" });
    expect(plan.feasible).toBe(true);
    expect(plan.strategy.maximumOverCapacity).toBeGreaterThan(0);
    expect(plan.restartRule).toBe("Marathon 1.11: instances checked by Marathon (HTTP) do not count for immediate kills");
    expect(plan.steps.map((s) => s.action)).toEqual(["start 1 new instance (on a)", "1 new instance healthy; stop 1 old instance (on a)"]);
    expect(plan.peak.instances).toBe(2);
    expect(plan.minHealthy).toBe(1);
  });

  it("HTTP-checked on 1.11 without room: refused, naming the rule and the fixes in one line", () => {
    const def = checked("HTTP");
    const plan = planUpgrade({ cluster: snap(agent("a", "s", 497, 300)), running: runningWith(def, ["a"]), target: next(def), marathonVersion: "1.11.24" });
    expect(plan.feasible).toBe(false);
    expect(plan.verdict).toBe(
      "cannot upgrade /click-count: Marathon 1.11: instances checked by Marathon (HTTP) do not count for immediate kills, so none stops before a new one is healthy, and there is no room for one more instance (needs 300 MB more on one agent; the largest free is 197 MB); fix: free capacity for one more instance, switch the HTTP check to MESOS_HTTP (counted from the upgrade after the one that installs them), or scale /click-count to 0 instances first (downtime)",
    );
  });

  it("the same app on 1.9 gets the old plan: stop the old instance first, then start the new one", () => {
    const def = checked("HTTP");
    const plan = planUpgrade({ cluster: snap(agent("a", "s", 497, 300)), running: runningWith(def, ["a"]), target: next(def), marathonVersion: "1.9.109" });
    expect(plan.feasible).toBe(true);
    expect(plan.strategy).toEqual({ minimumHealthCapacity: 0, maximumOverCapacity: 1 });
    expect(plan.restartRule).toBe("Marathon 1.9: every running instance counts for immediate kills");
  });

  it("MESOS_HTTP-checked on 1.11 plans as before (healthy old instances count)", () => {
    const def = checked("MESOS_HTTP");
    const plan = planUpgrade({ cluster: snap(agent("a", "s", 497, 300)), running: runningWith(def, ["a"]), target: next(def), marathonVersion: "1.11.24" });
    expect(plan.feasible).toBe(true);
    expect(plan.strategy).toEqual({ minimumHealthCapacity: 0, maximumOverCapacity: 1 });
    expect(plan.restartRule).toBe("Marathon 1.11: only instances Mesos reports healthy (MESOS_HTTP) count for immediate kills");
  });

  it("an unknown version is planned as 1.10+, and the plan says it assumed so", () => {
    const def = checked("TCP");
    const plan = planUpgrade({ cluster: snap(agent("a", "s", 497, 300)), running: runningWith(def, ["a"]), target: next(def) });
    expect(plan.feasible).toBe(false);
    expect(plan.restartRule).toBe("Marathon (version not reported; 1.10+ assumed): instances checked by Marathon (TCP) do not count for immediate kills");
    expect(plan.verdict).toContain("switch the TCP check to MESOS_TCP");
  });

  it("readiness checks alone count as Marathon-run", () => {
    const def = clickCount("img:1", { constraints: [], readinessChecks: [{ name: "ready", path: "/ready", portName: "http" }] });
    const plan = planUpgrade({ cluster: snap(agent("a", "s", 497, 300)), running: runningWith(def, ["a"]), target: next(def), marathonVersion: "1.10.26" });
    expect(plan.feasible).toBe(false);
    expect(plan.verdict).toContain("add a MESOS_HTTP or MESOS_TCP health check");
  });

  it("a template strategy with maximumOverCapacity 0 is refused: it never starts", () => {
    const def = checked("HTTP", "img:1", { instances: 3, upgradeStrategy: { minimumHealthCapacity: 0.5, maximumOverCapacity: 0 } });
    const plan = planUpgrade({ cluster: snap(agent("a", "s", 4000, 900)), running: runningWith(def, ["a", "a", "a"]), target: next(def), marathonVersion: "1.11.24" });
    expect(plan.feasible).toBe(false);
    expect(plan.verdict).toContain("upgradeStrategy minimumHealthCapacity 0.5, maximumOverCapacity 0 starts no new instance beside them");
    expect(plan.verdict).toContain("fix: raise maximumOverCapacity in the template (maximumOverCapacity 0.3334 starts one more)");
    expect(plan.verdict).not.toContain("free capacity");
  });

  it("per-node with fixed ports: TCP on 1.11 cannot upgrade in place; MESOS_TCP goes one node at a time", () => {
    const ports: [number, number][] = [
      [80, 80],
      [443, 443],
      [31000, 32000],
    ];
    const node = (name: string) => agent(name, "node", 497, 64, { portRanges: ports, freePortRanges: [[31000, 32000]] });
    const traefik = (protocol: string): AppDefinition => ({
      id: "/traefik",
      instances: "per-agent" as unknown as number,
      cpus: 0.1,
      mem: 64,
      networks: [{ mode: "host" }],
      portDefinitions: [{ port: 80 }, { port: 443 }],
      requirePorts: true,
      constraints: [["hostname", "UNIQUE"]],
      healthChecks: [{ protocol, portIndex: 0 }],
      container: { type: "DOCKER", docker: { image: "traefik:1" } },
    });
    const cluster = snap(node("n1"), node("n2"), node("n3"));
    const runningAs = (protocol: string) => runningWith({ ...traefik(protocol), instances: 3, upgradeStrategy: { minimumHealthCapacity: 0.6666, maximumOverCapacity: 0 } }, ["n1", "n2", "n3"]);
    const upgrade = (protocol: string): AppDefinition => ({ ...traefik(protocol), container: { type: "DOCKER", docker: { image: "traefik:2" } } });

    const tcp = planUpgrade({ cluster, running: runningAs("TCP"), target: upgrade("TCP"), marathonVersion: "1.11.24" });
    expect(tcp.feasible).toBe(false);
    expect(tcp.verdict).toContain("no room for one more instance");
    expect(tcp.verdict).toContain("or scale /traefik to 2 instances first");

    const mesos = planUpgrade({ cluster, running: runningAs("MESOS_TCP"), target: upgrade("MESOS_TCP"), marathonVersion: "1.11.24" });
    expect(mesos.feasible).toBe(true);
    expect(mesos.strategy).toEqual({ minimumHealthCapacity: 0.6666, maximumOverCapacity: 0 });
    expect(mesos.minHealthy).toBe(2);
  });

  it("without a Mesos URL a strategy that can never start is still refused, and the rule is named", () => {
    const def = checked("HTTP", "img:1", { instances: 2 });
    const running = runningWith(def, ["a", "b"]);
    const stuck = planWithoutCapacity(running, next({ ...def, upgradeStrategy: { minimumHealthCapacity: 0.5, maximumOverCapacity: 0 } }), undefined, "1.11.24");
    expect(stuck.feasible).toBe(false);
    expect(stuck.verdict).toContain("starts no new instance beside them; fix: raise maximumOverCapacity in the template (maximumOverCapacity 0.5 starts one more)");
    const fine = planWithoutCapacity(running, next(def), undefined, "1.11.24");
    expect(fine.feasible).toBe(true);
    expect(fine.restartRule).toBe("Marathon 1.11: instances checked by Marathon (HTTP) do not count for immediate kills");
    expect(planWithoutCapacity(running, next({ ...def, upgradeStrategy: { minimumHealthCapacity: 0.5, maximumOverCapacity: 0 } }), undefined, "1.9.109").feasible).toBe(true);
    // Shrinking kills the surplus at once, but the rest still hold every slot.
    const three = runningWith({ ...def, instances: 3 }, ["a", "b", "c"]);
    expect(planWithoutCapacity(three, next({ ...def, instances: 2, upgradeStrategy: { minimumHealthCapacity: 0, maximumOverCapacity: 0 } }), undefined, "1.11.24").feasible).toBe(false);
    expect(planWithoutCapacity(three, next({ ...def, instances: 2, upgradeStrategy: { minimumHealthCapacity: 0, maximumOverCapacity: 0.5 } }), undefined, "1.11.24").feasible).toBe(true);
  });

  it("overCapacityFor gives the smallest share that starts k more", () => {
    expect([1, 2, 3, 7, 2000].map((n) => overCapacityFor(1, n))).toEqual([1, 0.5, 0.3334, 0.1429, 0.0005]);
    for (const n of [1, 2, 3, 7, 25, 2000]) expect(Math.floor(n * (1 + overCapacityFor(1, n)))).toBe(n + 1);
  });
});
