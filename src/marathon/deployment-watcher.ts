/**
 * Notices the end of a Marathon deployment: from the event stream within a
 * fraction of a second while it is connected, and from polling `/v2/deployments`
 * plus the app when it is not (within one poll interval), so a dropped stream,
 * a leader change or a quiet stream never leaves a deploy waiting blind.
 *
 * Usage (start it before the PUT so an instant `deployment_success` is not missed):
 *
 * ```ts
 * const watcher = createDeploymentWatcher({ client, clock, onEvent: showProgress });
 * await watcher.ready;
 * const { deploymentId, version } = await client.putApp(app);
 * const outcome = await watcher.waitFor({ deploymentId, appId: app.id, version }, { signal });
 * await watcher.close();
 * ```
 */
import type { Clock } from "../core/ports/clock.js";
import { systemClock } from "../host/system-clock.js";
import { MarathonAuthError, type MarathonClient } from "./client.js";
import { judgeDeployment, type DeploymentVerdict, type VersionHealth } from "./deployment-verdict.js";
import { followMarathonEvents, type EventStreamState } from "./event-stream.js";
import type { DeploymentFailedEvent, DeploymentSuccessEvent, MarathonEvent } from "./types.js";

/**
 * The events a deploy shows or decides on (the stream carries only these by default).
 * `event_stream_attached` is the first frame of a new stream: asking for it makes the
 * server send something at once, so the headers arrive and the stream counts as open.
 */
export const DEPLOYMENT_EVENT_TYPES: readonly string[] = [
  "event_stream_attached",
  "deployment_info",
  "deployment_step_success",
  "deployment_step_failure",
  "deployment_success",
  "deployment_failed",
  "status_update_event",
  "instance_health_changed_event",
  "health_status_changed_event",
  "unhealthy_instance_kill_event",
  "failed_health_check_event",
];

export interface DeploymentWatcherOptions {
  client: MarathonClient;
  /** Poll waits and reconnect backoff run on this clock. */
  clock?: Clock;
  /** Poll interval while the stream is down (default 1000 ms): the worst delay in noticing an end without events. */
  pollIntervalMs?: number;
  /** Poll interval while the stream is up (default 15 000 ms), a safety net for a stream that goes quiet (Marathon issue 4159). */
  safetyPollIntervalMs?: number;
  /** Stream filters; default {@link DEPLOYMENT_EVENT_TYPES}; `null` for every event. */
  eventTypes?: readonly string[] | null;
  /** false: poll only, never open the stream. */
  useEventStream?: boolean;
  /** Every event from the stream (progress display). */
  onEvent?: (event: MarathonEvent) => void;
  onStreamState?: (state: EventStreamState) => void;
  /** A poll failed (it is retried at the next interval; 401/403 end the wait instead). */
  onPollError?: (error: Error) => void;
  reconnectDelaysMs?: readonly number[];
}

/** How a deployment ended, and how that was learned. */
export interface DeploymentOutcome {
  result: "succeeded" | "failed";
  /** "event": deployment_success / deployment_failed; "poll": judged from `/v2/deployments` and the app. */
  source: "event" | "poll";
  /** Why it failed, in words. */
  reason?: string;
  event?: DeploymentSuccessEvent | DeploymentFailedEvent;
  /** The target version's counts, when the end was judged by polling. */
  health?: VersionHealth;
}

export interface DeploymentTarget {
  deploymentId: string;
  appId: string;
  /** The version the PUT returned. */
  version: string;
}

export interface DeploymentWatcher {
  /** Resolves once the stream is open or its first attempt failed (polling covers then). */
  readonly ready: Promise<void>;
  readonly streamState: EventStreamState;
  /**
   * Resolves when the deployment ends. Rejects with the signal's reason when
   * aborted (the caller's timeout), or with MarathonAuthError when polling is refused.
   * `onVerdict` sees every poll (for "step 2 of 3" progress).
   */
  waitFor(target: DeploymentTarget, options?: { signal?: AbortSignal; onVerdict?: (verdict: DeploymentVerdict) => void }): Promise<DeploymentOutcome>;
  /** Stops the stream and every wait. */
  close(): Promise<void>;
}

/** Deployment end events kept for a late waitFor; older ones are dropped. */
const MAX_REMEMBERED_ENDS = 500;

