/**
 * The capacity-aware upgrade planner: from a snapshot of free Mesos capacity,
 * the running app and the definition about to be sent, decide which
 * upgradeStrategy can carry the deployment, whether it can finish at all, and
 * what it will look like. Pure: the same inputs always give the same plan.
 *
 * Under `auto`, minimumHealthCapacity stays as high as the capacity allows and is
 * lowered only as far as progress needs (the original cluster's trap: two 300 MB
 * instances never fit a 497 MB agent, so the default 1/1 hangs forever).
 */
import { UsageError } from "../errors.js";
import { isTaskHealthy } from "../core/task-health.js";
import type { AppDefinition, AppStatus, Task, UpgradeStrategy } from "../marathon/types.js";
import { formatRanges } from "./free-resources.js";
import { instanceNeeds, type InstanceNeeds } from "./app-resources.js";
import { describeConstraint, parseConstraint, staticallyAllows, type ParsedConstraint } from "./constraints.js";
import { formatAmount } from "./format-amounts.js";
import { changesNeedRestart, diffApps } from "./diff-app.js";
import { lintTraps } from "./lint-app.js";
import { mesosCheckFix, restartRuleFor, type RestartRule } from "./restart-rule.js";
import { simulateUpgrade, type OldInstance, type SimulationInput, type SimulationResult } from "./simulate-upgrade.js";
import type { AgentCapacity, ClusterSnapshot, PlanKind, StrategyMode, StrategySource, UpgradePlan } from "./types.js";
import { isLiveTask } from "../core/task-states.js";

/** Marathon's default upgradeStrategy for non-resident apps. */
const MARATHON_DEFAULT_STRATEGY: UpgradeStrategy = { minimumHealthCapacity: 1, maximumOverCapacity: 1 };

/** The `instances` value that means "one per eligible agent" (Traefik on every node). */
const PER_AGENT = "per-agent";

export interface PlanUpgradeInput {
  cluster: ClusterSnapshot;
  /** The app as Marathon has it now; undefined when it does not exist yet. */
  running?: AppStatus;
  /** The definition to deploy; `instances` may be "per-agent". */
  target: AppDefinition;
  /** `auto` (default): capacity-aware unless the template states its own; `template`: the template's or Marathon's default, checked. */
  mode?: StrategyMode;
  /**
   * The environment's floor (`minHealthy` in mdeploy.yml): the fewest healthy instances
   * an upgrade may leave, as a count (an integer, 1 or more) or a share of the new
   * instance count (a fraction between 0 and 1, rounded up). No plan goes below it.
   */
  minHealthy?: number;
  /**
   * Marathon's version as `GET /v2/info` reports it: it decides which old instances a
   * restart counts before its immediate kills. Undefined when unknown: the stricter
   * 1.10+ rule is assumed, and the plan says so.
   */
  marathonVersion?: string;
}

