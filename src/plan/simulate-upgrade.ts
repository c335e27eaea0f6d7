// Twin of src/sim/restart-strategy.ts and src/sim/deployment-steps.ts (restart arithmetic, kept twice on purpose: src/sim/README.md "Twins"); cross-checked by test/deploy-trap.test.ts and test/plan-cli.test.ts.
/**
 * Replays Marathon's rolling restart (TaskReplaceActor, Marathon 1.4 to 1.11) over
 * a snapshot of free agent capacity, to predict whether a deployment can finish
 * and how many healthy instances remain at each moment. New instances are
 * assumed to become healthy; the question answered is whether capacity and
 * constraints let the upgrade progress at all.
 */
import type { UpgradeStrategy } from "../marathon/types.js";
import { describeConstraint, dynamicallyAllows, isDynamic, staticallyAllows, type ParsedConstraint } from "./constraints.js";
import { formatRanges } from "./free-resources.js";
import { formatAmount, type ResourceKind } from "./format-amounts.js";
import type { AgentCapacity, PeakUse, PlanStep, ResourceAmounts } from "./types.js";

/** One running old-version instance. */
export interface OldInstance {
  /** Index into the snapshot's agents; -1 when its agent is not in the snapshot. */
  agent: number;
  startedAt?: string | null;
  /** False when its health checks do not pass (default true). Marathon 1.10+ counts only healthy old instances. */
  healthy?: boolean;
  /** Unhealthy with failing health checks: Marathon will kill it (maxConsecutiveFailures), freeing its room. */
  failing?: boolean;
  /**
   * Whether the restart counts it before its immediate kills (R in computeRestartStrategy;
   * see src/plan/restart-counting.ts). Default: when healthy.
   */
  counted?: boolean;
}

export interface SimulationInput {
  agents: readonly AgentCapacity[];
  constraints: readonly ParsedConstraint[];
  /** `acceptedResourceRoles`; `["*"]` when the app gives none. */
  roles: readonly string[];
  /** What one new instance needs. */
  need: ResourceAmounts;
  /** Fixed host ports a new instance needs (requirePorts), each must be free on its agent. */
  fixedPorts: readonly number[];
  /** What one old instance holds (freed when it stops). */
  oldNeed: ResourceAmounts;
  oldFixedPorts: readonly number[];
  old: readonly OldInstance[];
  /** N, the new instance count. */
  instances: number;
  strategy: UpgradeStrategy;
  /** restart: replace every old instance; start/scale: only add or remove. */
  kind: "restart" | "start" | "scale";
  killSelection?: "YOUNGEST_FIRST" | "OLDEST_FIRST";
}

export interface SimulationResult {
  completed: boolean;
  steps: PlanStep[];
  /** Fewest healthy instances at any moment. */
  minHealthy: number;
  peak: PeakUse;
  /** Why the next new instance cannot be placed, when not completed. */
  shortfall?: string;
}

/** Steps beyond this are summarised: a plan for 2,000 instances must stay readable. */
const MAX_STEPS = 40;
const EPSILON = 1e-9;

