import { describe, expect, it } from "vitest";
import { countTasks } from "../src/deploy/verify-app.js";
import type { AppStatus, Task } from "../src/marathon/types.js";
import { TERMINAL_STATES as SIMULATOR_TERMINAL_STATES } from "../src/sim/instance.js";
import { FAILED_TASK_STATES, isLiveTask, LIVE_TASK_STATES, STARTING_TASK_STATES, TERMINAL_TASK_STATES } from "../src/core/task-states.js";

const V = "2026-01-01T00:00:00.000Z";

function task(id: string, state: Task["state"]): Task {
  return { id, appId: "/a", host: "h", ports: [], stagedAt: null, startedAt: V, version: V, ...(state ? { state } : {}) };
}

describe("task states, one reading for the product", () => {
  it("every live state is neither failed nor terminal, and starting states are live", () => {
    for (const state of LIVE_TASK_STATES) expect(TERMINAL_TASK_STATES.has(state), state).toBe(false);
    for (const state of STARTING_TASK_STATES) expect(LIVE_TASK_STATES.has(state), state).toBe(true);
    for (const state of FAILED_TASK_STATES) expect(TERMINAL_TASK_STATES.has(state), state).toBe(true);
  });

  it("TASK_DROPPED and TASK_GONE are failures; TASK_UNREACHABLE is neither failed, terminal nor live (the agent may return)", () => {
    expect(FAILED_TASK_STATES.has("TASK_DROPPED")).toBe(true);
    expect(FAILED_TASK_STATES.has("TASK_GONE")).toBe(true);
    expect(TERMINAL_TASK_STATES.has("TASK_UNREACHABLE")).toBe(false);
    expect(isLiveTask({ state: "TASK_UNREACHABLE" })).toBe(false);
  });

  it("a task Marathon has not heard about from Mesos yet (no state) is live", () => {
    expect(isLiveTask({})).toBe(true);
    expect(isLiveTask({ state: undefined })).toBe(true);
  });

  it("the verifier counts live tasks only: a gone, dropped or killed task is no instance", () => {
    const app: AppStatus = { id: "/a", version: V, instances: 3, tasksStaged: 0, tasksRunning: 0, tasksHealthy: 0, tasksUnhealthy: 0, deployments: [], tasks: [task("a", "TASK_RUNNING"), task("b", undefined), task("c", "TASK_KILLING"), task("d", "TASK_GONE"), task("e", "TASK_DROPPED"), task("f", "TASK_KILLED")] };
    expect(countTasks(app, V).runningNew).toBe(3);
  });

  it("agrees with its twin in the simulator: every state the simulator treats as freeing resources is terminal here", () => {
    for (const state of SIMULATOR_TERMINAL_STATES) expect(TERMINAL_TASK_STATES.has(state), state).toBe(true);
    for (const state of LIVE_TASK_STATES) expect(SIMULATOR_TERMINAL_STATES.has(state as Task["state"] & string), state).toBe(false);
  });
});
