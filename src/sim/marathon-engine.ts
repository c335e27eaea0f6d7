import type {
  AppDefinition,
  DeploymentActionName,
  DeploymentPlan,
  DeploymentStep,
  UncheckedMarathonEvent,
  OfferRejectReason,
} from "../marathon/types.js";
import { ConfigError } from "../errors.js";
import { isUpgrade, normalizeApp, readErrors, validationErrors } from "./app-definition.js";
import { restartCountsOf, type ClusterSpec, type RestartCounts } from "./cluster-spec.js";
import { newAppRecord, type AppRecord, type Reservation } from "./app-record.js";
import { AgentState } from "./cluster-state.js";
import { RestartStep, ScaleStep, StartStep, StopStep, type StepController, type StepHost } from "./deployment-steps.js";
import { EventBus } from "./event-bus.js";
import { ancestorsOf, dependencyEdges, longestPathLengths, type GroupRecord } from "./groups.js";
import { countsHealthy, isActive, iso, type Instance } from "./instance.js";
import { InstanceLifecycle, type LifecycleHost } from "./instance-lifecycle.js";
import { REJECT_REASON_ORDER } from "./offer-matching.js";
import { emptyOfferStats, runOfferRound } from "./offer-round.js";
import type { SeededRandom } from "./seeded-random.js";
import { Timeline } from "./timeline.js";
import type { TimerHandle, VirtualClock } from "./virtual-clock.js";

/** The whole tree at one root version (what group rollbacks and group versions read). */
export interface RootSnapshot {
  version: string;
  apps: Map<string, AppDefinition>;
  groups: Map<string, GroupRecord>;
}

/** How a change came in. */
export interface DeployOptions {
  /** The group the change was made through: group_change_success's `groupId` (default "/"). */
  groupId?: string;
  /** The group tree after the change (group API); default: today's tree plus the parents of new apps. */
  groups?: Map<string, GroupRecord>;
}

export interface DeploymentRecord {
  id: string;
  version: string;
  steps: DeploymentStep[];
  affectedApps: string[];
  /** 0-based index of the running step; -1 before the first. */
  stepIndex: number;
  controllers: StepController[];
  /** Definitions before the deployment, for a revert (undefined: the app did not exist). */
  original: Map<string, AppDefinition | undefined>;
  finished: boolean;
}

/** AppLockedException's message (Exception.scala), the body of Marathon's 409. */
const LOCKED_MESSAGE = "App is locked by one or more deployments. Override with the option '?force=true'. View details at '/v2/deployments/<DEPLOYMENT_ID>'.";

/** Kept per app and for the root group (Marathon's --zk_max_versions). */
const MAX_VERSIONS = 50;


export interface EngineOptions {
  cluster: ClusterSpec;
  clock: VirtualClock;
  random: SeededRandom;
}

/**
 * The simulated Marathon scheduler and Mesos master: apps and their versions,
 * groups, the launch queue, offer rounds and deployments. Each instance's own life
 * (launch, checks, kills, relaunches) runs in instance-lifecycle.ts with this engine
 * as its host. All state changes happen in clock callbacks or API calls, so a run is
 * deterministic for a seed and an API call sequence.
 */
export class MarathonEngine implements StepHost, LifecycleHost {
  readonly clock: VirtualClock;
  readonly events = new EventBus();
  readonly timeline = new Timeline();
  readonly agents: AgentState[];
  readonly apps = new Map<string, AppRecord>();
  readonly deployments = new Map<string, DeploymentRecord>();
  /** Every group, implicit (parents of apps) or created through /v2/groups; always holds "/". */
  groups = new Map<string, GroupRecord>();
  /** Root versions, oldest first (at most {@link MAX_VERSIONS}). */
  readonly rootVersions: RootSnapshot[] = [];
  readonly frameworkId: string;
  readonly masterId: string;
  private readonly cluster: ClusterSpec;
  private readonly random: SeededRandom;
  private readonly appDeployment = new Map<string, DeploymentRecord>();
  private offerTimer: TimerHandle | undefined;
  private offerRound = 0;
  /** Bumped whenever resources are freed or an agent changes; an unchanged epoch means an offer round would decide the same. */
  private resourceEpoch = 0;
  private lastVersionMs = 0;
  private nextServicePort = 10000;
  private dirty = new Set<string>();
  private flushTimer: TimerHandle | undefined;
  private flushing = false;
  /** Launches, runs, checks, kills and relaunches the instances. */
  private readonly lifecycle: InstanceLifecycle;

