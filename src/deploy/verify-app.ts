/**
 * What "done" means for mdeploy: the app has the version the PUT returned, and
 * as many healthy (and ready) tasks of that configuration as it has instances,
 * with no task of another configuration left. Pure.
 */
import { isTaskHealthy } from "../core/task-health.js";
import { isLiveTask } from "../core/task-states.js";
import type { AppStatus, Task } from "../marathon/types.js";

export interface AppCounts {
  /** Tasks of the target configuration that are running, healthy and ready. */
  healthyNew: number;
  /** Tasks of the target configuration in any live state. */
  runningNew: number;
  /** Live tasks of other configurations. */
  runningOld: number;
  instances: number;
}

/**
 * A task belongs to the target when it was launched at or after the target's
 * configuration change: a scale-only deploy leaves earlier tasks (same
 * configuration, older version stamp) in place.
 */
function isTargetTask(task: Task, app: AppStatus, version: string): boolean {
  const configSince = app.version === version ? (app.versionInfo?.lastConfigChangeAt ?? version) : version;
  return task.version === version || task.version >= configSince;
}

/** Healthy: every health check alive (or none defined and RUNNING). Ready: no readiness result says otherwise. */
export function isHealthyAndReady(task: Task, app: AppStatus): boolean {
  if (!isTaskHealthy(app, task)) return false;
  const readiness = (app.readinessCheckResults ?? []).filter((r) => r.taskId === task.id);
  return readiness.every((r) => r.ready);
}

/** Counts of new and old tasks. */
export function countTasks(app: AppStatus, version: string): AppCounts {
  const counts: AppCounts = { healthyNew: 0, runningNew: 0, runningOld: 0, instances: app.instances ?? 1 };
  for (const task of app.tasks ?? []) {
    if (!isLiveTask(task)) continue;
    if (isTargetTask(task, app, version)) {
      counts.runningNew++;
      if (isHealthyAndReady(task, app)) counts.healthyNew++;
    } else counts.runningOld++;
  }
  return counts;
}

/** Verified: the version is the target's, healthy+ready tasks of it equal instances, nothing else runs. */
export function isVerified(app: AppStatus, version: string): boolean {
  if (app.version !== version) return false;
  const c = countTasks(app, version);
  return c.healthyNew === c.instances && c.runningNew === c.instances && c.runningOld === 0;
}

/**
 * The version whose tasks serve the app: its own when it runs it; otherwise (a
 * cancelled deployment left its definition over tasks of an older one) the one
 * every healthy task runs, when they agree. What a failed deploy restores.
 */
export function servingVersion(app: AppStatus): string {
  if (isVerified(app, app.version)) return app.version;
  const versions = new Set((app.tasks ?? []).filter((t) => isLiveTask(t) && isHealthyAndReady(t, app)).map((t) => t.version));
  const [only] = versions;
  return versions.size === 1 && only !== undefined ? only : app.version;
}