/** Runs the prediction. Pure and bounded: every round either places an instance or ends. */
export function simulateUpgrade(input: SimulationInput): SimulationResult {
  const { agents, need, instances: n } = input;
  const pools = agents.map((agent) => poolFor(agent, input.roles));
  /** Fixed host ports held by the new instances placed so far, by agent. */
  const usedFixed = agents.map(() => new Set<number>());
  /** Old instances still running on each agent: they hold the old fixed ports there until they stop. */
  const oldOn = new Int32Array(agents.length);
  /** Agents that had an old instance in the snapshot: Mesos lists its fixed ports as used, but they free up when it stops. */
  const oldAtStart = new Uint8Array(agents.length);
  const dynamic = input.constraints.filter(isDynamic);
  const counts = dynamic.map(() => new Map<string, number>());
  const eligible: number[] = [];
  agents.forEach((agent, i) => {
    if (agent.active && pools[i] && input.constraints.every((c) => staticallyAllows(c, agent))) eligible.push(i);
  });

  const adjustCounts = (agentIndex: number, delta: number) => {
    const agent = agents[agentIndex];
    if (!agent) return;
    dynamic.forEach((c, k) => {
      const value = c.field === "hostname" || c.field === "@hostname" ? agent.hostname : String(agent.attributes[c.field] ?? "");
      const map = counts[k] as Map<string, number>;
      map.set(value, (map.get(value) ?? 0) + delta);
    });
  };

  const old = [...input.old].sort((a, b) => killOrder(a, b, input.killSelection ?? "YOUNGEST_FIRST"));
  for (const o of old) {
    adjustCounts(o.agent, 1);
    if (o.agent >= 0) {
      oldOn[o.agent] = (oldOn[o.agent] ?? 0) + 1;
      oldAtStart[o.agent] = 1;
    }
  }
  const ports: PortView = { agents, usedFixed, oldOn, oldAtStart, oldFixedPorts: input.oldFixedPorts };

  let oldActive = old.length;
  let oldHealthy = old.filter((o) => o.healthy !== false).length;
  let started = 0;
  let placed = 0;
  let healthyNew = 0;
  const steps: PlanStep[] = [];
  let omitted = 0;
  let minHealthy = oldHealthy;
  const peak: PeakUse = { instances: 0, cpus: 0, mem: 0, disk: 0 };
  const notePeak = () => {
    const total = oldActive + placed;
    peak.instances = Math.max(peak.instances, total);
    peak.cpus = Math.max(peak.cpus, round(oldActive * input.oldNeed.cpus + placed * need.cpus));
    peak.mem = Math.max(peak.mem, round(oldActive * input.oldNeed.mem + placed * need.mem));
    peak.disk = Math.max(peak.disk, round(oldActive * input.oldNeed.disk + placed * need.disk));
  };
  // Words are built only for steps that are kept: a 2,000-round plan keeps 40.
  const record = (action: () => string) => {
    const healthy = oldHealthy + healthyNew;
    minHealthy = Math.min(minHealthy, healthy);
    if (steps.length < MAX_STEPS) steps.push({ action: action(), oldRunning: oldActive, newRunning: placed, healthy });
    else omitted++;
  };
  notePeak();

  let onFreed: (agent: number) => void = () => undefined;
  const stopOld = (count: number): string[] => {
    const hosts: string[] = [];
    for (let k = 0; k < count && old.length > 0; k++) {
      const o = old.shift() as OldInstance;
      oldActive--;
      if (o.healthy !== false) oldHealthy--;
      const pool = pools[o.agent];
      if (pool) addInto(pool, input.oldNeed);
      adjustCounts(o.agent, -1);
      if (o.agent >= 0) {
        oldOn[o.agent] = (oldOn[o.agent] ?? 1) - 1;
        onFreed(o.agent);
      }
      hosts.push(agents[o.agent]?.hostname ?? "an unknown agent");
    }
    return hosts;
  };

  // Round-robin over eligible agents, as offers from many agents would spread tasks.
  // After a full scan finds nothing, only agents where an old instance stopped can
  // have become usable, so later attempts look at those alone (10,000-agent plans
  // would otherwise rescan every agent once per replaced instance).
  const isEligible = new Uint8Array(agents.length);
  for (const i of eligible) isEligible[i] = 1;
  const rescanOnEveryStop = dynamic.some((c) => c.operator === "CLUSTER");
  let fullScan = true;
  const freed: number[] = [];
  let cursor = 0;
  const fits = (i: number): boolean => {
    const pool = pools[i];
    const agent = agents[i];
    if (!pool || !agent) return false;
    if (pool.cpus + EPSILON < need.cpus || pool.mem + EPSILON < need.mem || pool.disk + EPSILON < need.disk || pool.ports < need.ports) return false;
    for (const p of input.fixedPorts) if (portHolder(ports, i, p) !== undefined) return false;
    return dynamic.every((c, k) => dynamicallyAllows(c, agent, counts[k] as Map<string, number>));
  };
  const take = (i: number): number => {
    takeFrom(pools[i] as ResourceAmounts, need);
    for (const p of input.fixedPorts) usedFixed[i]?.add(p);
    adjustCounts(i, 1);
    return i;
  };
  const placeOne = (): number => {
    if (!fullScan) {
      while (freed.length > 0) {
        const i = freed[freed.length - 1] as number;
        if (fits(i)) return take(i);
        freed.pop();
      }
      return -1;
    }
    for (let tried = 0; tried < eligible.length; tried++) {
      const i = eligible[(cursor + tried) % eligible.length] as number;
      if (fits(i)) {
        cursor = (cursor + tried + 1) % eligible.length;
        return take(i);
      }
    }
    fullScan = false;
    freed.length = 0;
    return -1;
  };
  onFreed = (i: number) => {
    if (rescanOnEveryStop) fullScan = true;
    else if (!fullScan && isEligible[i]) freed.push(i);
  };

  const minHealthyCount = Math.ceil(n * input.strategy.minimumHealthCapacity);
  let maxCapacity = Math.floor(n * (1 + input.strategy.maximumOverCapacity));
  const queueMore = () => {
    const more = Math.min(n - started, Math.max(0, maxCapacity - oldActive - started));
    if (more > 0) started += more;
  };

  if (input.kind === "restart") {
    // Marathon: with minHealthy == maxCapacity <= R, a non-resident app gets one extra slot.
    // R is what the release counts (1.10+: only instances Mesos reports healthy, none for
    // Marathon-run checks; before: every running one); unhealthy ones go first when killing.
    const counted = old.filter((o) => o.counted ?? o.healthy !== false).length;
    if (minHealthyCount === maxCapacity && maxCapacity <= counted) maxCapacity += 1;
    let killNow = Math.max(0, counted - minHealthyCount);
    if (n < oldActive) killNow = Math.max(killNow, oldActive - n);
    if (killNow > 0) {
      const hosts = stopOld(killNow);
      record(() => `stop ${plural(hosts.length, "old instance")} first (${hostList(hosts)}): minimumHealthCapacity ${input.strategy.minimumHealthCapacity} keeps ${minHealthyCount} of ${n}`);
    }
    queueMore();
  } else if (input.kind === "scale" && n < oldActive) {
    const hosts = stopOld(oldActive - n);
    record(() => `stop ${plural(hosts.length, "instance")} (${hostList(hosts)})`);
    // Scaled-down instances are the same version: they stay healthy.
    healthyNew = 0;
  } else {
    started = input.kind === "scale" ? Math.max(0, n - oldActive) : n;
  }
  const target = input.kind === "scale" ? Math.max(0, n - oldActive) : n;

  // Each round places what fits; the new instances become healthy; each lets one old instance go.
  const maxRounds = 2 * (n + input.old.length) + 4;
  for (let round = 0; round < maxRounds && placed < target; round++) {
    const hosts: string[] = [];
    while (placed < started) {
      const i = placeOne();
      if (i < 0) break;
      placed++;
      hosts.push(agents[i]?.hostname ?? "?");
    }
    if (hosts.length === 0) {
      // Stuck for now; but an old instance failing its health checks is killed by Marathon soon, and its room frees up.
      const doomed = input.kind === "restart" ? old.findIndex((o) => o.failing) : -1;
      if (doomed < 0) break;
      const [o] = old.splice(doomed, 1);
      old.unshift(o as OldInstance);
      const gone = stopOld(1);
      record(() => `Marathon kills the old instance failing its health checks (${hostList(gone)})`);
      queueMore();
      continue;
    }
    notePeak();
    record(() => `start ${plural(hosts.length, "new instance")} (${hostList(hosts)})`);
    healthyNew += hosts.length;
    if (input.kind !== "restart") continue;
    const stopped: string[] = [];
    for (let k = 0; k < hosts.length && oldActive > 0; k++) {
      stopped.push(...stopOld(1));
      queueMore();
    }
    const waiting = started - placed;
    if (stopped.length > 0) record(() => `${plural(hosts.length, "new instance")} healthy; stop ${plural(stopped.length, "old instance")} (${hostList(stopped)})${waiting > 0 ? `; ${waiting} more queued` : ""}`);
    else if (waiting > 0 || placed < n) record(() => `${plural(hosts.length, "new instance")} healthy`);
  }

  const completed = placed >= target && (input.kind !== "restart" || oldActive === 0);
  if (omitted > 0) steps.push({ action: `... ${omitted} more steps like these`, oldRunning: oldActive, newRunning: placed, healthy: oldHealthy + healthyNew });
  const result: SimulationResult = { completed, steps, minHealthy: input.kind === "restart" ? minHealthy : oldHealthy + healthyNew, peak };
  if (!completed) {
    // Nothing waits for room: Marathon launches nothing more and may stop no old instance.
    const nothingQueued = input.kind === "restart" && started === placed;
    result.shortfall = nothingQueued
      ? `Marathon starts no new instance (at most ${maxCapacity} may run, ${oldActive + placed} do) and stops no old one before a new one is healthy`
      : explainShortfall(input, eligible, pools, ports, dynamic, counts);
    if (input.kind === "restart") record(() => `waiting: ${started - placed} new instance(s) cannot be placed`);
    result.minHealthy = minHealthy;
  } else if (input.kind === "restart" && steps.length === 0) {
    result.minHealthy = oldHealthy + healthyNew;
  }
  return result;
}