  constructor(options: EngineOptions) {
    this.cluster = options.cluster;
    this.clock = options.clock;
    this.random = options.random;
    this.masterId = this.random.uuid();
    this.frameworkId = `${this.masterId}-0000`;
    const now = this.clock.now();
    this.groups.set("/", { id: "/", dependencies: [], enforceRole: false, version: new Date(now).toISOString() });
    this.agents = options.cluster.agents.map(
      (spec, index) => new AgentState(spec, spec.id ?? `${this.masterId}-S${index}`, `10.0.${Math.floor(index / 250)}.${(index % 250) + 2}`, now),
    );
    this.lifecycle = new InstanceLifecycle(this, options.cluster);
  }

  get offerIntervalMs(): number {
    return (this.cluster.marathon?.offerIntervalSeconds ?? 5) * 1000;
  }

  get maxInstancesPerOffer(): number {
    return this.cluster.marathon?.maxInstancesPerOffer ?? 5;
  }

  // ---- events and ids -------------------------------------------------------------

  emit(eventType: string, payload: Record<string, unknown>): void {
    this.events.publish({ ...payload, eventType, timestamp: new Date(this.clock.now()).toISOString() } as UncheckedMarathonEvent);
  }

  uuid(): string {
    return this.random.uuid();
  }

  /** A new version timestamp, strictly increasing (two updates in one millisecond still differ). */
  newVersion(): string {
    const ms = Math.max(this.clock.now(), this.lastVersionMs + 1);
    this.lastVersionMs = ms;
    return new Date(ms).toISOString();
  }

  // ---- StepHost ---------------------------------------------------------------------

  instancesOf(appId: string): Iterable<Instance> {
    return this.apps.get(appId)?.instances.values() ?? [];
  }

  definitionOf(appId: string): AppDefinition | undefined {
    return this.apps.get(appId)?.def;
  }

  pendingOf(appId: string): number {
    return this.apps.get(appId)?.pending ?? 0;
  }

  setPending(appId: string, count: number): void {
    const app = this.apps.get(appId);
    if (!app) return;
    app.pending = Math.max(0, count);
    if (app.relaunch.length > app.pending) app.relaunch.length = app.pending;
    if (app.pending === 0) app.queueSince = null;
  }

  enqueue(appId: string, count: number): void {
    const app = this.apps.get(appId);
    if (!app || count <= 0) return;
    if (app.pending === 0) {
      app.queueSince = this.clock.now();
      app.stats = emptyOfferStats();
    }
    app.pending += count;
    app.stuckAt = -1;
    this.scheduleOffers(0);
  }

  resetBackoff(appId: string): void {
    const app = this.apps.get(appId);
    if (!app) return;
    app.failures = 0;
    app.delayUntil = 0;
  }

  removeApp(appId: string): void {
    const app = this.apps.get(appId);
    if (!app?.deleted) return;
    this.dropReservations(app);
    this.apps.delete(appId);
    this.emit("app_terminated_event", { appId });
  }

  /** See MarathonSimSettings.restartCounts. */
  get restartCounts(): RestartCounts {
    return restartCountsOf(this.cluster.marathon);
  }

  /** Marathon's --max_running_deployments. */
  get maxRunningDeployments(): number {
    return 100;
  }

  // ---- apps ---------------------------------------------------------------------------

  /** The app as the API shows it (deleted apps are gone at once, as in Marathon). */
  app(appId: string): AppRecord | undefined {
    const app = this.apps.get(appId);
    return app && !app.deleted ? app : undefined;
  }

  visibleApps(): AppRecord[] {
    return [...this.apps.values()].filter((a) => !a.deleted).sort((a, b) => a.id.localeCompare(b.id));
  }

  runningDeploymentOf(appId: string): DeploymentRecord | undefined {
    return this.appDeployment.get(appId);
  }