/** Plans one deploy. The returned plan's `strategy` is what the PUT must carry. */
export function planUpgrade(input: PlanUpgradeInput): UpgradePlan {
  const { cluster, running } = input;
  const mode = input.mode ?? "auto";
  const constraints = (input.target.constraints ?? []).map(parseConstraint);
  const roles = input.target.acceptedResourceRoles?.length ? input.target.acceptedResourceRoles : ["*"];
  const { app: target, perAgent } = resolveInstances(input.target, cluster);
  const n = target.instances ?? 1;
  const from = running ? (running.instances ?? 1) : 0;
  const explicit = input.target.upgradeStrategy ? { ...MARATHON_DEFAULT_STRATEGY, ...input.target.upgradeStrategy } : undefined;
  const kind = planKind(running, target, explicit);
  const rule = running ? restartRuleFor(input.marathonVersion, running) : undefined;

  const needs = instanceNeeds(target);
  const oldNeeds = running ? instanceNeeds(running) : { resources: { cpus: 0, mem: 0, disk: 0, ports: 0 }, fixedPorts: [] };
  const base: Omit<SimulationInput, "strategy"> = {
    agents: cluster.agents,
    constraints,
    roles,
    need: needs.resources,
    fixedPorts: needs.fixedPorts,
    oldNeed: oldNeeds.resources,
    oldFixedPorts: oldNeeds.fixedPorts,
    old: running ? oldInstances(running, cluster.agents, rule?.counts ?? "all") : [],
    instances: n,
    kind: kind === "restart" ? "restart" : kind === "create" ? "start" : "scale",
    killSelection: target.killSelection,
  };
  const eligibleAgents = cluster.agents.filter((a) => a.active && constraints.every((c) => staticallyAllows(c, a)));
  const warnings = lintTraps(target, n, eligibleAgents, constraints, needs.fixedPorts, kind);
  const simulate = (strategy: UpgradeStrategy) => simulateUpgrade({ ...base, strategy });

  const common: Common = { appId: target.id, kind, instances: { from, to: n }, warnings, ...(kind === "restart" && rule ? { restartRule: rule.words } : {}) };
  const floor = input.minHealthy === undefined ? undefined : floorCount(input.minHealthy, n);

  if (perAgent && perAgent.count === 0) {
    // Zero copies is never what "one per agent" meant: refuse, saying why each agent is out.
    const problem = `cannot run ${target.id} per agent: no active agent can host it${perAgent.excluded.length > 0 ? ` (${perAgent.excluded.slice(0, 5).join("; ")}${perAgent.excluded.length > 5 ? `; ${perAgent.excluded.length - 5} more` : ""})` : ""}`;
    const strategy = explicit ?? running?.upgradeStrategy ?? MARATHON_DEFAULT_STRATEGY;
    const empty: SimulationResult = { completed: false, steps: [], minHealthy: 0, peak: { instances: from, cpus: 0, mem: 0, disk: 0 }, shortfall: problem };
    return refusedPlan(common, strategy, explicit ? "template" : "marathon-default", empty, problem, "offer the app's host ports and resources on the agents meant to run it, or change its constraints");
  }

  if (kind === "unchanged" || kind === "scale" || kind === "create") {
    // Start and scale steps ignore the strategy; keep what is there so no restart is triggered.
    // A new per-agent app gets the one-node-at-a-time strategy its later upgrades need
    // (see perAgentStrategy), so a change made outside mdeploy does not hang on 1/1.
    const firstPerAgent = kind === "create" && perAgent && !explicit && mode === "auto" ? perAgentStrategy(n) : undefined;
    const strategy = explicit ?? firstPerAgent ?? running?.upgradeStrategy ?? MARATHON_DEFAULT_STRATEGY;
    const source: StrategySource = explicit ? "template" : mode === "auto" && (firstPerAgent || running?.upgradeStrategy) ? "auto" : "marathon-default";
    const result = kind === "unchanged" ? undefined : simulate(strategy);
    const feasible = result?.completed ?? true;
    return {
      ...common,
      strategy,
      strategySource: source,
      feasible,
      zeroDowntime: kind === "create" || (result ? result.minHealthy > 0 || n === 0 : from > 0),
      minHealthy: result?.minHealthy ?? from,
      verdict: feasible ? simpleVerdict(kind, from, n) : `cannot ${kind === "create" ? "start" : "scale"} ${target.id}: ${result?.shortfall ?? "no capacity"}`,
      reasons: feasible ? [] : [result?.shortfall ?? "no capacity"],
      ...(feasible ? {} : { shortfall: result?.shortfall ?? "no capacity" }),
      steps: result?.steps ?? [],
      peak: result?.peak ?? { instances: from, cpus: 0, mem: 0, disk: 0 },
    };
  }

  if (floor !== undefined && floor > n) {
    const problem = `the environment's floor of ${floor} healthy instance${floor === 1 ? "" : "s"} (minHealthy ${input.minHealthy}) is more than the ${n} instance${n === 1 ? "" : "s"} ${target.id} will have`;
    const strategy = explicit ?? MARATHON_DEFAULT_STRATEGY;
    return refusedPlan(common, strategy, explicit ? "template" : "marathon-default", simulate(strategy), problem, "lower minHealthy for this environment or raise instances", problem);
  }

  if (explicit || mode === "template") {
    const strategy = explicit ?? MARATHON_DEFAULT_STRATEGY;
    const source: StrategySource = explicit ? "template" : "marathon-default";
    const result = simulate(strategy);
    const keeps = guaranteedHealthy(strategy, n, result);
    if (result.completed && floor !== undefined && keeps < floor) {
      const shortfall = belowFloorWords(strategy, keeps, n, floor, input.minHealthy as number);
      return refusedPlan(common, strategy, source, result, shortfall, `set minimumHealthCapacity to at least ${capacityFor(floor, n)} in the template, or use --strategy auto`, shortfall);
    }
    if (result.completed) return restartPlan(common, strategy, source, result, []);
    if (rule?.counts === "none") return refusedUncounted(common, strategy, source, result, rule, explicit ? "raise maximumOverCapacity in the template" : "use --strategy auto");
    const alternative = chooseAuto(n, strategy.maximumOverCapacity, simulate);
    const hint = alternative
      ? `minimumHealthCapacity ${alternative.strategy.minimumHealthCapacity} would fit (${keepsWords(alternative.result.minHealthy, n)}): ${explicit ? "remove upgradeStrategy from the template or set it" : "use --strategy auto"}`
      : "no upgradeStrategy fits: free capacity or change the app's resources or constraints";
    return refusedPlan(common, strategy, explicit ? "template" : "marathon-default", result, `upgradeStrategy ${strategyWords(strategy)} cannot finish: ${result.shortfall ?? "no capacity"}`, hint);
  }

  // One copy per agent leaves no agent for an extra copy: a surge only queues instances that cannot be placed.
  const keepAll = { minimumHealthCapacity: 1, maximumOverCapacity: perAgent ? 0 : MARATHON_DEFAULT_STRATEGY.maximumOverCapacity };
  const full = simulate(keepAll);
  if (full.completed) return restartPlan(common, keepAll, "auto", full, []);
  if (rule?.counts === "none") {
    // No old instance stops before a new one is healthy, whatever minimumHealthCapacity says:
    // only room for a new instance beside the old ones moves the upgrade (one is enough).
    const surge = { minimumHealthCapacity: 1, maximumOverCapacity: overCapacityFor(1, n) };
    const tried = keepAll.maximumOverCapacity >= surge.maximumOverCapacity ? keepAll : surge;
    const withSurge = tried === keepAll ? full : simulate(surge);
    if (!withSurge.completed) return refusedUncounted(common, tried, "auto", withSurge, rule);
    return restartPlan(common, surge, "auto", withSurge, [`maximumOverCapacity raised to ${surge.maximumOverCapacity}: ${rule.words}, so a new instance must start beside the old ones before one of them stops`], false);
  }
  const chosen = chooseAuto(n, keepAll.maximumOverCapacity, simulate);
  if (floor !== undefined && (!chosen || guaranteedHealthy(chosen.strategy, n, chosen.result) < floor)) {
    // The floor decides, not the bare possibility of progress: say what keeping it would need.
    const atFloor = { minimumHealthCapacity: capacityFor(floor, n), maximumOverCapacity: keepAll.maximumOverCapacity };
    const tried = simulate(atFloor);
    const most = chosen ? guaranteedHealthy(chosen.strategy, n, chosen.result) : 0;
    const shortfall = `keeping ${floor} of ${n} healthy (the environment's floor, minHealthy ${input.minHealthy}) ${tried.shortfall ?? "does not fit"}; ${chosen ? `the most the cluster allows is ${most}` : "the upgrade cannot progress at all"}`;
    return refusedPlan(common, atFloor, "auto", tried, `cannot upgrade ${target.id} without going below ${floor} healthy: ${shortfall}`, "free capacity on a matching agent, lower the app's resources, or lower minHealthy for this environment", shortfall);
  }
  if (!chosen) {
    const lowest = simulate({ minimumHealthCapacity: 0, maximumOverCapacity: keepAll.maximumOverCapacity });
    return refusedPlan(common, lowest.completed ? keepAll : { minimumHealthCapacity: 0, maximumOverCapacity: keepAll.maximumOverCapacity }, "auto", lowest, `cannot upgrade ${target.id} even one instance at a time: ${lowest.shortfall ?? "no capacity"}`, "free capacity on a matching agent or lower the app's resources");
  }
  const { strategy, result } = chosen;
  const why = `keeping all ${n} instance${n === 1 ? "" : "s"} up ${full.shortfall ?? "does not fit"}`;
  const reasons = [
    result.minHealthy === 0 ? `zero-downtime was not possible: ${why}` : `keeping every instance up was not possible: ${why}`,
    `minimumHealthCapacity lowered to ${strategy.minimumHealthCapacity}: ${keepsWords(result.minHealthy, n)}`,
  ];
  return restartPlan(common, strategy, "auto", result, reasons);
}

