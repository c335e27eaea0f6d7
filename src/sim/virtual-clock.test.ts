import { describe, expect, it } from "vitest";
import { DEFAULT_CLOCK_START, VirtualClock } from "./virtual-clock.js";

describe("VirtualClock step mode", () => {
  it("fires timers in time order, ties in scheduling order", async () => {
    const clock = new VirtualClock();
    const fired: string[] = [];
    clock.schedule(300, () => fired.push("c"));
    clock.schedule(100, () => fired.push("a"));
    clock.schedule(100, () => fired.push("b"));
    await clock.advance(250);
    expect(fired).toEqual(["a", "b"]);
    expect(clock.now()).toBe(DEFAULT_CLOCK_START + 250);
    await clock.advance(50);
    expect(fired).toEqual(["a", "b", "c"]);
  });

  it("resolves sleep and lets promise chains continue between instants", async () => {
    const clock = new VirtualClock({ start: 0 });
    const seen: number[] = [];
    const loop = (async () => {
      for (let i = 0; i < 3; i++) {
        await clock.sleep(1000);
        seen.push(clock.now());
      }
    })();
    await clock.advance(5000);
    await loop;
    expect(seen).toEqual([1000, 2000, 3000]);
  });

  it("rejects sleep when aborted and cancels its timer", async () => {
    const clock = new VirtualClock({ start: 0 });
    const controller = new AbortController();
    const sleeping = clock.sleep(1000, controller.signal);
    controller.abort(new Error("stop"));
    await expect(sleeping).rejects.toThrow("stop");
    expect(clock.pending).toBe(0);
  });

  it("runUntil stops as soon as the predicate holds, or at maxMs", async () => {
    const clock = new VirtualClock({ start: 0 });
    let flag = false;
    clock.schedule(4000, () => (flag = true));
    expect(await clock.runUntil(() => flag, { maxMs: 10_000 })).toBe(true);
    expect(clock.now()).toBe(4000);
    expect(await clock.runUntil(() => false, { maxMs: 1000 })).toBe(false);
    expect(clock.now()).toBe(5000);
  });
});

describe("VirtualClock speed mode", () => {
  it("runs N simulated seconds per real second and fires timers on time", async () => {
    const clock = new VirtualClock({ start: 0, speed: 1000 });
    const started = performance.now();
    await clock.sleep(200_000);
    const realMs = performance.now() - started;
    expect(clock.now()).toBeGreaterThanOrEqual(200_000);
    expect(realMs).toBeGreaterThanOrEqual(150);
    expect(realMs).toBeLessThan(2000);
    clock.stop();
  });

  it("never runs past a timer that has not fired", () => {
    const clock = new VirtualClock({ start: 0, speed: 1_000_000 });
    const timer = clock.schedule(5, () => undefined);
    const spin = performance.now();
    while (performance.now() - spin < 5) {
      // busy wait: the real timer cannot fire, so time must stop at the timer
    }
    expect(clock.now()).toBe(timer.at);
    clock.stop();
  });

  it("counts a stretch in which the event loop did not run as a short gap, so a starved client is not overtaken", () => {
    const clock = new VirtualClock({ start: 0, speed: 1000 });
    const before = clock.now();
    const spin = performance.now();
    while (performance.now() - spin < 300) {
      // busy wait: what a starved process on a loaded machine looks like from inside
    }
    // 300 real ms would be 300 simulated seconds; a gap counts as at most 40 ms (40 s here).
    expect(clock.now() - before).toBeLessThanOrEqual(60_000);
    clock.stop();
  });
});
