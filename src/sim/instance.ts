// Twin of src/core/task-states.ts (task states, kept twice on purpose: src/sim/README.md "Twins"); cross-checked by test/task-states.test.ts.
import { countedByMesosHealth } from "./restart-counting.js";
import type { AppDefinition, HealthCheckResult, ReadinessCheckResult, Task, TaskState } from "../marathon/types.js";
import type { ResolvedBehaviour } from "./cluster-spec.js";
import type { AgentState, ScalarResources } from "./cluster-state.js";
import type { TimerHandle } from "./virtual-clock.js";

/** Mesos task states after which a task holds no resources. */
export const TERMINAL_STATES: ReadonlySet<TaskState> = new Set(["TASK_FINISHED", "TASK_FAILED", "TASK_KILLED", "TASK_LOST", "TASK_ERROR"]);

/** Health check bookkeeping of one check of one instance. */
export interface HealthState {
  consecutiveFailures: number;
  firstSuccess: number | null;
  lastSuccess: number | null;
  lastFailure: number | null;
  lastFailureCause: string | null;
  alive: boolean | undefined;
  /** Checks pass from here on at every interval; lastSuccess is derived on read. */
  steadySince: number | null;
}

/** One Marathon instance (one Mesos task) of an app. */
export interface Instance {
  instanceId: string;
  taskId: string;
  appId: string;
  /** The definition it was launched from. */
  def: AppDefinition;
  /** `version` of that definition. */
  version: string;
  /** `versionInfo.lastConfigChangeAt` of that definition: what the restart compares. */
  configVersion: string;
  agent: AgentState;
  ports: number[];
  resources: ScalarResources;
  behaviour: ResolvedBehaviour;
  state: TaskState;
  /** "running" until Marathon decides to stop it; a terminal task with goal running is relaunched. */
  goal: "running" | "stopped";
  /** Killed by Marathon for failing health (or via the API): a replacement follows once it is gone. */
  replacing: boolean;
  stagedAt: number;
  startedAt: number | null;
  health: HealthState | undefined;
  /**
   * `healthy` of the task's last Mesos status update: set only by a Mesos-run check
   * (COMMAND, MESOS_*), undefined otherwise. Marathon 1.10+ computes
   * `InstanceState.healthy` from this alone; Marathon-run checks never reach it.
   */
  mesosHealthy: boolean | undefined;
  /** Task incarnation: 1 at the first launch, +1 each time Marathon relaunches the same instance. */
  incarnation: number;
  /** Killed with `wipe=true`: Marathon forgets it, and a replacement gets a new instance id. */
  wiped: boolean;
  /** Whether readiness checks pass (true when the app has none). */
  ready: boolean;
  readinessChecked: boolean;
  timers: TimerHandle[];
}

export function hasHealthChecks(def: AppDefinition): boolean {
  return (def.healthChecks?.length ?? 0) > 0;
}

/** Not terminal: staging, starting, running or killing. */
export function isActive(i: Instance): boolean {
  return !TERMINAL_STATES.has(i.state);
}

/**
 * Healthy as a deployment counts it (notes section 1, "Our simulator's target"): all
 * health checks pass, or the task is running and has none; never while being killed.
 */
export function countsHealthy(i: Instance): boolean {
  if (i.goal !== "running" || i.state !== "TASK_RUNNING") return false;
  return hasHealthChecks(i.def) ? i.health?.alive === true : true;
}

/**
 * Marathon 1.10+'s `Instance.consideredHealthy` (core/instance/Instance.scala): true
 * without health or readiness checks in the instance's own definition; otherwise only
 * when Mesos reported the task healthy (`InstanceState.healthy`, computed from the task
 * status alone). Results of Marathon-run HTTP/HTTPS/TCP checks never get there.
 */
export function consideredHealthy(i: Instance): boolean {
  if (i.goal !== "running") return false;
  if (countedByMesosHealth(i.def) === "all") return true;
  return i.state === "TASK_RUNNING" && i.mesosHealthy === true;
}

export function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

/** lastSuccess of a steadily passing check: the latest check time not after now. */
function lastSuccessAt(h: HealthState, intervalMs: number, now: number): number | null {
  if (h.steadySince === null || intervalMs <= 0) return h.lastSuccess;
  return h.steadySince + Math.floor((now - h.steadySince) / intervalMs) * intervalMs;
}

/** The task as `/v2/apps/{id}/tasks` and `embed=apps.tasks` show it. */
export function taskJson(i: Instance, now: number): Task & Record<string, unknown> {
  const task: Task & Record<string, unknown> = {
    id: i.taskId,
    appId: i.appId,
    host: i.agent.hostname,
    slaveId: i.agent.id,
    ports: [...i.ports],
    ipAddresses: [{ ipAddress: i.agent.ip, protocol: "IPv4" }],
    stagedAt: iso(i.stagedAt),
    startedAt: iso(i.startedAt),
    state: i.state,
    version: i.version,
    servicePorts: (i.def.portDefinitions ?? []).map((p) => p.port),
    localVolumes: [],
    role: i.def.role ?? "*",
  };
  if (i.health) {
    const interval = (i.def.healthChecks?.[0]?.intervalSeconds ?? 60) * 1000;
    const h = i.health;
    const result: HealthCheckResult = {
      alive: h.alive === true,
      consecutiveFailures: h.consecutiveFailures,
      firstSuccess: iso(h.firstSuccess),
      lastSuccess: iso(lastSuccessAt(h, interval, now)),
      lastFailure: iso(h.lastFailure),
      lastFailureCause: h.lastFailureCause,
      instanceId: i.instanceId,
    };
    // Before the first check Marathon has no result to show.
    task.healthCheckResults = h.alive === undefined ? [] : (i.def.healthChecks ?? []).map(() => ({ ...result }));
  }
  return task;
}

/** A readiness check result as `/v2/deployments` and `embed=app.readiness` show it. */
export function readinessJson(i: Instance): ReadinessCheckResult[] {
  return (i.def.readinessChecks ?? []).map((rc) => ({
    name: rc.name ?? "readinessCheck",
    taskId: i.taskId,
    ready: i.ready,
    lastResponse: i.readinessChecked ? { status: i.ready ? 200 : 503, contentType: "application/json", body: i.ready ? '{"ready":true}' : '{"ready":false}' } : null,
  }));
}
