/**
 * A Clock for the Marathon/Mesos adapter tests. `sleep` does not wait for real:
 * it records the delay, moves `now` forward and resolves on the next tick, so
 * retry backoff and poll intervals cost no wall time while their order stays real.
 */
import type { Clock } from "../src/core/ports/clock.js";

export interface RecordingClock extends Clock {
  /** Every delay asked for, in order. */
  readonly sleeps: number[];
}

export function createInstantClock(start = Date.UTC(2026, 0, 1)): RecordingClock {
  let now = start;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => now,
    sleep(ms, signal) {
      sleeps.push(ms);
      return new Promise<void>((resolve, reject) => {
        if (signal?.aborted) {
          reject(signal.reason);
          return;
        }
        // A macrotask, so loops that sleep still let sockets and timers run.
        setImmediate(() => {
          now += ms;
          if (signal?.aborted) reject(signal.reason);
          else resolve();
        });
      });
    },
  };
}

export interface ManualClock extends RecordingClock {
  /** Sleeps not yet over. */
  readonly pending: number;
  /** Moves time forward, waking every sleep that ends on the way, in order. */
  advance(ms: number): Promise<void>;
}

/** A Clock whose sleeps end only when the test advances it. */
export function createManualClock(start = Date.UTC(2026, 0, 1)): ManualClock {
  let now = start;
  const sleeps: number[] = [];
  const timers = new Set<{ at: number; wake: () => void }>();
  const tick = () => new Promise<void>((resolve) => setImmediate(resolve));
  return {
    sleeps,
    now: () => now,
    get pending() {
      return timers.size;
    },
    sleep(ms, signal) {
      sleeps.push(ms);
      return new Promise<void>((resolve, reject) => {
        if (signal?.aborted) {
          reject(signal.reason);
          return;
        }
        const timer = { at: now + ms, wake: () => resolve() };
        timers.add(timer);
        signal?.addEventListener(
          "abort",
          () => {
            if (timers.delete(timer)) reject(signal.reason);
          },
          { once: true },
        );
      });
    },
    async advance(ms) {
      const end = now + ms;
      for (;;) {
        const due = [...timers].filter((t) => t.at <= end).sort((a, b) => a.at - b.at)[0];
        if (!due) break;
        now = Math.max(now, due.at);
        timers.delete(due);
        due.wake();
        await tick();
      }
      now = end;
      await tick();
    },
  };
}