type Common = Pick<UpgradePlan, "appId" | "kind" | "instances" | "warnings" | "restartRule">;

/**
 * The refusal when the old instances do not count for immediate kills (Marathon 1.10+,
 * Marathon-run checks) and no new instance can start beside them: one line with the
 * cause and the fixes. `strategyFix` names the strategy change when the strategy, not
 * the room, is what starts nothing.
 */
function refusedUncounted(common: Common, strategy: UpgradeStrategy, source: StrategySource, result: SimulationResult, rule: RestartRule, strategyFix?: string): UpgradePlan {
  const n = common.instances.to;
  const cause = `${rule.words}, so none stops before a new one is healthy`;
  const startsNone = startsNothing(strategy, n, common.instances.from);
  const why = startsNone ? `upgradeStrategy ${strategyWords(strategy)} starts no new instance beside them` : `there is no room for one more instance (${result.shortfall ?? "no capacity"})`;
  const fixes = [
    startsNone ? `${strategyFix ?? "raise maximumOverCapacity"} (maximumOverCapacity ${overCapacityFor(1, n)} starts one more)` : "free capacity for one more instance",
    `${mesosCheckFix(rule)} (counted from the upgrade after the one that installs ${rule.marathonChecks.includes("readiness") && rule.marathonChecks.length === 1 ? "it" : "them"})`,
    `or scale ${common.appId} to ${n - 1} instance${n - 1 === 1 ? "" : "s"} first${n === 1 ? " (downtime)" : ""}`,
  ];
  const problem = `cannot upgrade ${common.appId}: ${cause}, and ${why}; fix: ${fixes.join(", ")}`;
  return refusedPlan(common, strategy, source, result, problem, `fix: ${fixes.join("; ")}`, why);
}