function killOrder(a: OldInstance, b: OldInstance, selection: "YOUNGEST_FIRST" | "OLDEST_FIRST"): number {
  const ha = a.healthy !== false;
  const hb = b.healthy !== false;
  if (ha !== hb) return ha ? 1 : -1;
  const ta = a.startedAt ?? "";
  const tb = b.startedAt ?? "";
  if (ta === tb) return 0;
  const youngestFirst = ta < tb ? 1 : -1;
  return selection === "YOUNGEST_FIRST" ? youngestFirst : -youngestFirst;
}

/** The free resources the app may use on an agent: unreserved when it accepts `*`, plus reservations for its roles. */
function poolFor(agent: AgentCapacity, roles: readonly string[]): ResourceAmounts | undefined {
  let pool: ResourceAmounts | undefined;
  for (const role of roles) {
    const part = role === "*" ? agent.free : agent.reserved?.[role];
    if (!part) continue;
    pool ??= { cpus: 0, mem: 0, disk: 0, ports: 0 };
    addInto(pool, part);
  }
  return pool;
}

function addInto(pool: ResourceAmounts, amount: ResourceAmounts): void {
  pool.cpus += amount.cpus;
  pool.mem += amount.mem;
  pool.disk += amount.disk;
  pool.ports += amount.ports;
}