  /** Assigns service ports and version info; returns the stored definition. */
  private storeVersion(app: AppRecord | undefined, def: AppDefinition, version: string, configChange: boolean): AppDefinition {
    const stored = normalizeApp(def);
    stored.portDefinitions = (stored.portDefinitions ?? []).map((p, i) => {
      if (p.port !== 0) return p;
      const previous = app?.def.portDefinitions?.[i]?.port;
      return { ...p, port: previous && previous !== 0 ? previous : this.nextServicePort++ };
    });
    const lastConfig = configChange || !app ? version : (app.def.versionInfo?.lastConfigChangeAt ?? version);
    stored.version = version;
    stored.versionInfo = { lastScalingAt: version, lastConfigChangeAt: lastConfig };
    return stored;
  }

  private recordVersion(app: AppRecord, def: AppDefinition): void {
    app.def = def;
    const version = def.version as string;
    if (!app.versions.has(version)) {
      app.versions.set(version, def);
      app.versionOrder.push(version);
      while (app.versionOrder.length > MAX_VERSIONS) {
        const dropped = app.versionOrder.shift() as string;
        app.versions.delete(dropped);
      }
    }
  }

  /**
   * Applies new definitions (undefined = delete) as one deployment, the way
   * Marathon's group manager does. Locks are checked by the caller.
   */
  deploy(changes: { appId: string; def: AppDefinition | undefined; restart?: boolean; keepVersion?: boolean }[], force: boolean, options: DeployOptions = {}): DeploymentRecord {
    if (force) {
      for (const { appId } of changes) {
        const running = this.appDeployment.get(appId);
        if (running) this.cancelDeployment(running, "The upgrade has been cancelled");
      }
    }
    const version = this.newVersion();
    const stops: DeploymentStep = { actions: [] };
    const starts: DeploymentStep = { actions: [] };
    const updates: { appId: string; action: DeploymentActionName }[] = [];
    const original = new Map<string, AppDefinition | undefined>();
    const plannedApps: string[] = [];
    for (const change of changes) {
      const existing = this.apps.get(change.appId);
      const current = existing && !existing.deleted ? existing : undefined;
      original.set(change.appId, current?.def);
      if (change.def === undefined) {
        if (!current) continue;
        current.deleted = true;
        stops.actions.push({ action: "StopApplication", app: change.appId });
        plannedApps.push(change.appId);
        continue;
      }
      if (!current) {
        if (existing) {
          this.dropReservations(existing);
          this.apps.delete(change.appId);
        }
        const def = change.keepVersion ? normalizeApp(change.def) : this.storeVersion(undefined, change.def, version, true);
        const record = newAppRecord(change.appId, def);
        this.apps.set(change.appId, record);
        this.recordVersion(record, def);
        starts.actions.push({ action: "StartApplication", app: change.appId });
        // A new app is scaled to its count, even 0 (DeploymentPlan.dependencyOrderedSteps).
        updates.push({ appId: change.appId, action: "ScaleApplication" });
        plannedApps.push(change.appId);
        continue;
      }
      // Compare after defaulting and service-port assignment, so an identical body is no change.
      const candidate = change.keepVersion ? change.def : this.storeVersion(current, change.def, version, false);
      const configChange = change.restart === true || isUpgrade(current.def, candidate);
      const scaleChange = (candidate.instances ?? 1) !== (current.def.instances ?? 1);
      if (!configChange && !scaleChange && !change.keepVersion) continue;
      const def = candidate;
      if (configChange && !change.keepVersion) def.versionInfo = { lastScalingAt: version, lastConfigChangeAt: version };
      this.recordVersion(current, def);
      // Scaled to zero is a scale whatever else changed: nothing is left to replace.
      const scale = !configChange || (def.instances ?? 1) === 0;
      updates.push({ appId: change.appId, action: scale ? "ScaleApplication" : "RestartApplication" });
      plannedApps.push(change.appId);
    }
    this.recordRoot(version, options.groups);
    // Marathon's plan: stop removed apps, start new ones (0 instances), then scale or
    // restart in dependency order (an app's step comes after the steps of what it needs).
    const steps = [stops, starts, ...this.dependencyOrder(updates)].filter((step) => step.actions.length > 0);
    const deployment: DeploymentRecord = {
      id: this.uuid(),
      version,
      steps,
      affectedApps: plannedApps.length > 0 ? plannedApps : changes.map((c) => c.appId),
      stepIndex: -1,
      controllers: [],
      original,
      finished: false,
    };
    this.emit("group_change_success", { groupId: options.groupId ?? "/", version });
    if (steps.length === 0) {
      this.emit("deployment_success", { id: deployment.id, plan: this.planJson(deployment) });
      deployment.finished = true;
      return deployment;
    }
    this.deployments.set(deployment.id, deployment);
    for (const appId of plannedApps) this.appDeployment.set(appId, deployment);
    this.timelineDeployment(deployment, "started");
    this.startNextStep(deployment);
    return deployment;
  }