/**
 * True when a restart that stops nothing first (R = 0) may launch nothing either: at most
 * floor(n x (1 + maximumOverCapacity)) run, and the old instances (down to n, as a
 * shrinking app's surplus is killed at once) hold every slot until one stops.
 */
function startsNothing(strategy: UpgradeStrategy, n: number, from: number): boolean {
  return Math.floor(n * (1 + strategy.maximumOverCapacity)) <= Math.min(from, n);
}

/** The smallest short decimal m with floor(n x (1 + m)) >= n + k, as Marathon computes it (floating point). */
export function overCapacityFor(k: number, n: number): number {
  if (k <= 0 || n <= 0) return 0;
  let m = Math.ceil((k / n) * 1e4) / 1e4;
  for (let i = 0; i < 20 && Math.floor(n * (1 + m)) < n + k; i++) m = Math.round((m + 1e-4) * 1e4) / 1e4;
  return m;
}

/** `lowered`: the reasons say why capacity was given up (the verdict then says so too). */
function restartPlan(common: Common, strategy: UpgradeStrategy, source: StrategySource, result: SimulationResult, reasons: string[], lowered = reasons.length > 0): UpgradePlan {
  const n = common.instances.to;
  const zeroDowntime = result.minHealthy > 0 || n === 0;
  const verdict =
    !lowered
      ? `rolling upgrade with ${strategyWords(strategy)}: fits; ${keepsWords(result.minHealthy, n)}`
      : `${zeroDowntime ? "rolling upgrade with lowered capacity" : "upgrade with downtime"}: ${strategyWords(strategy)}; ${keepsWords(result.minHealthy, n)}`;
  return { ...common, strategy, strategySource: source, feasible: true, zeroDowntime, minHealthy: result.minHealthy, verdict, reasons, steps: result.steps, peak: result.peak };
}

function refusedPlan(common: Common, strategy: UpgradeStrategy, source: StrategySource, result: SimulationResult, problem: string, hint: string, shortfall?: string): UpgradePlan {
  return {
    ...common,
    strategy,
    strategySource: source,
    feasible: false,
    zeroDowntime: false,
    minHealthy: result.minHealthy,
    verdict: problem,
    reasons: [problem, hint],
    shortfall: shortfall ?? result.shortfall ?? "no capacity",
    steps: result.steps,
    peak: result.peak,
  };
}

/**
 * The highest minimum-healthy count (below all N) with which the upgrade finishes.
 * Lowering it only ever frees more room, so a binary search over 0..N-1 finds it
 * in log N simulations, which keeps 2,000-instance plans fast.
 */
