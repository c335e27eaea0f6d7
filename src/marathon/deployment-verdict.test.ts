import { describe, expect, it } from "vitest";
import { isSettledAt, judgeDeployment, versionHealth } from "./deployment-verdict.js";
import type { AppStatus, Deployment, Task } from "./types.js";

const V1 = "2026-01-01T00:00:00.000Z";
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

const deployment: Deployment = { id: "d-1", version: V2, affectedApps: ["/web"], affectedPods: [], steps: [], currentActions: [], currentStep: 1, totalSteps: 1 };

describe("versionHealth", () => {
  it("counts healthy and ready tasks of one version", () => {
    const status = app(V2, [task("a", V2, true), task("b", V2, false), task("c", V1, true)], {
      readinessCheckResults: [{ name: "ready", taskId: "a", ready: false }],
    });
    expect(versionHealth(status, V2)).toEqual({ version: V2, appVersion: V2, instances: 2, total: 2, healthy: 1, ready: 0, otherVersions: 1 });
  });

  it("counts TASK_RUNNING as healthy for an app without health checks", () => {
    const status = app(V2, [task("a", V2, undefined), task("b", V2, undefined, "TASK_STAGING")], { healthChecks: [] });
    expect(versionHealth(status, V2).healthy).toBe(1);
  });

  it("does not count a task with health checks but no results yet", () => {
    expect(versionHealth(app(V2, [task("a", V2, undefined)]), V2).healthy).toBe(0);
  });
});

describe("judgeDeployment", () => {
  const settled = app(V2, [task("a", V2, true), task("b", V2, true)]);
  const cases: { name: string; deployments: Deployment[]; app: AppStatus | undefined; state: string; reason?: RegExp }[] = [
    { name: "still listed: running", deployments: [deployment], app: settled, state: "running" },
    { name: "gone, at the version, all healthy: succeeded", deployments: [], app: settled, state: "succeeded" },
    { name: "gone, app back at the old version: failed (reverted)", deployments: [], app: app(V1, [task("a", V1, true), task("b", V1, true)]), state: "failed", reason: /is at version 2026-01-01T00:00:00.000Z, not 2026-01-02/ },
    { name: "gone, forced cancel left mixed versions: failed", deployments: [], app: app(V2, [task("a", V2, true), task("c", V1, true)]), state: "failed", reason: /1 of 2 instances .* and 1 of other versions/ },
    { name: "gone, another deployment runs on the app: failed (superseded)", deployments: [], app: app(V2, [], { deployments: [{ id: "d-9" }] }), state: "failed", reason: /deployment d-9 now runs/ },
    { name: "gone with the app: failed", deployments: [], app: undefined, state: "failed", reason: /no longer exists/ },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const verdict = judgeDeployment({ deploymentId: "d-1", version: V2, deployments: c.deployments, app: c.app });
      expect(verdict.state).toBe(c.state);
      if (c.reason) expect(verdict.state === "failed" ? verdict.reason : "").toMatch(c.reason);
    });
  }

  it("isSettledAt wants the version, every instance ready and nothing older", () => {
    expect(isSettledAt(settled, V2)).toBe(true);
    expect(isSettledAt(settled, V1)).toBe(false);
    expect(isSettledAt(app(V2, [task("a", V2, true)]), V2)).toBe(false);
  });
});