  /** Installs the group tree after a change (adding the parents of every app) and stores the root version. */
  private recordRoot(version: string, groups: Map<string, GroupRecord> | undefined): void {
    if (groups) this.groups = new Map(groups);
    if (!this.groups.has("/")) this.groups.set("/", { id: "/", dependencies: [], enforceRole: false, version });
    for (const app of this.visibleApps()) {
      for (const id of ancestorsOf(app.id)) if (!this.groups.has(id)) this.groups.set(id, { id, dependencies: [], enforceRole: false, version });
    }
    const root = this.groups.get("/") as GroupRecord;
    this.groups.set("/", { ...root, version });
    this.rootVersions.push({ version, apps: new Map(this.visibleApps().map((a) => [a.id, a.def])), groups: new Map(this.groups) });
    if (this.rootVersions.length > MAX_VERSIONS) this.rootVersions.splice(0, this.rootVersions.length - MAX_VERSIONS);
  }

  /**
   * Marathon's dependency-ordered steps: affected apps grouped by the length of their
   * longest dependency path in the whole target tree, one step per length, shortest first.
   */
  private dependencyOrder(updates: { appId: string; action: DeploymentActionName }[]): DeploymentStep[] {
    const edges = dependencyEdges(
      this.visibleApps().map((a) => ({ id: a.id, dependencies: a.def.dependencies ?? [] })),
      [...this.groups.values()],
    );
    const lengths = longestPathLengths(edges);
    const byLength = new Map<number, DeploymentStep>();
    for (const u of updates) {
      const length = lengths.get(u.appId) ?? 1;
      const step = byLength.get(length) ?? { actions: [] };
      step.actions.push({ action: u.action, app: u.appId });
      byLength.set(length, step);
    }
    return [...byLength.entries()].sort(([a], [b]) => a - b).map(([, step]) => step);
  }

  planJson(d: DeploymentRecord): DeploymentPlan {
    return { id: d.id, steps: d.steps.map((s) => ({ actions: s.actions.map((a) => ({ ...a })) })), version: d.version };
  }

  private timelineDeployment(d: DeploymentRecord, detail: string): void {
    for (const appId of d.affectedApps) {
      this.timeline.record({ t: this.clock.now(), kind: "deployment", appId, version: d.version, deploymentId: d.id, detail });
    }
  }

  private startNextStep(d: DeploymentRecord): void {
    d.stepIndex++;
    const step = d.steps[d.stepIndex];
    if (!step) return;
    d.controllers = step.actions.map((a) => this.controllerFor(a.action, a.app));
    this.emit("deployment_info", { plan: this.planJson(d), currentStep: { actions: step.actions.map((a) => ({ ...a })) } });
    for (const c of d.controllers) c.start();
    for (const c of d.controllers) this.markDirty(c.appId);
  }

  private controllerFor(action: DeploymentActionName, appId: string): StepController {
    switch (action) {
      case "StartApplication":
        return new StartStep(appId);
      case "ScaleApplication":
        return new ScaleStep(this, appId, this.apps.get(appId)?.def.instances ?? 0);
      case "RestartApplication":
        return new RestartStep(this, appId);
      case "StopApplication":
        return new StopStep(this, appId);
      default:
        return new StartStep(appId);
    }
  }

  /** Stops a deployment where it stands (tasks keep their mixed versions). */
  cancelDeployment(d: DeploymentRecord, reason: string): void {
    if (d.finished) return;
    d.finished = true;
    this.deployments.delete(d.id);
    for (const [appId, running] of this.appDeployment) {
      if (running !== d) continue;
      this.appDeployment.delete(appId);
      // The launch queue of a stopped step is purged, as Marathon's actors do on stop.
      this.setPending(appId, 0);
      const app = this.apps.get(appId);
      if (app?.deleted && [...app.instances.values()].every((i) => !isActive(i))) this.apps.delete(appId);
    }
    const step = d.steps[d.stepIndex];
    if (step) this.emit("deployment_step_failure", { plan: this.planJson(d), currentStep: { actions: step.actions.map((a) => ({ ...a })) } });
    this.emit("deployment_failed", { id: d.id, plan: this.planJson(d), reason });
    this.timelineDeployment(d, "failed");
  }