function chooseAuto(n: number, maximumOverCapacity: number, simulate: (s: UpgradeStrategy) => SimulationResult): { strategy: UpgradeStrategy; result: SimulationResult } | undefined {
  const at = (k: number) => {
    const strategy = { minimumHealthCapacity: capacityFor(k, n), maximumOverCapacity };
    return { strategy, result: simulate(strategy) };
  };
  // One at a time is the usual answer when a surge does not fit: try it first.
  if (n > 1) {
    const oneDown = at(n - 1);
    if (oneDown.result.completed) return oneDown;
  }
  const bottom = at(0);
  if (!bottom.result.completed) return undefined;
  let best = bottom;
  let lo = 0;
  let hi = Math.max(1, n - 1);
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    const attempt = at(mid);
    if (attempt.result.completed) {
      lo = mid;
      best = attempt;
    } else hi = mid;
  }
  return best;
}

/**
 * The floor as a count of healthy instances for an app of `n`: an integer is a
 * count, a fraction between 0 and 1 a share of `n` rounded up (0.5 of 3 is 2).
 */
export function floorCount(minHealthy: number, n: number): number {
  return minHealthy > 0 && minHealthy < 1 ? Math.ceil(n * minHealthy - 1e-9) : minHealthy;
}

/** The fewest healthy instances an upgrade may leave: what Marathon is allowed to go down to, or less if the prediction says so. */
function guaranteedHealthy(strategy: UpgradeStrategy, n: number, result: SimulationResult): number {
  return Math.min(Math.ceil(n * strategy.minimumHealthCapacity), result.minHealthy);
}

/**
 * The strategy for an app with one instance per agent: every eligible agent already
 * runs a copy, so a new copy can only take the node of an old one that stopped.
 * Keeping N-1 up with no surge replaces one node at a time ({0, 0} would stop all).
 */
function perAgentStrategy(n: number): UpgradeStrategy {
  return { minimumHealthCapacity: capacityFor(Math.max(0, n - 1), n), maximumOverCapacity: 0 };
}

/** The smallest short decimal m with ceil(n * m) === k, computed as Marathon computes it (floating point). */
export function capacityFor(k: number, n: number): number {
  if (k <= 0 || n <= 0) return 0;
  if (k >= n) return 1;
  let m = Math.floor((k / n) * 1e4) / 1e4;
  for (let i = 0; i < 20 && Math.ceil(n * m) < k; i++) m = Math.round((m + 1e-4) * 1e4) / 1e4;
  // Floating point: 25 x 0.28 is 7.000000000000001, which Marathon rounds up to 8.
  for (let i = 0; i < 20 && Math.ceil(n * m) > k; i++) m = Math.round((m - 1e-4) * 1e4) / 1e4;
  if (Math.ceil(n * m) !== k) m = Math.floor((k / n) * 1e9) / 1e9;
  for (let i = 0; i < 20 && Math.ceil(n * m) < k; i++) m += 1e-9;
  return m;
}

function resolveInstances(app: AppDefinition, cluster: ClusterSnapshot): { app: AppDefinition; perAgent?: PerAgentCount } {
  const value: unknown = app.instances;
  if (value !== PER_AGENT) return { app };
  const perAgent = perAgentCount(app, cluster);
  return { app: { ...app, instances: perAgent.count }, perAgent };
}

/** The agents an `instances: "per-agent"` app can run on, and why each other active agent cannot. */
export interface PerAgentCount {
  count: number;
  /** One sentence per active agent left out (constraints, roles, ports it does not offer, too small). */
  excluded: string[];
}

/**
 * How many agents an `instances: "per-agent"` app runs on: active agents its
 * constraints and roles allow, that offer its fixed host ports at all, and whose
 * total (not free) cpus, mem and disk hold one instance. What is merely in use
 * now is the upgrade's business, not a reason to run fewer copies.
 */
export function perAgentCount(app: AppDefinition, cluster: ClusterSnapshot): PerAgentCount {
  const constraints: ParsedConstraint[] = (app.constraints ?? []).map(parseConstraint);
  const roles = app.acceptedResourceRoles?.length ? app.acceptedResourceRoles : ["*"];
  const needs = instanceNeeds(app);
  const excluded: string[] = [];
  let count = 0;
  for (const agent of cluster.agents) {
    if (!agent.active) continue;
    const why = whyNotHost(agent, constraints, roles, needs);
    if (why === undefined) count++;
    else excluded.push(why);
  }
  return { count, excluded };
}

