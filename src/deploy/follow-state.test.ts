import { describe, expect, it } from "vitest";
import type { AppStatus, MarathonEvent, Task } from "../marathon/types.js";
import { crashLoopReason, initialFollowState, judgePoll, noteFallback, readEvents, type FollowTarget, type PollMoment } from "./follow-state.js";

const OLD = "2026-01-01T00:00:00.000Z";
const NEW = "2026-01-01T00:10:00.000Z";
const target: FollowTarget = { appId: "/a", deploymentId: "d-1", version: NEW, maxTaskFailures: 3, maxUnhealthyKills: 2 };

function app(version: string, taskVersion: string): AppStatus {
  const task: Task = { id: `t-${taskVersion}`, appId: "/a", host: "h", ports: [], stagedAt: null, startedAt: taskVersion, version: taskVersion, state: "TASK_RUNNING" };
  return { id: "/a", instances: 1, version, tasksStaged: 0, tasksRunning: 1, tasksHealthy: 0, tasksUnhealthy: 0, deployments: [], tasks: [task] };
}

const failed = (n: number): MarathonEvent => ({ eventType: "status_update_event", taskId: `t${n}`, taskStatus: "TASK_FAILED", appId: "/a", host: "h", version: NEW });
const openStream = (moment: Partial<PollMoment> = {}): PollMoment => ({ now: 10_000, realNow: 0, deadline: 600_000, stream: { interrupted: false, open: true, unread: false }, ...moment });

describe("follow state", () => {
  it("reading events stops at the crash-loop threshold and says each failure once", () => {
    const events = [failed(1), failed(1), failed(2), failed(3), failed(4), failed(5)];
    const read = readEvents(initialFollowState(), events, target);
    expect(read.state.cursor).toBe(4);
    expect(read.notes).toEqual(["task t1 on h: TASK_FAILED", "task t2 on h: TASK_FAILED", "task t3 on h: TASK_FAILED"]);
    expect(crashLoopReason(read.state, target)).toBe("the new version keeps failing (3 task failures)");
  });

  it("the fallback is said once", () => {
    const first = noteFallback(initialFollowState(), "event stream: dropped");
    expect(first.notes).toHaveLength(1);
    expect(noteFallback(first.state, "event stream: dropped again").notes).toEqual([]);
  });

  it("a deployment gone from an open stream waits for its end event in real time, then treats the silence as a gap", () => {
    const poll = { app: app(NEW, NEW), deployments: [] };
    const waiting = judgePoll(initialFollowState(), poll, target, openStream({ realNow: 0 }));
    expect(waiting.step).toEqual({ kind: "await-event", realMs: 2_000 });
    const silent = judgePoll(waiting.state, poll, target, openStream({ realNow: 2_000 }));
    expect(silent.step).toEqual({ kind: "again" });
    expect(silent.state.endEventLost).toBe(true);
    expect(silent.notes[0]).toMatch(/^deployment d-1 ended but its deployment_success or deployment_failed did not arrive/);
    // Now a gap: the verified state alone is success.
    expect(judgePoll(silent.state, poll, target, openStream({ realNow: 2_100 })).step).toMatchObject({ kind: "success", verifiedBy: "state" });
  });

  it("a deployment gone during a gap with the app not verified fails only after the grace", () => {
    const poll = { app: app(NEW, OLD), deployments: [] };
    const gap = { interrupted: true, open: false, unread: false };
    const first = judgePoll(initialFollowState(), poll, target, openStream({ now: 10_000, stream: gap }));
    expect(first.step).toEqual({ kind: "wait" });
    expect(judgePoll(first.state, poll, target, openStream({ now: 12_000, stream: gap })).step).toMatchObject({ kind: "failed", reason: "the deployment ended without deployment_success (cancelled or replaced)" });
  });

  it("a stream that dropped while the poll was out is said before a verdict leans on the state alone", () => {
    const poll = { app: app(NEW, NEW), deployments: [] };
    const stream = { interrupted: true, open: false, unread: false, gapReason: "the event stream sent a deployment_success mdeploy cannot trust (/id: is missing)" };
    const judged = judgePoll(initialFollowState(), poll, target, openStream({ stream }));
    expect(judged.step).toMatchObject({ kind: "success", verifiedBy: "state" });
    expect(judged.notes).toEqual(["event stream: the event stream sent a deployment_success mdeploy cannot trust (/id: is missing); following by polling every 500 ms and verifying from the app's state"]);
  });
});
