/**
 * SIGINT/SIGTERM as {@link Interrupts} for the deploy engine: a cancelled CI job,
 * a stopped container and a person's Ctrl-C arrive as one of these, usually
 * followed by SIGKILL after a grace period. While listening, Node's default
 * (exit at once, saying nothing) is replaced: the first signal asks for a
 * bounded clean-up, the second for stopping at once; the engine still reports.
 */
import type { Output } from "../core/ports/output.js";
import type { Interrupts } from "../deploy/run-limits.js";

const SIGNALS = ["SIGINT", "SIGTERM"] as const;

/** Listens until `dispose()`; says on stderr that the signal was heard. */
export function listenForInterrupts(output: Output): { interrupts: Interrupts; dispose(): void } {
  const first = new AbortController();
  const second = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    if (!first.signal.aborted) {
      output.warn(`${signal} received: stopping (a second signal stops at once)`);
      first.abort(signal);
    } else if (!second.signal.aborted) {
      output.warn(`second signal (${signal}): stopping at once`);
      second.abort(signal);
    }
  };
  for (const signal of SIGNALS) process.on(signal, onSignal);
  return {
    interrupts: { first: first.signal, second: second.signal },
    dispose: () => {
      for (const signal of SIGNALS) process.off(signal, onSignal);
    },
  };
}