/** How many agents an `instances: "per-agent"` app runs on (see perAgentCount). */
export function countPerAgent(app: AppDefinition, cluster: ClusterSnapshot): number {
  return perAgentCount(app, cluster).count;
}

function whyNotHost(agent: AgentCapacity, constraints: readonly ParsedConstraint[], roles: readonly string[], needs: InstanceNeeds): string | undefined {
  const refusing = constraints.find((c) => !staticallyAllows(c, agent));
  if (refusing) return `agent ${agent.hostname} does not match ${describeConstraint(refusing)}`;
  if (!roles.some((r) => r === "*" || agent.reserved?.[r])) return `agent ${agent.hostname} has no resources for role ${roles.join(" or ")}`;
  const ranges = agent.portRanges;
  const missing = ranges ? needs.fixedPorts.filter((p) => !ranges.some(([lo, hi]) => p >= lo && p <= hi)) : [];
  if (ranges && missing.length > 0) {
    return `port${missing.length === 1 ? "" : "s"} ${missing.join(", ")} ${missing.length === 1 ? "is" : "are"} not among the ports agent ${agent.hostname} offers (its ranges are ${formatRanges(ranges)})`;
  }
  const small = (["cpus", "mem", "disk"] as const).filter((k) => agent.total[k] + 1e-9 < needs.resources[k]);
  if (small.length > 0) return `agent ${agent.hostname} is too small for one instance (${small.map((k) => `${formatAmount(k, needs.resources[k])} needed, ${formatAmount(k, agent.total[k])} in all`).join("; ")})`;
  return undefined;
}

/**
 * What Marathon will do with the PUT: start, scale, restart, or nothing. A
 * strategy the template states and the running app lacks is a change of
 * definition, so Marathon restarts for it (`isUpgrade`).
 */
function planKind(running: AppStatus | undefined, target: AppDefinition, explicit: UpgradeStrategy | undefined): PlanKind {
  if (!running) return "create";
  const changes = diffApps(running, target);
  if (changesNeedRestart(changes)) return "restart";
  const current = running.upgradeStrategy ?? MARATHON_DEFAULT_STRATEGY;
  if (explicit && (explicit.minimumHealthCapacity !== current.minimumHealthCapacity || explicit.maximumOverCapacity !== current.maximumOverCapacity)) return "restart";
  return (running.instances ?? 1) !== (target.instances ?? 1) ? "scale" : "unchanged";
}

function oldInstances(running: AppStatus, agents: readonly AgentCapacity[], counts: RestartRule["counts"]): OldInstance[] {
  // A task being killed still holds its resources until it is gone, so it counts as an old instance to stop.
  const active = (running.tasks ?? []).filter(isLiveTask);
  if (!running.tasks) return Array.from({ length: running.tasksRunning ?? 0 }, () => ({ agent: -1, counted: counts !== "none" }));
  // Indexes, not searches: 2,000 tasks over 10,000 agents would otherwise cost 20 million comparisons.
  const byId = new Map<string, number>();
  const byHost = new Map<string, number>();
  agents.forEach((a, i) => {
    byId.set(a.id, i);
    if (!byHost.has(a.hostname)) byHost.set(a.hostname, i);
  });
  return active.map((task) => {
    const agent = (task.slaveId !== undefined ? byId.get(task.slaveId) : undefined) ?? byHost.get(task.host) ?? -1;
    const healthy = isTaskHealthy(running, task);
    // Marathon kills a task whose checks keep failing (unless maxConsecutiveFailures is 0); one still in its grace period stays.
    const failing = !healthy && willBeKilledForHealth(running, task);
    return { agent, startedAt: task.startedAt, healthy, failing, counted: counts === "all" || (counts === "healthy" && healthy) };
  });
}

function willBeKilledForHealth(app: AppStatus, task: Task): boolean {
  const checks = app.healthChecks ?? [];
  if (checks.length === 0 || checks.every((c) => c.maxConsecutiveFailures === 0)) return false;
  return (task.healthCheckResults ?? []).some((r) => !r.alive && r.consecutiveFailures > 0);
}

function simpleVerdict(kind: PlanKind, from: number, n: number): string {
  if (kind === "unchanged") return "no changes: Marathon will report success at once";
  if (kind === "create") return `new app: start ${n} instance${n === 1 ? "" : "s"}; fits`;
  return `scale from ${from} to ${n} instance${n === 1 ? "" : "s"}; fits`;
}

