/**
 * The machine's own clock, the one implementation of the Clock port that reads
 * real time. It lives outside src/core so the core stays free of timers; the CLI,
 * the commands and the adapters default to it, tests pass a virtual clock instead.
 */
import type { Clock } from "../core/ports/clock.js";

/** The wall clock. */
export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      const timer = setTimeout(() => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      }, ms);
      const onAbort = () => {
        clearTimeout(timer);
        reject(signal?.reason);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
    }),
};
