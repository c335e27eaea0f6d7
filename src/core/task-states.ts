// Twin of src/sim/instance.ts (task states, kept twice on purpose: src/sim/README.md "Twins"); cross-checked by test/task-states.test.ts.
/**
 * Mesos task states as mdeploy's product code reads them: one definition for the
 * planner, the deploy follower, the verifier and the report, so they cannot
 * disagree on a state again (they once did on TASK_DROPPED and TASK_GONE). The
 * simulator keeps its own sets on purpose (the twin named above).
 *
 * Partition-aware Mesos (Marathon 1.4+) adds TASK_DROPPED, TASK_UNREACHABLE,
 * TASK_GONE, TASK_GONE_BY_OPERATOR and TASK_UNKNOWN to the classic states.
 * TASK_UNREACHABLE is not terminal: the agent may come back with the task.
 */

/** Launched, not yet running: what the report calls "staged". */
export const STARTING_TASK_STATES: ReadonlySet<string> = new Set(["TASK_STAGING", "TASK_STARTING"]);

/** The task holds its resources and counts as an instance: starting, running, or being killed (resources are freed only once it is gone). */
export const LIVE_TASK_STATES: ReadonlySet<string> = new Set([...STARTING_TASK_STATES, "TASK_RUNNING", "TASK_KILLING"]);

/** Ended by a failure of the task or of where it ran (not by a kill or a clean exit): these count towards a crash loop. */
export const FAILED_TASK_STATES: ReadonlySet<string> = new Set(["TASK_FAILED", "TASK_ERROR", "TASK_LOST", "TASK_DROPPED", "TASK_GONE", "TASK_GONE_BY_OPERATOR"]);

/** Ended for good: a failure, a kill, or a clean exit. */
export const TERMINAL_TASK_STATES: ReadonlySet<string> = new Set([...FAILED_TASK_STATES, "TASK_KILLED", "TASK_FINISHED"]);

/**
 * Whether a task is live. Marathon leaves `state` out for tasks it has not heard
 * about from Mesos yet (just launched), so a missing state counts as live.
 */
export function isLiveTask(task: { state?: string | undefined }): boolean {
  return task.state === undefined || LIVE_TASK_STATES.has(task.state);
}
