import type { Clock } from "../core/ports/clock.js";

/** A scheduled callback on a {@link VirtualClock}. */
export interface TimerHandle {
  readonly at: number;
  cancelled: boolean;
}

interface Timer extends TimerHandle {
  seq: number;
  fn: () => void;
}

export interface VirtualClockOptions {
  /** Epoch milliseconds the clock starts at (default 2026-01-01T00:00:00Z, so runs are reproducible). */
  start?: number;
  /**
   * Simulated seconds per real second. 0 (the default) is step mode: time moves only
   * through {@link VirtualClock.advance} and {@link VirtualClock.runUntil}.
   */
  speed?: number;
}

/** Default start of simulated time: fixed so that two runs with one seed print the same timestamps. */
export const DEFAULT_CLOCK_START = Date.UTC(2026, 0, 1, 0, 0, 0);

/** Timers fired in one real tick of speed mode before the event loop gets a turn (HTTP must stay responsive). */
const MAX_TIMERS_PER_TICK = 20_000;

/**
 * Speed mode counts at most this much real time between two looks at the wall clock.
 * A longer gap means the event loop did not run (a starved process on a loaded machine,
 * or a long synchronous task): neither the simulator nor an in-process client made
 * progress, so simulated time must not run away from them either.
 */
const MAX_REAL_GAP_MS = 40;
/** How often speed mode looks at the wall clock, so that a gap can be told from a wait. */
const HEARTBEAT_MS = 10;

/**
 * Simulated time for the simulator and for anything that takes a {@link Clock}.
 *
 * Step mode (speed 0): `advance(ms)` and `runUntil(predicate)` fire timers in time
 * order, yielding to the event loop between distinct instants so promise chains that
 * wait on `sleep` make progress. Speed mode (speed N): time runs N times faster than
 * the wall clock, but never past a timer that has not fired yet, so callbacks always
 * observe a consistent `now()`. Real time in which the event loop did not run for more
 * than {@link MAX_REAL_GAP_MS} counts as that much only: a loaded machine slows
 * simulated time down instead of letting deadlines pass between a client's requests.
 */
export class VirtualClock implements Clock {
  private current: number;
  private readonly heap: Timer[] = [];
  private seq = 0;
  private speedFactor = 0;
  private realBase = 0;
  private virtualBase = 0;
  private realTimer: ReturnType<typeof setTimeout> | undefined;
  private heartbeat: ReturnType<typeof setInterval> | undefined;
  private lastRealLook = 0;
  private firing = false;
  private stopped = false;

  constructor(options: VirtualClockOptions = {}) {
    this.current = options.start ?? DEFAULT_CLOCK_START;
    if (options.speed && options.speed > 0) this.setSpeed(options.speed);
  }

  /** Simulated seconds per real second; 0 in step mode. */
  get speed(): number {
    return this.speedFactor;
  }

  now(): number {
    if (this.speedFactor > 0 && !this.firing) {
      const projected = this.virtualBase + this.countedRealMs() * this.speedFactor;
      const next = this.heap[0]?.at ?? Number.POSITIVE_INFINITY;
      // Never run ahead of a timer that is due but not fired yet.
      const candidate = Math.floor(Math.min(projected, next));
      if (candidate > this.current) this.current = candidate;
    }
    return this.current;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      const onAbort = () => {
        this.cancel(handle);
        reject(signal?.reason);
      };
      const handle = this.schedule(Math.max(0, ms), () => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      });
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  /** Runs `fn` after `delayMs` of simulated time. */
  schedule(delayMs: number, fn: () => void): TimerHandle {
    return this.scheduleAt(this.now() + Math.max(0, delayMs), fn);
  }

  /** Runs `fn` at simulated time `at` (or at once, in time order, if that is in the past). */
  scheduleAt(at: number, fn: () => void): TimerHandle {
    const timer: Timer = { at: Math.max(at, this.current), seq: this.seq++, fn, cancelled: false };
    this.push(timer);
    if (this.speedFactor > 0 && this.heap[0] === timer) this.armRealTimer();
    return timer;
  }

  cancel(handle: TimerHandle | undefined): void {
    if (handle) handle.cancelled = true;
  }

  /** Number of pending timers (for tests and diagnostics). */
  get pending(): number {
    return this.heap.filter((t) => !t.cancelled).length;
  }

  /** Switches to speed mode (N simulated seconds per real second) or back to step mode (0). */
  setSpeed(speed: number): void {
    this.now();
    this.speedFactor = Math.max(0, speed);
    this.realBase = this.lastRealLook = performance.now();
    this.virtualBase = this.current;
    if (this.realTimer) clearTimeout(this.realTimer);
    this.realTimer = undefined;
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = undefined;
    if (this.speedFactor > 0 && !this.stopped) {
      this.heartbeat = setInterval(() => this.countedRealMs(), HEARTBEAT_MS);
      this.heartbeat.unref?.();
      this.armRealTimer();
    }
  }