  /**
   * Emits what Marathon sends when a new plan hits a lock (409): `deployment_failed`,
   * then GroupManagerImpl's `group_change_failed` with the exception's message.
   */
  emitLockedPlanFailure(groupId = "/", reason = LOCKED_MESSAGE): void {
    const id = this.uuid();
    const version = new Date(this.clock.now()).toISOString();
    const plan: DeploymentPlan = { id, steps: [], version };
    this.emit("deployment_failed", { id, plan, reason: "App is locked by one or more deployments." });
    this.emitGroupChangeFailed(groupId, version, reason);
  }

  /** GroupManagerImpl's event for a root change that did not go through. */
  emitGroupChangeFailed(groupId: string, version: string, reason: string): void {
    this.emit("group_change_failed", { groupId, version, reason });
  }

  /** Lets the deployments touching the app react to a change of its instances (once per instant). */
  markDirty(appId: string): void {
    this.dirty.add(appId);
    if (!this.flushTimer && !this.flushing) this.flushTimer = this.clock.schedule(0, () => this.flush());
  }

  /** Lets every deployment touching a changed app react, once per instant. */
  private flush(): void {
    this.flushTimer = undefined;
    this.flushing = true;
    try {
      for (let guard = 0; guard < 10_000 && this.dirty.size > 0; guard++) {
        const [appId] = this.dirty;
        this.dirty.delete(appId as string);
        const d = this.appDeployment.get(appId as string);
        if (d) this.progress(d);
      }
    } finally {
      this.flushing = false;
    }
  }

  private progress(d: DeploymentRecord): void {
    while (!d.finished) {
      let done = true;
      for (const c of d.controllers) if (!c.check()) done = false;
      if (!done) return;
      const step = d.steps[d.stepIndex] as DeploymentStep;
      this.emit("deployment_step_success", { plan: this.planJson(d), currentStep: { actions: step.actions.map((a) => ({ ...a })) } });
      if (d.stepIndex + 1 >= d.steps.length) {
        d.finished = true;
        this.deployments.delete(d.id);
        for (const [appId, running] of this.appDeployment) if (running === d) this.appDeployment.delete(appId);
        this.emit("deployment_success", { id: d.id, plan: this.planJson(d) });
        this.timelineDeployment(d, "success");
        return;
      }
      this.timelineDeployment(d, "step");
      this.startNextStep(d);
    }
  }

  // ---- instances ------------------------------------------------------------------------

  /** Destroys the reservations of a removed resident app: its resources are free again. */
  dropReservations(app: AppRecord): void {
    for (const r of app.reservations.splice(0)) r.agent.release(r.resources, r.ports);
    this.resourceEpoch++;
  }

  /**
   * Launches waiting instances of resident apps on their own reservations first, as
   * Marathon's launch queue does: the same agent, the same instance id, the next task
   * incarnation, no offer matching.
   */
  private launchOnReservations(now: number): void {
    for (const app of this.apps.values()) {
      if (app.deleted) continue;
      for (let k = 0; k < app.reservations.length && app.pending > 0 && app.delayUntil <= now; ) {
        const r = app.reservations[k] as Reservation;
        if (!r.agent.active) {
          k++;
          continue;
        }
        app.reservations.splice(k, 1);
        r.agent.release(r.resources, r.ports);
        app.pending--;
        if (app.pending === 0) app.queueSince = null;
        this.lifecycle.launch(app, r.agent, r.ports, r);
      }
    }
  }

  /** Marathon kills an instance; `replace` relaunches it afterwards (failed health checks). */
  kill(instance: Instance, reason: string, replace = false, wipe = false): void {
    this.lifecycle.kill(instance, reason, replace, wipe);
  }

  /** Whether a deployment holds the app (LifecycleHost). */
  isDeploying(appId: string): boolean {
    return this.appDeployment.has(appId);
  }

