import { describe, expect, it } from "vitest";
import { replayObservations, type Observation, type PolledInstance } from "./replay-counts.js";

const options = { launchedByEvent: new Set<string>(), endedByEvent: new Set<string>(), healthyWhenRunning: () => false };
const polled = (key: string, version: string, state: PolledInstance["state"], healthy: boolean, launchedDuringRun = false): PolledInstance => ({ key, taskId: `${key}._app.1`, host: "a1", version, state, healthy, launchedDuringRun });

describe("replayObservations", () => {
  it("puts an event that arrived after a newer poll where it happened, instead of rewinding the poll", () => {
    const observations: Observation[] = [
      { type: "poll", t: 100, answeredAt: 101, instances: [polled("i1", "v2", "running", true)] },
      // Arrived late: the stream lagged behind the poll.
      { type: "state", t: 50, key: "i1", version: "v2", state: "staged" },
      { type: "state", t: 60, key: "i1", version: "v2", state: "running" },
    ];
    const { samples } = replayObservations(observations, { ...options, launchedByEvent: new Set(["i1"]) });
    expect(samples.map((s) => [s.t, s.byVersion.v2])).toEqual([
      [50, { healthy: 0, running: 0, staged: 1 }],
      [60, { healthy: 0, running: 1, staged: 0 }],
      [100, { healthy: 1, running: 1, staged: 0 }],
    ]);
  });

  it("a poll that no longer lists an instance ends it, with a row only when no event said so; a launch only polling saw gets a row", () => {
    const observations: Observation[] = [
      { type: "poll", t: 10, answeredAt: 11, instances: [polled("i1", "v1", "running", true), polled("i2", "v1", "running", true), polled("i3", "v2", "staged", false, true)] },
      { type: "state", t: 15, key: "i1", version: "v1", state: "gone" },
      { type: "poll", t: 20, answeredAt: 21, instances: [polled("i3", "v2", "running", true, true)] },
    ];
    const { samples, rows } = replayObservations(observations, { ...options, endedByEvent: new Set(["i1"]) });
    expect(samples.at(-1)).toEqual({ t: 20, byVersion: { v1: { healthy: 0, running: 0, staged: 0 }, v2: { healthy: 1, running: 1, staged: 0 } } });
    expect(rows).toEqual([
      { t: 11, kind: "launch", version: "v2", text: "task i3._app.1 on a1 launched (seen by polling)" },
      { t: 21, kind: "kill", version: "v1", text: "instance i2 is gone (seen by polling)" },
    ]);
  });

  it("running counts healthy only after a passing check, unless the version has no checks", () => {
    const run = (healthyWhenRunning: boolean) =>
      replayObservations(
        [
          { type: "state", t: 1, key: "i1", version: "v1", state: "running" },
          { type: "health", t: 2, key: "i1", healthy: true },
          { type: "state", t: 3, key: "i1", version: "v1", state: "running", healthy: false },
        ],
        { ...options, healthyWhenRunning: () => healthyWhenRunning },
      ).samples.map((s) => s.byVersion.v1?.healthy);
    expect(run(false)).toEqual([0, 1, 0]);
    expect(run(true)).toEqual([1, 0]);
  });
});
