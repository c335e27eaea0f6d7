import type { AppDefinition, DeploymentActionName, ReadinessCheckResult } from "../marathon/types.js";
import type { RestartCounts } from "./cluster-spec.js";
import { consideredHealthy, countsHealthy, hasHealthChecks, isActive, readinessJson, type Instance } from "./instance.js";
import { isResident } from "./resident.js";
import { computeRestartStrategy, restartLaunchCount } from "./restart-strategy.js";

/** What a step needs from the engine: the app's instances and the two levers, launch and kill. */
export interface StepHost {
  instancesOf(appId: string): Iterable<Instance>;
  definitionOf(appId: string): AppDefinition | undefined;
  pendingOf(appId: string): number;
  setPending(appId: string, count: number): void;
  enqueue(appId: string, count: number): void;
  kill(instance: Instance, reason: string): void;
  /** Which instances a restart counts before its immediate kills. */
  readonly restartCounts: RestartCounts;
  resetBackoff(appId: string): void;
  removeApp(appId: string): void;
}

/** One action of a deployment step, driven until done. */
export interface StepController {
  readonly action: DeploymentActionName;
  readonly appId: string;
  start(): void;
  /** Reacts to what changed and says whether the action is complete. */
  check(): boolean;
  readiness(): ReadinessCheckResult[];
}

/** Goal-running, not terminal. */
function running(host: StepHost, appId: string): Instance[] {
  const out: Instance[] = [];
  for (const i of host.instancesOf(appId)) if (isActive(i) && i.goal === "running") out.push(i);
  return out;
}

function healthyAndReady(i: Instance): boolean {
  return countsHealthy(i) && i.ready;
}

/**
 * Order in which Marathon picks instances to kill: not-yet-running and unhealthy
 * ones first (1.10+), then by `killSelection` (YOUNGEST_FIRST by default).
 */
function killOrder(instances: Instance[], killSelection: string | undefined): Instance[] {
  const youngestFirst = killSelection !== "OLDEST_FIRST";
  return [...instances].sort((a, b) => {
    const ha = countsHealthy(a) ? 1 : 0;
    const hb = countsHealthy(b) ? 1 : 0;
    if (ha !== hb) return ha - hb;
    const d = youngestFirst ? b.stagedAt - a.stagedAt : a.stagedAt - b.stagedAt;
    return d !== 0 ? d : a.instanceId.localeCompare(b.instanceId);
  });
}

function readinessOf(instances: Iterable<Instance>): ReadinessCheckResult[] {
  const out: ReadinessCheckResult[] = [];
  for (const i of instances) if (isActive(i) && (i.def.readinessChecks?.length ?? 0) > 0 && !i.ready) out.push(...readinessJson(i));
  return out;
}

/** R of `computeRestartStrategy`: the instances a restart counts before its immediate kills. */
function countForRestart(live: Instance[], def: AppDefinition, rule: RestartCounts): number {
  switch (rule) {
    case "active":
      return live.length;
    case "mesos-health":
      return live.filter(consideredHealthy).length;
    case "any-health":
      return hasHealthChecks(def) ? live.filter(countsHealthy).length : live.length;
  }
}

/** StartApplication: the app exists with no instances yet; ScaleApplication follows. */
export class StartStep implements StepController {
  readonly action = "StartApplication" as const;
  constructor(readonly appId: string) {}
  start(): void {}
  check(): boolean {
    return true;
  }
  readiness(): ReadinessCheckResult[] {
    return [];
  }
}

/**
 * ScaleApplication (TaskStartActor / scale-down): launch up to N and wait until N
 * are healthy and ready, or kill the surplus and wait until it is gone.
 */
export class ScaleStep implements StepController {
  readonly action = "ScaleApplication" as const;
  constructor(
    private readonly host: StepHost,
    readonly appId: string,
    private readonly target: number,
  ) {}

  start(): void {
    this.host.setPending(this.appId, 0);
    const live = running(this.host, this.appId);
    const def = this.host.definitionOf(this.appId);
    if (live.length > this.target) {
      for (const i of killOrder(live, def?.killSelection).slice(0, live.length - this.target)) this.host.kill(i, "ScalingApp");
    } else if (live.length < this.target) {
      this.host.enqueue(this.appId, this.target - live.length);
    }
  }

  check(): boolean {
    // Failed instances are relaunched by the engine (with backoff), not here.
    const live = running(this.host, this.appId);
    const stopping = [...this.host.instancesOf(this.appId)].some((i) => isActive(i) && i.goal === "stopped" && !i.replacing);
    return !stopping && live.length === this.target && live.every(healthyAndReady);
  }