function takeFrom(pool: ResourceAmounts, amount: ResourceAmounts): void {
  pool.cpus -= amount.cpus;
  pool.mem -= amount.mem;
  pool.disk -= amount.disk;
  pool.ports -= amount.ports;
}

function inRanges(ranges: readonly [number, number][], port: number): boolean {
  return ranges.some(([lo, hi]) => port >= lo && port <= hi);
}

/** What the simulation knows about fixed host ports on each agent. */
interface PortView {
  agents: readonly AgentCapacity[];
  usedFixed: readonly Set<number>[];
  oldOn: Int32Array;
  oldAtStart: Uint8Array;
  oldFixedPorts: readonly number[];
}

/** Why a fixed host port cannot be had on an agent now, or undefined when it is free. */
type PortHolder = "not-offered" | "other" | "old" | "new";

function portHolder(view: PortView, i: number, port: number): PortHolder | undefined {
  const agent = view.agents[i] as AgentCapacity;
  if (agent.portRanges && !inRanges(agent.portRanges, port)) return "not-offered";
  if (view.usedFixed[i]?.has(port)) return "new";
  const oldPort = view.oldFixedPorts.includes(port);
  if (oldPort && (view.oldOn[i] ?? 0) > 0) return "old";
  if (!agent.freePortRanges || inRanges(agent.freePortRanges, port)) return undefined;
  // Not free in the snapshot: ours if an old instance held it there (and has stopped since), else someone else's.
  return oldPort && view.oldAtStart[i] ? undefined : "other";
}

