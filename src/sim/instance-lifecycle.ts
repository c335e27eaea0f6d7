/**
 * The life of one simulated instance, from launch to its terminal state: staging,
 * starting and running; health and readiness checks and their results; kills; and what
 * follows an unexpected end (the app's lastTaskFailure, launch backoff, and a relaunch
 * under the same instance id or a new one). The engine (marathon-engine.ts) keeps the
 * orchestration (apps, deployments, offers), calls {@link InstanceLifecycle.launch},
 * `kill` and `terminate`, and serves as its {@link LifecycleHost}, the way
 * deployment-steps.ts takes the engine as its StepHost. Used by marathon-engine.ts only.
 */
import { isMesosRunCheck } from "./restart-counting.js";
import type { TaskState } from "../marathon/types.js";
import type { AppRecord, InstanceReuse } from "./app-record.js";
import { resolveBehaviour, type ClusterSpec } from "./cluster-spec.js";
import type { AgentState } from "./cluster-state.js";
import { hasHealthChecks, isActive, type Instance } from "./instance.js";
import { isResident } from "./resident.js";
import type { Timeline } from "./timeline.js";
import type { VirtualClock } from "./virtual-clock.js";

/** What an instance's life needs from the engine: the clock, the app records, and the orchestration it sets off. */
export interface LifecycleHost {
  readonly clock: VirtualClock;
  readonly timeline: Timeline;
  /** Every app record, including deleted apps whose instances are still stopping. */
  readonly apps: Map<string, AppRecord>;
  /** Publishes a Marathon event, stamped with the clock's time. */
  emit(eventType: string, payload: Record<string, unknown>): void;
  uuid(): string;
  /** An instance of the app changed: the deployments touching it check their progress. */
  markDirty(appId: string): void;
  /** Whether a deployment of the app is running. */
  isDeploying(appId: string): boolean;
  /** A task gave its resources back to its agent: the next offer round may place more. */
  resourcesFreed(): void;
  /** Queues `count` more launches of the app. */
  enqueue(appId: string, count: number): void;
  /** Frees the reservations of a removed resident app. */
  dropReservations(app: AppRecord): void;
  /** Arranges an offer round `delayMs` from now. */
  scheduleOffers(delayMs: number): void;
}

/**
 * Runs instances through their lifecycle on the host's clock. The method bodies were
 * moved unchanged from MarathonEngine, so `clock`, `timeline`, `emit` and `markDirty`
 * keep the engine's names here.
 */
export class InstanceLifecycle {
  private readonly clock: VirtualClock;
  private readonly timeline: Timeline;

  constructor(
    private readonly host: LifecycleHost,
    private readonly cluster: ClusterSpec,
  ) {
    this.clock = host.clock;
    this.timeline = host.timeline;
  }

  private emit(eventType: string, payload: Record<string, unknown>): void {
    this.host.emit(eventType, payload);
  }

  private markDirty(appId: string): void {
    this.host.markDirty(appId);
  }

  /** Launches an instance of the app on the agent (on `reuse`, a resident reservation); its life runs on the clock from here. */
  launch(app: AppRecord, agent: AgentState, ports: number[], reuse?: InstanceReuse): Instance {
    const def = app.def;
    const now = this.clock.now();
    const path = app.id.slice(1).replace(/\//g, "_");
    // Marathon 1.8+ relaunches an instance it still wants running under its old id, with the next incarnation.
    const again = reuse ?? app.relaunch.shift();
    const instanceId = again?.instanceId ?? `${path}.instance-${this.host.uuid()}`;
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
      mesosHealthy: undefined,
      // Readiness is polled for new tasks only while a deployment runs.
      ready: (def.readinessChecks?.length ?? 0) === 0 || !this.host.isDeploying(app.id),
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
    this.emitStatusUpdate(instance, message);
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

  /** Marathon's status_update_event for the task's current Mesos status. */
  private emitStatusUpdate(instance: Instance, message: string): void {
    this.emit("status_update_event", {
      slaveId: instance.agent.id,
      taskId: instance.taskId,
      taskStatus: instance.state,
      message,
      appId: instance.appId,
      host: instance.agent.hostname,
      ipAddresses: [{ ipAddress: instance.agent.ip, protocol: "IPv4" }],
      ports: [...instance.ports],
      version: instance.version,
    });
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
      const mesosCheck = isMesosRunCheck(hc?.protocol);
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
    if (isMesosRunCheck(instance.def.healthChecks?.[0]?.protocol)) {
      // Mesos reports its own check's result as a new status of the running task (`healthy`);
      // Marathon publishes it as another status_update_event, then the health events.
      instance.mesosHealthy = alive;
      this.emitStatusUpdate(instance, "");
    }
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
  terminate(instance: Instance, state: TaskState, message: string, replace = false): void {
    if (!isActive(instance)) return;
    const unexpected = instance.goal === "running" || replace;
    for (const t of instance.timers) this.clock.cancel(t);
    instance.timers = [];
    // A record re-created under the same id (delete, then create) does not own older tasks.
    const found = this.host.apps.get(instance.appId);
    const app = found?.instances.has(instance.instanceId) ? found : undefined;
    // A resident instance is stopped, not decommissioned: its reservation outlives the task.
    const keepReservation = app !== undefined && !app.deleted && isResident(instance.def) && state !== "TASK_LOST" && !instance.wiped;
    if (keepReservation) {
      app.reservations.push({ instanceId: instance.instanceId, incarnation: instance.incarnation, agent: instance.agent, resources: instance.resources, ports: instance.ports });
    } else {
      instance.agent.release(instance.resources, instance.ports);
      this.host.resourcesFreed();
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
        this.host.enqueue(app.id, 1);
      }
    }
    if (app?.deleted && app.instances.size === 0 && !this.host.isDeploying(app.id)) {
      this.host.dropReservations(app);
      this.host.apps.delete(app.id);
    }
    if ([...this.host.apps.values()].some((a) => a.pending > 0)) this.host.scheduleOffers(0);
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
