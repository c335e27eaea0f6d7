import { describe, expect, it } from "vitest";
import { isTaskHealthy } from "./task-health.js";
import type { AppStatus, Task } from "../marathon/types.js";

const V2 = "2026-01-02T00:00:00.000Z";

function task(id: string, version: string, alive: boolean | undefined, state: Task["state"] = "TASK_RUNNING"): Task {
  return {
    id,
    appId: "/web",
    host: "agent",
    ports: [],
    stagedAt: null,
    startedAt: "2026-01-02T00:00:01.000Z",
    state,
    version,
    ...(alive === undefined ? {} : { healthCheckResults: [{ alive, consecutiveFailures: 0, firstSuccess: null, lastSuccess: null, lastFailure: null }] }),
  };
}

function app(version: string, tasks: Task[], extra: Partial<AppStatus> = {}): AppStatus {
  return {
    id: "/web",
    version,
    instances: 2,
    healthChecks: [{ protocol: "HTTP" }],
    tasksStaged: 0,
    tasksRunning: tasks.length,
    tasksHealthy: 0,
    tasksUnhealthy: 0,
    deployments: [],
    tasks,
    ...extra,
  };
}

describe("isTaskHealthy", () => {
  it("wants every health check result alive", () => {
    const status = app(V2, []);
    expect(isTaskHealthy(status, task("a", V2, true))).toBe(true);
    expect(isTaskHealthy(status, task("b", V2, false))).toBe(false);
  });

  it("counts TASK_RUNNING as healthy for an app without health checks, and nothing else", () => {
    const status = app(V2, [], { healthChecks: [] });
    expect(isTaskHealthy(status, task("a", V2, undefined))).toBe(true);
    expect(isTaskHealthy(status, task("b", V2, undefined, "TASK_STAGING"))).toBe(false);
  });

  it("does not count a task with health checks but no results yet", () => {
    expect(isTaskHealthy(app(V2, []), task("a", V2, undefined))).toBe(false);
  });
});