/** Words for why no matching agent has a fixed host port, naming the agents (up to three) and the cause. */
function explainPort(view: PortView, open: readonly number[], port: number): string {
  const byCause = new Map<PortHolder, number[]>();
  for (const i of open) {
    const cause = portHolder(view, i, port) as PortHolder;
    byCause.set(cause, [...(byCause.get(cause) ?? []), i]);
  }
  const name = (indexes: readonly number[]) => {
    const names = indexes.slice(0, 3).map((i) => (view.agents[i] as AgentCapacity).hostname);
    return indexes.length > 3 ? `${names.join(", ")} and ${indexes.length - 3} more` : names.join(", ");
  };
  const parts: string[] = [];
  for (const i of (byCause.get("not-offered") ?? []).slice(0, 3)) {
    const agent = view.agents[i] as AgentCapacity;
    parts.push(`port ${port} is not among the ports agent ${agent.hostname} offers (its ranges are ${formatRanges(agent.portRanges ?? [])})`);
  }
  const notOffered = byCause.get("not-offered")?.length ?? 0;
  if (notOffered > 3) parts.push(`nor on ${notOffered - 3} more agents`);
  const other = byCause.get("other");
  if (other) parts.push(`port ${port} is held by another task or app on ${name(other)}`);
  const old = byCause.get("old");
  if (old) parts.push(`port ${port} is held by this app's old instance on ${name(old)} until it stops`);
  const fresh = byCause.get("new");
  if (fresh) parts.push(`port ${port} is taken by a new instance already on ${name(fresh)}`);
  return parts.join("; ");
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? "" : "s"}`;
}

/** Names up to three hosts, then counts the rest: "on staging-1", "on a, b, c and 4 more agents". */
function hostList(hosts: readonly string[]): string {
  const distinct = [...new Set(hosts)];
  const named = distinct.slice(0, 3).join(", ");
  return distinct.length > 3 ? `on ${named} and ${distinct.length - 3} more agents` : `on ${named}`;
}

/** Words for the agents the app may use: "with type:staging", "with role slave_public". */
function describeWhere(constraints: readonly ParsedConstraint[], roles: readonly string[]): string {
  const parts = constraints.filter((c) => !isDynamic(c) && c.operator !== "GROUP_BY").map(describeConstraint);
  const reserved = roles.filter((r) => r !== "*");
  if (reserved.length > 0) parts.push(`role ${reserved.join(" or ")}`);
  return parts.length > 0 ? `one agent with ${parts.join(" and ")}` : "one agent";
}

/** Says what is missing for the next instance, in the words a person needs. */
function explainShortfall(
  input: SimulationInput,
  eligible: readonly number[],
  pools: readonly (ResourceAmounts | undefined)[],
  ports: PortView,
  dynamic: readonly ParsedConstraint[],
  counts: readonly Map<string, number>[],
): string {
  const { agents, need } = input;
  const where = describeWhere(input.constraints, input.roles);
  if (eligible.length === 0) {
    return `needs ${where}; none of the ${agents.length} active agents matches`;
  }
  const open = eligible.filter((i) => dynamic.every((c, k) => dynamicallyAllows(c, agents[i] as AgentCapacity, counts[k] as Map<string, number>)));
  if (open.length === 0) {
    const rules = dynamic.map(describeConstraint).join(" and ");
    return `${rules} allows no more instances on the ${eligible.length} agent${eligible.length === 1 ? "" : "s"} that match (${eligible.length === 1 ? "it runs" : "each runs"} one already); needs one more agent`;
  }
  const kinds: ResourceKind[] = ["mem", "cpus", "disk", "ports"];
  const short: string[] = [];
  for (const kind of kinds) {
    if (need[kind] <= 0) continue;
    let largest = -Infinity;
    for (const i of open) largest = Math.max(largest, (pools[i] as ResourceAmounts)[kind]);
    if (largest + EPSILON < need[kind]) short.push(`needs ${formatAmount(kind, need[kind])} more on ${where}; the largest free is ${formatAmount(kind, Math.max(0, largest))}`);
  }
  if (short.length > 0) return short.join("; ");
  for (const port of input.fixedPorts) {
    if (open.every((i) => portHolder(ports, i, port) !== undefined)) return `needs host port ${port} free on ${where}: ${explainPort(ports, open, port)}`;
  }
  const asked = kinds.filter((k) => need[k] > 0).map((k) => formatAmount(k, need[k])).join(", ");
  return `needs ${asked} together on ${where}; no agent has all of them free at once`;
}