export function createDeploymentWatcher(options: DeploymentWatcherOptions): DeploymentWatcher {
  const { client } = options;
  const clock = options.clock ?? systemClock;
  const pollIntervalMs = options.pollIntervalMs ?? 1000;
  const safetyPollIntervalMs = options.safetyPollIntervalMs ?? 15_000;
  const stop = new AbortController();
  const ends = new Map<string, DeploymentSuccessEvent | DeploymentFailedEvent>();
  const endListeners = new Set<(event: DeploymentSuccessEvent | DeploymentFailedEvent) => void>();
  const stateListeners = new Set<() => void>();
  let streamState: EventStreamState = { state: "closed" };
  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (markReady = resolve));

  const onEvent = (event: MarathonEvent) => {
    if ((event.eventType === "deployment_success" || event.eventType === "deployment_failed") && typeof (event as { id?: unknown }).id === "string") {
      const end = event as DeploymentSuccessEvent | DeploymentFailedEvent;
      ends.set(end.id, end);
      if (ends.size > MAX_REMEMBERED_ENDS) ends.delete(ends.keys().next().value as string);
      for (const listener of endListeners) listener(end);
    }
    options.onEvent?.(event);
  };

  let following: Promise<void> = Promise.resolve();
  if (options.useEventStream === false) {
    markReady();
  } else {
    following = followMarathonEvents({
      client,
      clock,
      signal: stop.signal,
      eventTypes: options.eventTypes === null ? undefined : (options.eventTypes ?? DEPLOYMENT_EVENT_TYPES),
      reconnectDelaysMs: options.reconnectDelaysMs,
      onEvent,
      onStateChange: (state) => {
        streamState = state;
        if (state.state !== "connecting") markReady();
        options.onStreamState?.(state);
        if (state.state !== "connecting") for (const wake of stateListeners) wake();
      },
    }).catch(() => {
      // The stream refused us for good (401/403): polling carries on and reports the same refusal.
      markReady();
    });
  }

  async function waitFor(target: DeploymentTarget, waitOptions: { signal?: AbortSignal; onVerdict?: (v: DeploymentVerdict) => void } = {}): Promise<DeploymentOutcome> {
    const signal = waitOptions.signal ? AbortSignal.any([waitOptions.signal, stop.signal]) : stop.signal;
    const fromEvent = (end: DeploymentSuccessEvent | DeploymentFailedEvent): DeploymentOutcome =>
      end.eventType === "deployment_success"
        ? { result: "succeeded", source: "event", event: end }
        : { result: "failed", source: "event", event: end, reason: end.reason ?? "Marathon reported deployment_failed" };

    const known = ends.get(target.deploymentId);
    if (known) return fromEvent(known);

    return new Promise<DeploymentOutcome>((resolve, reject) => {
      let finished = false;
      let wake: AbortController | undefined;
      let pollNow = streamState.state !== "open";
      const onEnd = (end: DeploymentSuccessEvent | DeploymentFailedEvent) => {
        if (end.id === target.deploymentId) finish(fromEvent(end));
      };
      const onState = () => {
        // A gap may have swallowed the end event; a reconnect needs a catch-up look.
        pollNow = true;
        wake?.abort();
      };
      const onAbort = () => finish(undefined, signal.reason ?? new Error("stopped"));
      function finish(outcome: DeploymentOutcome | undefined, error?: unknown): void {
        if (finished) return;
        finished = true;
        endListeners.delete(onEnd);
        stateListeners.delete(onState);
        signal.removeEventListener("abort", onAbort);
        wake?.abort();
        if (outcome) resolve(outcome);
        else reject(error);
      }
      endListeners.add(onEnd);
      stateListeners.add(onState);
      if (signal.aborted) {
        onAbort();
        return;
      }
      signal.addEventListener("abort", onAbort, { once: true });

      void (async () => {
        while (!finished) {
          if (!pollNow) {
            wake = new AbortController();
            const interval = streamState.state === "open" ? safetyPollIntervalMs : pollIntervalMs;
            try {
              await clock.sleep(interval, AbortSignal.any([wake.signal, signal]));
            } catch {
              if (finished) return;
              continue; // woken by a stream change: pollNow is set
            }
          }
          pollNow = false;
          if (finished) return;
          try {
            const deployments = await client.getDeployments({ signal });
            const running = deployments.some((d) => d.id === target.deploymentId);
            const app = running ? undefined : await client.findApp(target.appId, { signal });
            if (finished) return;
            const verdict = judgeDeployment({ ...target, deployments, app });
            waitOptions.onVerdict?.(verdict);
            // An end event may have arrived while this poll was in flight; it wins.
            const late = ends.get(target.deploymentId);
            if (late) finish(fromEvent(late));
            else if (verdict.state === "succeeded") finish({ result: "succeeded", source: "poll", health: verdict.health });
            else if (verdict.state === "failed") finish({ result: "failed", source: "poll", reason: verdict.reason, health: verdict.health });
          } catch (error) {
            if (finished) return;
            if (error instanceof MarathonAuthError) {
              finish(undefined, error);
              return;
            }
            options.onPollError?.(error as Error);
          }
        }
      })();
    });
  }

  return {
    ready,
    get streamState() {
      return streamState;
    },
    waitFor,
    async close() {
      stop.abort(new Error("the deployment watcher was closed"));
      await following;
    },
  };
}
