/**
 * Time as a dependency (STYLE.md rule 1). The core never reads the clock; adapters
 * and commands get one of these, so tests can run on the simulator's virtual clock.
 */
export interface Clock {
  /** Milliseconds since the epoch, real or virtual. */
  now(): number;
  /** Resolves after `ms` of this clock's time; rejects with the signal's reason if aborted. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}
