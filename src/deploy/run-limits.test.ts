import { describe, expect, it } from "vitest";
import type { Clock } from "../core/ports/clock.js";
import { VirtualClock } from "../sim/virtual-clock.js";
import { startRunLimits } from "./run-limits.js";

/** A "real" clock whose margin passes at once, so only the cluster clock decides. */
const noMargin: Clock = { now: () => 0, sleep: async () => undefined };

/** Lets the promise chains behind the timers settle. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe("run limits", () => {
  it("stops following at the deployment's deadline and the clean-up at the command's", async () => {
    const clock = new VirtualClock();
    const start = clock.now();
    const limits = startRunLimits(clock, start + 600_000, start + 900_000, 20_000, undefined, noMargin);
    await clock.advance(599_000);
    await settle();
    expect([limits.follow.aborted, limits.cleanup.aborted]).toEqual([false, false]);
    await clock.advance(2_000);
    await settle();
    expect([limits.follow.aborted, limits.cleanup.aborted]).toEqual([true, false]);
    expect(limits.cleanupDeadline()).toBe(start + 900_000);
    await clock.advance(300_000);
    await settle();
    expect(limits.cleanup.aborted).toBe(true);
    limits.dispose();
  });

  it("a first signal stops following and bounds the clean-up by the grace; a second stops it at once", async () => {
    const clock = new VirtualClock();
    const first = new AbortController();
    const second = new AbortController();
    const limits = startRunLimits(clock, clock.now() + 600_000, clock.now() + 900_000, 20_000, { first: first.signal, second: second.signal }, noMargin);
    first.abort("SIGTERM");
    expect(limits.follow.aborted).toBe(true);
    expect(limits.interruptedBy()).toBe("SIGTERM");
    expect(limits.cleanupDeadline()).toBe(clock.now() + 20_000);
    second.abort("SIGTERM");
    expect(limits.cleanup.aborted).toBe(true);
    limits.dispose();
  });

  it("without a second signal the clean-up ends when the grace does", async () => {
    const clock = new VirtualClock();
    const first = new AbortController();
    const limits = startRunLimits(clock, clock.now() + 600_000, clock.now() + 900_000, 20_000, { first: first.signal, second: new AbortController().signal }, noMargin);
    first.abort("SIGINT");
    await clock.advance(19_000);
    await settle();
    expect(limits.cleanup.aborted).toBe(false);
    await clock.advance(2_000);
    await settle();
    expect(limits.cleanup.aborted).toBe(true);
    limits.dispose();
  });
});
