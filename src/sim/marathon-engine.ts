import type {
  AppDefinition,
  DeploymentActionName,
  DeploymentPlan,
  DeploymentStep,
  MarathonEvent,
  OfferRejectReason,
  TaskFailure,
  TaskState,
} from "../marathon/types.js";
import { ConfigError } from "../errors.js";
import { isUpgrade, normalizeApp, readErrors, validationErrors } from "./app-definition.js";
import { DEFAULT_RESTART_COUNTS, resolveBehaviour, type ClusterSpec, type RestartCounts } from "./cluster-spec.js";
import { AgentState, type ScalarResources } from "./cluster-state.js";
import { RestartStep, ScaleStep, StartStep, StopStep, type StepController, type StepHost } from "./deployment-steps.js";
import { EventBus } from "./event-bus.js";
import { ancestorsOf, dependencyEdges, longestPathLengths, type GroupRecord } from "./groups.js";
import { countsHealthy, hasHealthChecks, isActive, isMesosHealthCheck, iso, type Instance } from "./instance.js";
import { isResident } from "./resident.js";
import { REJECT_REASON_ORDER } from "./offer-matching.js";
import { emptyOfferStats, runOfferRound, type QueuedApp } from "./offer-round.js";
import type { SeededRandom } from "./seeded-random.js";
import { Timeline } from "./timeline.js";
import type { TimerHandle, VirtualClock } from "./virtual-clock.js";

/** Everything the simulator knows about one app. */
export interface AppRecord extends QueuedApp {
  id: string;
  versions: Map<string, AppDefinition>;
  versionOrder: string[];
  instances: Map<string, Instance>;
  failures: number;
  lastTaskFailure: TaskFailure | null;
  /** Removed from the API (DELETE) but still stopping its instances. */
  deleted: boolean;
  /**
   * Instances whose task ended while Marathon still wanted them running: the next
   * launches reuse their instance ids with the next task incarnation (1.8+).
   */
  relaunch: InstanceReuse[];
  /**
   * Reservations of stopped resident instances (persistent volumes): their resources stay
   * taken on the agent, and the next launches of the app go there with the same instance id.
   */
  reservations: Reservation[];
}

/** An instance id launched again, with the incarnation of its last task. */
export interface InstanceReuse {
  instanceId: string;
  incarnation: number;
}

export interface Reservation extends InstanceReuse {
  agent: AgentState;
  resources: ScalarResources;
  ports: number[];
}

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
export const LOCKED_MESSAGE = "App is locked by one or more deployments. Override with the option '?force=true'. View details at '/v2/deployments/<DEPLOYMENT_ID>'.";

/** Kept per app and for the root group (Marathon's --zk_max_versions). */
export const MAX_VERSIONS = 50;


export interface EngineOptions {
  cluster: ClusterSpec;
  clock: VirtualClock;
  random: SeededRandom;
}

/**
 * The simulated Marathon scheduler and Mesos master: apps and their versions,
 * instances and their lifecycle, health and readiness checks, the launch queue,
 * offer rounds and deployments. All state changes happen in clock callbacks or API
 * calls, so a run is deterministic for a seed and an API call sequence.
 */
