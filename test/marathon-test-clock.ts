/**
 * A Clock for the Marathon/Mesos adapter tests. `sleep` does not wait for real:
 * it records the delay, moves `now` forward and resolves on the next tick, so
 * retry backoff and poll intervals cost no wall time while their order stays real.
 */
import type { Clock } from "../src/core/clock.js";

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