  /**
   * Real milliseconds since `realBase` that count for speed mode: a gap longer than
   * {@link MAX_REAL_GAP_MS} since the last look counts as that much (see the class).
   */
  private countedRealMs(): number {
    const real = performance.now();
    const gap = real - this.lastRealLook;
    if (gap > MAX_REAL_GAP_MS) this.realBase += gap - MAX_REAL_GAP_MS;
    this.lastRealLook = real;
    return real - this.realBase;
  }

  /** Step mode: moves time forward by `ms`, firing every timer due on the way. */
  async advance(ms: number): Promise<void> {
    const target = this.current + Math.max(0, ms);
    await this.runTimers(target, () => false);
    if (this.current < target) this.current = target;
    this.rebase();
  }

  /**
   * Step mode: fires timers in order until `predicate()` holds or `maxMs` of simulated
   * time has passed. Resolves true when the predicate held. Time jumps from timer to
   * timer, so a client doing real HTTP meanwhile sees minutes pass per request: drive
   * such clients in speed mode instead.
   */
  async runUntil(predicate: () => boolean, options: { maxMs: number }): Promise<boolean> {
    const deadline = this.current + options.maxMs;
    if (predicate()) return true;
    const met = await this.runTimers(deadline, predicate);
    if (!met && this.current < deadline) this.current = deadline;
    this.rebase();
    return met || predicate();
  }

  /** After stepping in speed mode, real time continues from the stepped-to instant. */
  private rebase(): void {
    if (this.speedFactor <= 0) return;
    this.realBase = this.lastRealLook = performance.now();
    this.virtualBase = this.current;
    this.armRealTimer();
  }

  /** Stops the real timer of speed mode; pending timers never fire afterwards. */
  stop(): void {
    this.stopped = true;
    if (this.realTimer) clearTimeout(this.realTimer);
    this.realTimer = undefined;
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = undefined;
  }

  private async runTimers(limit: number, predicate: () => boolean): Promise<boolean> {
    for (;;) {
      const next = this.peek();
      if (!next || next.at > limit) return false;
      const instant = next.at;
      // Fire everything due at this instant, then let promise chains and I/O run.
      while (this.peek() && (this.peek() as Timer).at === instant) {
        const timer = this.pop() as Timer;
        this.fire(timer);
      }
      // A full event-loop turn drains every promise chain waiting on these timers.
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (predicate()) return true;
    }
  }

  private fire(timer: Timer): void {
    if (timer.at > this.current) this.current = timer.at;
    const wasFiring = this.firing;
    this.firing = true;
    try {
      timer.fn();
    } finally {
      this.firing = wasFiring;
    }
  }

  private armRealTimer(): void {
    if (this.stopped || this.speedFactor <= 0) return;
    if (this.realTimer) clearTimeout(this.realTimer);
    this.realTimer = undefined;
    const next = this.peek();
    if (!next) return;
    const projected = this.virtualBase + this.countedRealMs() * this.speedFactor;
    const delayReal = Math.max(0, (next.at - projected) / this.speedFactor);
    this.realTimer = setTimeout(() => this.onRealTick(), Math.min(delayReal, 2_147_000_000));
    this.realTimer.unref?.();
  }

  private onRealTick(): void {
    this.realTimer = undefined;
    if (this.stopped) return;
    const projected = this.virtualBase + this.countedRealMs() * this.speedFactor;
    let count = 0;
    for (;;) {
      const next = this.peek();
      if (!next || next.at > projected || count >= MAX_TIMERS_PER_TICK) break;
      this.fire(this.pop() as Timer);
      count++;
    }
    if (count >= MAX_TIMERS_PER_TICK) {
      // Behind schedule: let I/O run, then continue where we stopped.
      setImmediate(() => this.onRealTick());
      return;
    }
    this.now();
    this.armRealTimer();
  }

  /** The earliest live timer, dropping cancelled ones on the way. */
  private peek(): Timer | undefined {
    while (this.heap.length > 0 && (this.heap[0] as Timer).cancelled) this.pop();
    return this.heap[0];
  }

  private push(timer: Timer): void {
    const heap = this.heap;
    heap.push(timer);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(heap[i] as Timer, heap[parent] as Timer)) break;
      [heap[i], heap[parent]] = [heap[parent] as Timer, heap[i] as Timer];
      i = parent;
    }
  }

  private pop(): Timer | undefined {
    const heap = this.heap;
    const top = heap[0];
    const last = heap.pop();
    if (heap.length > 0 && last) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < heap.length && before(heap[l] as Timer, heap[m] as Timer)) m = l;
        if (r < heap.length && before(heap[r] as Timer, heap[m] as Timer)) m = r;
        if (m === i) break;
        [heap[i], heap[m]] = [heap[m] as Timer, heap[i] as Timer];
        i = m;
      }
    }
    return top;
  }
}

function before(a: Timer, b: Timer): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}
