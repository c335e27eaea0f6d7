/**
 * When a deploy or rollback must stop: its time is up (`--timeout` for the
 * deployment, then a stated grace for the rollback), or a person or CI sent
 * SIGINT/SIGTERM (the first asks for a bounded clean-up, the second for an
 * exit at once). Stops are AbortSignals, so in-flight reads end with them and
 * a Marathon that stalls every answer cannot hold the command past its bound.
 */
import type { Clock } from "../core/ports/clock.js";
import { systemClock } from "../host/system-clock.js";

/** SIGINT/SIGTERM as the engine sees them; the CLI adapter turns process signals into these. */
export interface Interrupts {
  /** Aborted at the first signal; its reason is the signal's name. */
  readonly first: AbortSignal;
  /** Aborted at the second signal: stop everything and report. */
  readonly second: AbortSignal;
}

/** What to do with our deployment when interrupted. */
export type OnInterrupt = "rollback" | "leave";

/** Default bound on the clean-up after a first signal (CI runners usually SIGKILL 30 s after SIGTERM). */
export const DEFAULT_INTERRUPT_GRACE_MS = 20_000;

/**
 * Real time a deadline waits before it cancels reads in flight: an answer already
 * on its way (a deployment that just succeeded) still counts. On the wall clock
 * this adds 2 s to the bound; on the simulator's fast clock it keeps a moment of
 * machine load from turning a finished deployment into a timeout.
 */
const STOP_MARGIN_MS = 2_000;

export interface RunLimits {
  /** Ends following our deployment: its deadline passed, or the first signal came. */
  readonly follow: AbortSignal;
  /** Ends the clean-up (rollback): the command's deadline, the interrupt grace after a first signal, or a second signal. */
  readonly cleanup: AbortSignal;
  /** The signal's name once one came. */
  interruptedBy(): string | undefined;
  /** Ends the rollback's wait: the earlier of the command's deadline and the interrupt grace. */
  cleanupDeadline(): number;
  /** Stops the timers. */
  dispose(): void;
}

/**
 * Starts the clocks: our deployment may run until `deployDeadline`, the whole
 * command until `commandDeadline`; after a first signal the clean-up gets
 * `interruptGraceMs` more at most.
 */
export function startRunLimits(clock: Clock, deployDeadline: number, commandDeadline: number, interruptGraceMs: number, interrupts?: Interrupts, realClock: Clock = systemClock): RunLimits {
  const follow = new AbortController();
  const cleanup = new AbortController();
  const timers = new AbortController();
  let graceEnds = Infinity;
  const at = (deadline: number, then: () => void) => {
    clock
      .sleep(Math.max(0, deadline - clock.now()), timers.signal)
      .then(() => realClock.sleep(STOP_MARGIN_MS, timers.signal))
      .then(then, () => undefined);
  };
  at(deployDeadline, () => follow.abort("deadline"));
  at(commandDeadline, () => cleanup.abort("deadline"));
  const onFirst = () => {
    follow.abort(interrupts?.first.reason);
    graceEnds = clock.now() + interruptGraceMs;
    at(graceEnds, () => cleanup.abort("interrupt grace"));
  };
  const onSecond = () => cleanup.abort(interrupts?.second.reason);
  if (interrupts?.first.aborted) onFirst();
  else interrupts?.first.addEventListener("abort", onFirst, { once: true });
  if (interrupts?.second.aborted) onSecond();
  else interrupts?.second.addEventListener("abort", onSecond, { once: true });
  return {
    follow: follow.signal,
    cleanup: cleanup.signal,
    interruptedBy: () => (interrupts?.first.aborted ? String(interrupts.first.reason) : undefined),
    cleanupDeadline: () => Math.min(commandDeadline, graceEnds),
    dispose: () => {
      timers.abort();
      interrupts?.first.removeEventListener("abort", onFirst);
      interrupts?.second.removeEventListener("abort", onSecond);
    },
  };
}
