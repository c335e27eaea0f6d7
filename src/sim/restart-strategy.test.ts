import { describe, expect, it } from "vitest";
import { computeRestartStrategy, restartLaunchCount } from "./restart-strategy.js";
import { restartCountsOf } from "./cluster-spec.js";

describe("computeRestartStrategy", () => {
  const base = { activeInstances: 3, consideredInstances: 3 };
  it.each([
    // N=3 examples from the notes.
    [3, 1, 1, { minHealthy: 3, maxCapacity: 6, killNow: 0 }],
    [3, 0.5, 0, { minHealthy: 2, maxCapacity: 3, killNow: 1 }],
    [3, 1, 0, { minHealthy: 3, maxCapacity: 4, killNow: 0 }],
    [3, 0, 0, { minHealthy: 0, maxCapacity: 3, killNow: 3 }],
  ])("N=%i mhc=%f moc=%f", (n, mhc, moc, expected) => {
    expect(computeRestartStrategy({ ...base, newInstances: n, minimumHealthCapacity: mhc, maximumOverCapacity: moc })).toEqual(expected);
  });

  it("uses floating-point ceil and floor like Marathon", () => {
    const s = computeRestartStrategy({ newInstances: 25, minimumHealthCapacity: 0.28, maximumOverCapacity: 0.16, activeInstances: 25, consideredInstances: 25 });
    expect(s.minHealthy).toBe(8);
    expect(s.maxCapacity).toBe(28);
  });

  it("kills one more instead of launching one more for resident apps", () => {
    const s = computeRestartStrategy({ newInstances: 2, minimumHealthCapacity: 1, maximumOverCapacity: 0, activeInstances: 2, consideredInstances: 2, resident: true });
    expect(s).toEqual({ minHealthy: 2, maxCapacity: 2, killNow: 1 });
  });

  it("counts only healthy instances when some are unhealthy", () => {
    const s = computeRestartStrategy({ newInstances: 4, minimumHealthCapacity: 0.5, maximumOverCapacity: 0, activeInstances: 4, consideredInstances: 2 });
    expect(s.killNow).toBe(0);
  });

  it("kills the surplus when the new count is smaller", () => {
    const s = computeRestartStrategy({ newInstances: 2, minimumHealthCapacity: 1, maximumOverCapacity: 1, activeInstances: 5, consideredInstances: 5 });
    expect(s.killNow).toBe(3);
  });
});

describe("restartLaunchCount", () => {
  it("never exceeds the capacity or the target", () => {
    expect(restartLaunchCount(3, 6, 3, 0)).toBe(3);
    expect(restartLaunchCount(3, 4, 3, 0)).toBe(1);
    expect(restartLaunchCount(3, 4, 3, 1)).toBe(0);
    expect(restartLaunchCount(3, 3, 0, 0)).toBe(3);
    expect(restartLaunchCount(3, 3, 5, 0)).toBe(0);
  });
});

describe("restartCountsOf: the rule follows the reported Marathon version unless set", () => {
  it.each([
    [undefined, undefined, "mesos-health"],
    ["1.11.24", undefined, "mesos-health"],
    ["1.10.5", undefined, "mesos-health"],
    ["v1.10.26", undefined, "mesos-health"],
    ["1.9.x", undefined, "active"],
    ["1.4.13", undefined, "active"],
    ["not a version", undefined, "mesos-health"],
    ["1.11.24", "any-health", "any-health"],
    ["1.9.109", "mesos-health", "mesos-health"],
  ] as const)("version %s, restartCounts %s: %s", (version, restartCounts, expected) => {
    expect(restartCountsOf({ ...(version ? { version } : {}), ...(restartCounts ? { restartCounts } : {}) })).toBe(expected);
  });
});
