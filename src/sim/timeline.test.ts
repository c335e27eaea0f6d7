import { describe, expect, it } from "vitest";
import { Timeline } from "./timeline.js";

describe("Timeline.samples", () => {
  it("counts active and healthy instances per moment, folding one instant into one sample", () => {
    const t = new Timeline();
    const base = { appId: "/a", version: "v1" };
    t.record({ ...base, t: 0, kind: "launch", instanceId: "i1", hasChecks: true });
    t.record({ ...base, t: 1, kind: "state", instanceId: "i1", state: "TASK_RUNNING" });
    t.record({ ...base, t: 2, kind: "health", instanceId: "i1", healthy: true });
    t.record({ ...base, t: 3, kind: "launch", instanceId: "i2", version: "v2", hasChecks: false });
    t.record({ ...base, t: 4, kind: "state", instanceId: "i2", version: "v2", state: "TASK_RUNNING" });
    // A kill answered in the same instant shows no dip.
    t.record({ ...base, t: 4, kind: "kill", instanceId: "i1" });
    t.record({ ...base, t: 5, kind: "state", instanceId: "i1", state: "TASK_KILLED" });
    t.record({ appId: "/other", version: "x", t: 6, kind: "launch", instanceId: "o1" });
    expect(t.samples("/a").map((s) => [s.t, s.active, s.healthy])).toEqual([
      [0, 1, 0],
      [1, 1, 0],
      [2, 1, 1],
      [3, 2, 1],
      [4, 2, 1],
      [5, 1, 1],
    ]);
    expect(t.samples("/a", 4)[0]?.healthyByVersion).toEqual({ v2: 1 });
    expect(t.extremes("/a", 3)).toEqual({ minHealthy: 1, maxActive: 2 });
  });

  it("stays bounded", () => {
    const t = new Timeline(100);
    for (let i = 0; i < 1000; i++) t.record({ t: i, kind: "deployment", appId: "/a", version: "v" });
    expect(t.entries.length).toBeLessThanOrEqual(100);
    expect(t.entries.at(-1)?.t).toBe(999);
  });
});
