/**
 * Task health as Marathon counts it for deployments. Pure, so the planner, the
 * deploy engine and the Marathon readings share one definition.
 */
import type { AppStatus, Task } from "../marathon/types.js";

/** What a person would call "is this task healthy", the way Marathon counts it for deployments. */
export function isTaskHealthy(app: Pick<AppStatus, "healthChecks">, task: Task): boolean {
  if (task.state !== undefined && task.state !== "TASK_RUNNING") return false;
  if (!app.healthChecks || app.healthChecks.length === 0) return task.state === "TASK_RUNNING" || (task.state === undefined && task.startedAt !== null);
  const results = task.healthCheckResults ?? [];
  return results.length > 0 && results.every((r) => r.alive);
}