  readiness(): ReadinessCheckResult[] {
    return readinessOf(this.host.instancesOf(this.appId));
  }
}

/**
 * RestartApplication, exactly as notes/marathon-semantics.md section 1 gives
 * TaskReplaceActor: kill `killNow` old instances, queue new ones up to the launch
 * limit, kill one old instance per new one that is healthy and ready, and queue
 * again whenever an old one is gone.
 */
export class RestartStep implements StepController {
  readonly action = "RestartApplication" as const;
  private maxCapacity = 0;
  private readonly credited = new Set<string>();

  constructor(
    private readonly host: StepHost,
    readonly appId: string,
  ) {}

  private get def(): AppDefinition {
    const def = this.host.definitionOf(this.appId);
    if (!def) throw new Error(`restart of unknown app ${this.appId}`);
    return def;
  }

  private isNew(i: Instance): boolean {
    return i.configVersion === (this.def.versionInfo?.lastConfigChangeAt ?? this.def.version);
  }

  start(): void {
    const def = this.def;
    const n = def.instances ?? 1;
    this.host.setPending(this.appId, 0);
    this.host.resetBackoff(this.appId);
    const live = running(this.host, this.appId);
    const considered = countForRestart(live, def, this.host.restartCounts);
    const strategy = computeRestartStrategy({
      newInstances: n,
      minimumHealthCapacity: def.upgradeStrategy?.minimumHealthCapacity ?? 1,
      maximumOverCapacity: def.upgradeStrategy?.maximumOverCapacity ?? 1,
      activeInstances: live.length,
      consideredInstances: considered,
      resident: isResident(def),
    });
    this.maxCapacity = strategy.maxCapacity;
    // New-version instances that are already healthy were counted in R: they free no old one.
    for (const i of live) if (this.isNew(i) && healthyAndReady(i)) this.credited.add(i.instanceId);
    const old = live.filter((i) => !this.isNew(i));
    for (const i of killOrder(old, def.killSelection).slice(0, strategy.killNow)) this.host.kill(i, "Upgrading");
    this.launch();
  }

  check(): boolean {
    const def = this.def;
    const n = def.instances ?? 1;
    const live = running(this.host, this.appId);
    const newlyReady = live.filter((i) => this.isNew(i) && !this.credited.has(i.instanceId) && healthyAndReady(i));
    if (newlyReady.length > 0) {
      // One old instance goes for each new one that became healthy and ready.
      const victims = killOrder(
        live.filter((o) => !this.isNew(o)),
        def.killSelection,
      );
      newlyReady.forEach((i, k) => {
        this.credited.add(i.instanceId);
        const victim = victims[k];
        if (victim) this.host.kill(victim, "Upgrading");
      });
    }
    this.launch();
    let oldActive = 0;
    let newReady = 0;
    for (const i of this.host.instancesOf(this.appId)) {
      if (!isActive(i)) continue;
      if (!this.isNew(i)) oldActive++;
      else if (i.goal === "running" && healthyAndReady(i)) newReady++;
    }
    return oldActive === 0 && newReady >= n;
  }

  private launch(): void {
    const n = this.def.instances ?? 1;
    let oldActive = 0;
    let newActive = 0;
    for (const i of this.host.instancesOf(this.appId)) {
      if (!isActive(i)) continue;
      if (!this.isNew(i)) oldActive++;
      // An instance killed for failing health is replaced by the engine: it still counts as started.
      else if (i.goal === "running" || i.replacing) newActive++;
    }
    const started = newActive + this.host.pendingOf(this.appId);
    const count = restartLaunchCount(n, this.maxCapacity, oldActive, started);
    if (count > 0) this.host.enqueue(this.appId, count);
  }

  readiness(): ReadinessCheckResult[] {
    return readinessOf(this.host.instancesOf(this.appId));
  }
}

/** StopApplication: kill every instance, then forget the app. */
export class StopStep implements StepController {
  readonly action = "StopApplication" as const;
  constructor(
    private readonly host: StepHost,
    readonly appId: string,
  ) {}

  start(): void {
    this.host.setPending(this.appId, 0);
    for (const i of running(this.host, this.appId)) this.host.kill(i, "DeletingApp");
  }

  check(): boolean {
    for (const i of this.host.instancesOf(this.appId)) if (isActive(i)) return false;
    this.host.removeApp(this.appId);
    return true;
  }

  readiness(): ReadinessCheckResult[] {
    return [];
  }
}
