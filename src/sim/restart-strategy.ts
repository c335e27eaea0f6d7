// Twin of src/plan/simulate-upgrade.ts (restart arithmetic, kept twice on purpose: src/sim/README.md "Twins"); cross-checked by test/deploy-trap.test.ts and test/plan-cli.test.ts.
/**
 * The rolling-restart arithmetic of Marathon 1.10/1.11 (TaskReplaceActor
 * `computeRestartStrategy`), as notes/marathon-semantics.md section 1 gives it.
 * Pure: counts in, counts out.
 */

export interface RestartInput {
  /** Target instance count of the new version. */
  newInstances: number;
  minimumHealthCapacity: number;
  maximumOverCapacity: number;
  /** Active (goal running) instances of every version. */
  activeInstances: number;
  /** Of those, the ones Marathon 1.10+ counts: healthy ones, or all when the app has no health checks. */
  consideredInstances: number;
  /** Resident apps (persistent volumes) kill one more instead of launching one more. */
  resident?: boolean;
}

export interface RestartStrategy {
  /** ceil(N x minimumHealthCapacity). */
  minHealthy: number;
  /** floor(N x (1 + maximumOverCapacity)), plus one under the "+1 rule". */
  maxCapacity: number;
  /** Old instances to kill at the start of the step. */
  killNow: number;
}

/** Floating-point arithmetic on purpose: Marathon computes with doubles (ceil(25 x 0.28) is 8). */
export function computeRestartStrategy(input: RestartInput): RestartStrategy {
  const n = input.newInstances;
  const minHealthy = Math.ceil(n * input.minimumHealthCapacity);
  let maxCapacity = Math.floor(n * (1 + input.maximumOverCapacity));
  const considered = input.consideredInstances;
  let killNow = Math.max(0, considered - minHealthy);
  if (minHealthy === maxCapacity && maxCapacity <= considered) {
    // Without one extra slot (or one extra kill) the restart could never make progress.
    if (input.resident) killNow = considered - minHealthy + 1;
    else maxCapacity += 1;
  }
  if (n < input.activeInstances) killNow = Math.max(killNow, input.activeInstances - n);
  return { minHealthy, maxCapacity, killNow };
}

/**
 * How many more new instances to queue now: min(N - started, max(0, maxCapacity -
 * oldActive - started)). `oldActive` drops only when an old task is terminal.
 */
export function restartLaunchCount(newInstances: number, maxCapacity: number, oldActive: number, started: number): number {
  return Math.max(0, Math.min(newInstances - started, Math.max(0, maxCapacity - oldActive - started)));
}