  /** Freed resources may change what the next offer round decides (LifecycleHost). */
  resourcesFreed(): void {
    this.resourceEpoch++;
  }

  // ---- offers ------------------------------------------------------------------------------

  /** Arranges an offer round `delayMs` from now (an earlier pending one wins). */
  scheduleOffers(delayMs: number): void {
    const at = this.clock.now() + delayMs;
    if (this.offerTimer && !this.offerTimer.cancelled && this.offerTimer.at <= at) return;
    this.clock.cancel(this.offerTimer);
    this.offerTimer = this.clock.scheduleAt(at, () => this.offerCycle());
  }

  /** Connects or disconnects an agent; the tasks of a lost agent are gone and get replaced. */
  setAgentActive(hostname: string, active: boolean): void {
    const agent = this.agents.find((a) => a.hostname === hostname);
    if (!agent) throw new Error(`no agent with hostname ${hostname}`);
    if (agent.active === active) return;
    agent.active = active;
    this.resourceEpoch++;
    if (!active) {
      const lost = [...this.apps.values()].flatMap((app) => [...app.instances.values()].filter((i) => i.agent === agent && isActive(i)));
      for (const i of lost) this.lifecycle.terminate(i, "TASK_LOST", `Agent ${hostname} removed`, i.goal === "running" || i.replacing);
    }
    this.scheduleOffers(0);
  }

  /** One round of offers over every queued app. */
  private offerCycle(): void {
    this.offerTimer = undefined;
    const now = this.clock.now();
    this.launchOnReservations(now);
    const apps = [...this.apps.values()]
      .filter((a) => a.pending > 0 && !a.deleted)
      .sort((a, b) => (a.queueSince ?? 0) - (b.queueSince ?? 0) || a.id.localeCompare(b.id));
    const wake = runOfferRound({
      apps,
      agents: this.agents,
      now,
      round: ++this.offerRound,
      resourceEpoch: this.resourceEpoch,
      maxInstancesPerOffer: this.maxInstancesPerOffer,
      intervalMs: this.offerIntervalMs,
      launch: (app, agent, ports) => this.lifecycle.launch(app, agent, ports),
    });
    if (wake < Number.POSITIVE_INFINITY) this.scheduleOffers(wake - now);
  }

  // ---- initial apps -------------------------------------------------------------------

  /** Deploys the cluster file's initial apps. */
  deployInitialApps(apps: AppDefinition[]): void {
    const problems = apps.flatMap((def, i) => {
      const typeErrors = readErrors(def);
      return (typeErrors.length > 0 ? typeErrors : validationErrors(def)).map((d) => `/apps/${i}${d.path === "/" ? "" : d.path}: ${d.errors.join("; ")}`);
    });
    if (problems.length > 0) throw new ConfigError("the cluster's initial apps are not valid Marathon apps", problems);
    for (const def of apps) this.deploy([{ appId: normalizeApp(def).id, def }], true);
  }

  /** Used by the HTTP layer: counts as Marathon reports them. */
  counts(app: AppRecord): { tasksStaged: number; tasksRunning: number; tasksHealthy: number; tasksUnhealthy: number } {
    let staged = 0;
    let runningCount = 0;
    let healthy = 0;
    let unhealthy = 0;
    for (const i of app.instances.values()) {
      if (i.state === "TASK_STAGING" || i.state === "TASK_STARTING") staged++;
      if (i.state === "TASK_RUNNING") runningCount++;
      if (i.health?.alive === true && isActive(i)) healthy++;
      if (i.health?.alive === false && isActive(i)) unhealthy++;
    }
    return { tasksStaged: staged, tasksRunning: runningCount, tasksHealthy: healthy, tasksUnhealthy: unhealthy };
  }

  /** Healthy instance count as the deployment logic sees it (test helper). */
  healthyCount(appId: string): number {
    let n = 0;
    for (const i of this.instancesOf(appId)) if (countsHealthy(i)) n++;
    return n;
  }

  isoNow(): string {
    return iso(this.clock.now()) as string;
  }

  /** Reason name for an index in the offer statistics. */
  static reasonAt(index: number): OfferRejectReason {
    return REJECT_REASON_ORDER[index] as OfferRejectReason;
  }
}