export class MarathonEngine implements StepHost {
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
  }

  get offerIntervalMs(): number {
    return (this.cluster.marathon?.offerIntervalSeconds ?? 5) * 1000;
  }

  get maxInstancesPerOffer(): number {
    return this.cluster.marathon?.maxInstancesPerOffer ?? 5;
  }

  // ---- events and ids -------------------------------------------------------------

  emit(eventType: string, payload: Record<string, unknown>): void {
    this.events.publish({ ...payload, eventType, timestamp: new Date(this.clock.now()).toISOString() } as MarathonEvent);
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
    return this.cluster.marathon?.restartCounts ?? DEFAULT_RESTART_COUNTS;
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

  private newAppRecord(id: string, def: AppDefinition): AppRecord {
    return {
      id,
      def,
      versions: new Map(),
      versionOrder: [],
      instances: new Map(),
      pending: 0,
      queueSince: null,
      delayUntil: 0,
      failures: 0,
      stats: emptyOfferStats(),
      lastTaskFailure: null,
      deleted: false,
      relaunch: [],
      reservations: [],
      agentCounts: new Map(),
      stuckAt: -1,
    };
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
        const record = this.newAppRecord(change.appId, def);
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

  private markDirty(appId: string): void {
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
  private dropReservations(app: AppRecord): void {
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
        this.launch(app, r.agent, r.ports, r);
      }
    }
  }

  private launch(app: AppRecord, agent: AgentState, ports: number[], reuse?: InstanceReuse): Instance {
    const def = app.def;
    const now = this.clock.now();
    const path = app.id.slice(1).replace(/\//g, "_");
    // Marathon 1.8+ relaunches an instance it still wants running under its old id, with the next incarnation.
    const again = reuse ?? app.relaunch.shift();
    const instanceId = again?.instanceId ?? `${path}.instance-${this.uuid()}`;
    const incarnation = (again?.incarnation ?? 0) + 1;
    const resources = { cpus: def.cpus ?? 1, mem: def.mem ?? 128, disk: def.disk ?? 0, gpus: def.gpus ?? 0 };
    const instance: Instance = {
      instanceId,
      taskId: `${instanceId}._app.${incarnation}`,
      incarnation,
      wiped: false,
      appId: app.id,
      def,
      version: def.version as string,
      configVersion: def.versionInfo?.lastConfigChangeAt ?? (def.version as string),
      agent,
      ports,
      resources,
      behaviour: resolveBehaviour(this.cluster, def.container?.docker?.image),
      state: "TASK_STAGING",
      goal: "running",
      replacing: false,
      stagedAt: now,
      startedAt: null,
      health: undefined,
      // Readiness is polled for new tasks only while a deployment runs.
      ready: (def.readinessChecks?.length ?? 0) === 0 || !this.appDeployment.has(app.id),
      readinessChecked: false,
      timers: [],
    };
    agent.allocate(resources, ports);
    app.instances.set(instanceId, instance);
    app.agentCounts.set(agent, (app.agentCounts.get(agent) ?? 0) + 1);
    this.timeline.record({
      t: now,
      kind: "launch",
      appId: app.id,
      version: instance.version,
      instanceId,
      taskId: instance.taskId,
      host: agent.hostname,
      hasChecks: hasHealthChecks(def),
    });
    this.setState(instance, "TASK_STAGING", "");
    const startMs = instance.behaviour.startSeconds * 1000;
    this.after(instance, startMs / 2, () => this.setState(instance, "TASK_STARTING", ""));
    this.after(instance, startMs, () => this.onStarted(instance));
    return instance;
  }

  private after(instance: Instance, delayMs: number, fn: () => void): void {
    instance.timers.push(this.clock.schedule(delayMs, fn));
  }

  private setState(instance: Instance, state: TaskState, message: string): void {
    instance.state = state;
    const now = this.clock.now();
    this.timeline.record({ t: now, kind: "state", appId: instance.appId, version: instance.version, instanceId: instance.instanceId, taskId: instance.taskId, host: instance.agent.hostname, state });
    this.emit("status_update_event", {
      slaveId: instance.agent.id,
      taskId: instance.taskId,
      taskStatus: state,
      message,
      appId: instance.appId,
      host: instance.agent.hostname,
      ipAddresses: [{ ipAddress: instance.agent.ip, protocol: "IPv4" }],
      ports: [...instance.ports],
      version: instance.version,
    });
    this.emit("instance_changed_event", {
      instanceId: instance.instanceId,
      condition: conditionOf(state),
      runSpecId: instance.appId,
      agentId: instance.agent.id,
      host: instance.agent.hostname,
      runSpecVersion: instance.version,
    });
    this.markDirty(instance.appId);
  }

  private onStarted(instance: Instance): void {
    if (instance.goal !== "running") return;
    const b = instance.behaviour;
    if (b.crashOnStart) {
      this.terminate(instance, "TASK_FAILED", "Container exited with status 1");
      return;
    }
    instance.startedAt = this.clock.now();
    this.setState(instance, "TASK_RUNNING", "");
    if (b.memNeededMb !== undefined && instance.resources.mem < b.memNeededMb) {
      const mem = instance.resources.mem;
      this.after(instance, b.oomAfterSeconds * 1000, () =>
        this.terminate(instance, "TASK_FAILED", `Memory limit exceeded: Requested: ${mem}MB Maximum Used: ${mem}MB`),
      );
    }
    if (b.crashAfterSeconds !== undefined) {
      this.after(instance, b.crashAfterSeconds * 1000, () => this.terminate(instance, "TASK_FAILED", "Command exited with status 1"));
    }
    if (hasHealthChecks(instance.def)) {
      instance.health = { consecutiveFailures: 0, firstSuccess: null, lastSuccess: null, lastFailure: null, lastFailureCause: null, alive: undefined, steadySince: null };
      const hc = instance.def.healthChecks?.[0];
      const mesosCheck = isMesosHealthCheck(hc?.protocol);
      const delay = mesosCheck ? (hc?.delaySeconds ?? 15) * 1000 : 1000;
      this.after(instance, delay, () => this.healthCheck(instance));
    }
    if (!instance.ready) this.after(instance, 0, () => this.readinessCheck(instance));
  }

  private healthCheck(instance: Instance): void {
    const h = instance.health;
    const hc = instance.def.healthChecks?.[0];
    if (!h || !hc || instance.goal !== "running" || instance.state !== "TASK_RUNNING") return;
    const now = this.clock.now();
    const b = instance.behaviour;
    const elapsed = now - (instance.startedAt ?? now);
    const interval = Math.max(1, hc.intervalSeconds ?? 60) * 1000;
    const pass = b.healthy && elapsed >= b.healthyAfterSeconds * 1000 && !(b.unhealthyAfterSeconds !== undefined && elapsed >= b.unhealthyAfterSeconds * 1000);
    if (pass) {
      h.consecutiveFailures = 0;
      h.firstSuccess ??= now;
      h.lastSuccess = now;
      this.setAlive(instance, true);
      if (b.unhealthyAfterSeconds === undefined) {
        // Passing forever: stop scheduling, derive lastSuccess on read (keeps big runs cheap).
        h.steadySince = now;
        return;
      }
      this.after(instance, interval, () => this.healthCheck(instance));
      return;
    }
    h.steadySince = null;
    const inGrace = h.firstSuccess === null && elapsed < (hc.gracePeriodSeconds ?? 300) * 1000;
    if (!inGrace) {
      h.consecutiveFailures++;
      h.lastFailure = now;
      h.lastFailureCause = b.healthFailure;
      this.setAlive(instance, false);
      this.emit("failed_health_check_event", { appId: instance.appId, taskId: instance.taskId, instanceId: instance.instanceId, version: instance.version, healthCheck: { ...hc } });
      const max = hc.maxConsecutiveFailures ?? 3;
      if (max > 0 && h.consecutiveFailures >= max) {
        this.emit("unhealthy_instance_kill_event", {
          appId: instance.appId,
          taskId: instance.taskId,
          instanceId: instance.instanceId,
          version: instance.version,
          reason: b.healthFailure,
          host: instance.agent.hostname,
          slaveId: instance.agent.id,
        });
        this.kill(instance, "FailedHealthChecks", true);
        return;
      }
    }
    this.after(instance, interval, () => this.healthCheck(instance));
  }

  private setAlive(instance: Instance, alive: boolean): void {
    const h = instance.health;
    if (!h || h.alive === alive) return;
    h.alive = alive;
    this.emit("health_status_changed_event", { appId: instance.appId, instanceId: instance.instanceId, version: instance.version, alive });
    this.emit("instance_health_changed_event", { instanceId: instance.instanceId, runSpecId: instance.appId, healthy: alive, runSpecVersion: instance.version });
    this.timeline.record({ t: this.clock.now(), kind: "health", appId: instance.appId, version: instance.version, instanceId: instance.instanceId, taskId: instance.taskId, healthy: alive });
    this.markDirty(instance.appId);
  }

  private readinessCheck(instance: Instance): void {
    const rc = instance.def.readinessChecks?.[0];
    if (!rc || instance.goal !== "running" || instance.state !== "TASK_RUNNING" || instance.ready) return;
    const now = this.clock.now();
    const b = instance.behaviour;
    instance.readinessChecked = true;
    if (b.ready && now - (instance.startedAt ?? now) >= b.readyAfterSeconds * 1000) {
      instance.ready = true;
      this.timeline.record({ t: now, kind: "ready", appId: instance.appId, version: instance.version, instanceId: instance.instanceId, taskId: instance.taskId, ready: true });
      this.markDirty(instance.appId);
      return;
    }
    this.after(instance, Math.max(1, rc.intervalSeconds ?? 30) * 1000, () => this.readinessCheck(instance));
  }

  /** Marathon kills an instance; `replace` relaunches it afterwards (failed health checks). */
  kill(instance: Instance, reason: string, replace = false, wipe = false): void {
    if (!isActive(instance) || instance.goal !== "running") return;
    instance.goal = "stopped";
    instance.replacing = replace;
    instance.wiped = wipe;
    for (const t of instance.timers) this.clock.cancel(t);
    instance.timers = [];
    this.timeline.record({ t: this.clock.now(), kind: "kill", appId: instance.appId, version: instance.version, instanceId: instance.instanceId, taskId: instance.taskId, detail: reason });
    const wasStarted = instance.state === "TASK_RUNNING";
    this.setState(instance, "TASK_KILLING", "");
    const delay = wasStarted ? instance.behaviour.killSeconds * 1000 : 0;
    this.after(instance, delay, () => this.terminate(instance, "TASK_KILLED", replace ? `Killed: ${reason}` : "", replace));
  }

  /** A task reached a terminal state: free its resources, relaunch it if Marathon still wants it. */
  private terminate(instance: Instance, state: TaskState, message: string, replace = false): void {
    if (!isActive(instance)) return;
    const unexpected = instance.goal === "running" || replace;
    for (const t of instance.timers) this.clock.cancel(t);
    instance.timers = [];
    // A record re-created under the same id (delete, then create) does not own older tasks.
    const found = this.apps.get(instance.appId);
    const app = found?.instances.has(instance.instanceId) ? found : undefined;
    // A resident instance is stopped, not decommissioned: its reservation outlives the task.
    const keepReservation = app !== undefined && !app.deleted && isResident(instance.def) && state !== "TASK_LOST" && !instance.wiped;
    if (keepReservation) {
      app.reservations.push({ instanceId: instance.instanceId, incarnation: instance.incarnation, agent: instance.agent, resources: instance.resources, ports: instance.ports });
    } else {
      instance.agent.release(instance.resources, instance.ports);
      this.resourceEpoch++;
    }
    if (app) {
      app.instances.delete(instance.instanceId);
      const left = (app.agentCounts.get(instance.agent) ?? 1) - 1;
      if (left <= 0) app.agentCounts.delete(instance.agent);
      else app.agentCounts.set(instance.agent, left);
    }
    instance.goal = "stopped";
    this.setState(instance, state, message);
    if (app && unexpected) {
      if (state === "TASK_FAILED" || state === "TASK_ERROR" || state === "TASK_LOST") {
        app.lastTaskFailure = {
          appId: app.id,
          host: instance.agent.hostname,
          message,
          slaveId: instance.agent.id,
          state,
          taskId: instance.taskId,
          timestamp: new Date(this.clock.now()).toISOString(),
          version: instance.version,
        };
      }
      this.backOff(app);
      if (!app.deleted && this.wantsReplacement(app, instance)) {
        // Goal still Running: Marathon reschedules this very instance (Instance.isScheduled). A lost
        // agent's instance (unreachableStrategy 0/0) and a wiped one are replaced by new instances.
        const sameInstance =
          (this.cluster.marathon?.relaunchKeepsInstanceId ?? true) && !keepReservation && state !== "TASK_LOST" && !instance.wiped && instance.configVersion === currentConfigOf(app);
        if (sameInstance) app.relaunch.push({ instanceId: instance.instanceId, incarnation: instance.incarnation });
        this.enqueue(app.id, 1);
      }
    }
    if (app?.deleted && app.instances.size === 0 && !this.appDeployment.has(app.id)) {
      this.dropReservations(app);
      this.apps.delete(app.id);
    }
    if ([...this.apps.values()].some((a) => a.pending > 0)) this.scheduleOffers(0);
  }

  private wantsReplacement(app: AppRecord, instance: Instance): boolean {
    if (instance.configVersion === currentConfigOf(app)) return true;
    let live = 0;
    for (const i of app.instances.values()) if (isActive(i) && i.goal === "running") live++;
    return live + app.pending < (app.def.instances ?? 1);
  }

  private backOff(app: AppRecord): void {
    app.failures++;
    const def = app.def;
    const seconds = Math.min((def.backoffSeconds ?? 1) * Math.pow(def.backoffFactor ?? 1.15, app.failures - 1), def.maxLaunchDelaySeconds ?? 300);
    app.delayUntil = this.clock.now() + seconds * 1000;
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
      for (const i of lost) this.terminate(i, "TASK_LOST", `Agent ${hostname} removed`, i.goal === "running" || i.replacing);
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
      launch: (app, agent, ports) => this.launch(app, agent, ports),
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

function currentConfigOf(app: AppRecord): string | undefined {
  return app.def.versionInfo?.lastConfigChangeAt ?? app.def.version;
}

function conditionOf(state: TaskState): string {
  switch (state) {
    case "TASK_STAGING":
      return "Staging";
    case "TASK_STARTING":
      return "Starting";
    case "TASK_RUNNING":
      return "Running";
    case "TASK_KILLING":
      return "Killing";
    case "TASK_KILLED":
      return "Killed";
    case "TASK_FAILED":
      return "Failed";
    case "TASK_FINISHED":
      return "Finished";
    case "TASK_LOST":
      return "Unreachable";
    default:
      return "Error";
  }
}