function strategyWords(s: UpgradeStrategy): string {
  return `minimumHealthCapacity ${s.minimumHealthCapacity}, maximumOverCapacity ${s.maximumOverCapacity}`;
}

function keepsWords(minHealthy: number, n: number): string {
  if (n === 0) return "scales to zero";
  if (minHealthy >= n) return `all ${n} stay healthy throughout`;
  if (minHealthy === 0) return n === 1 ? "the old instance stops before the new one starts, so the app is down until the new one is healthy" : `all ${n} old instances may be down before new ones are healthy`;
  return `at least ${minHealthy} of ${n} stay healthy throughout`;
}

/**
 * The plan when Mesos cannot be asked (no MESOS_URL): the template's strategy
 * (else the running app's, else Marathon's default) goes unchecked, and the plan
 * says so rather than guessing.
 */
export function planWithoutCapacity(running: AppStatus | undefined, target: AppDefinition, minHealthy?: number, marathonVersion?: string): UpgradePlan {
  if ((target.instances as unknown) === PER_AGENT) {
    throw new UsageError('instances "per-agent" needs the Mesos agents: set MESOS_URL (or mesos.url in the config)');
  }
  const explicit = target.upgradeStrategy ? { ...MARATHON_DEFAULT_STRATEGY, ...target.upgradeStrategy } : undefined;
  const kind = planKind(running, target, explicit);
  const strategy = explicit ?? running?.upgradeStrategy ?? MARATHON_DEFAULT_STRATEGY;
  const n = target.instances ?? 1;
  const from = running ? (running.instances ?? 1) : 0;
  const allowed = Math.ceil(n * strategy.minimumHealthCapacity);
  const plan: UpgradePlan = {
    appId: target.id,
    kind,
    instances: { from, to: n },
    strategy,
    strategySource: explicit ? "template" : running?.upgradeStrategy ? "auto" : "marathon-default",
    feasible: true,
    zeroDowntime: allowed > 0 || from === 0,
    minHealthy: kind === "restart" ? Math.min(from, allowed) : from,
    verdict: `${kind === "unchanged" ? "no changes" : kind}: capacity not checked (no Mesos URL); upgradeStrategy ${strategy.minimumHealthCapacity}/${strategy.maximumOverCapacity} sent as is`,
    reasons: ["capacity not checked: set MESOS_URL so mdeploy can tell whether the upgrade can progress"],
    steps: [],
    peak: { instances: from + n, cpus: 0, mem: 0, disk: 0 },
    warnings: [],
  };
  const rule = running && kind === "restart" ? restartRuleFor(marathonVersion, running) : undefined;
  if (rule) plan.restartRule = rule.words;
  if (rule?.counts === "none" && startsNothing(strategy, n, from)) {
    // Whatever the capacity: nothing stops first and nothing may start, so the restart never begins.
    const stuck: SimulationResult = { completed: false, steps: [], minHealthy: from, peak: plan.peak };
    const fix = explicit ? "raise maximumOverCapacity in the template" : "give the template an upgradeStrategy with maximumOverCapacity above 0 (or set MESOS_URL so mdeploy plans one)";
    return refusedUncounted(plan, strategy, plan.strategySource, stuck, rule, fix);
  }
  // Without capacity only Marathon's promise can be checked against the floor: ceil(n x minimumHealthCapacity).
  const floor = minHealthy === undefined || kind !== "restart" ? undefined : floorCount(minHealthy, n);
  if (floor === undefined || allowed >= floor) return plan;
  const shortfall = belowFloorWords(strategy, allowed, n, floor, minHealthy as number);
  const hint = `set minimumHealthCapacity to at least ${capacityFor(floor, n)} in the template (capacity not checked: no Mesos URL)`;
  return { ...plan, feasible: false, minHealthy: allowed, verdict: shortfall, reasons: [shortfall, hint], shortfall };
}

/** "upgradeStrategy ... may leave 1 of 3 healthy, 1 below the environment's floor of 2 (minHealthy 2)". */
function belowFloorWords(strategy: UpgradeStrategy, keeps: number, n: number, floor: number, minHealthy: number): string {
  return `upgradeStrategy ${strategyWords(strategy)} may leave ${keeps} of ${n} healthy, ${floor - keeps} below the environment's floor of ${floor} (minHealthy ${minHealthy})`;
}
