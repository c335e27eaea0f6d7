/**
 * Listens to Marathon's event stream for the whole deploy, from before the PUT
 * (a fast deployment can end before the PUT's answer arrives) to the verified
 * end. Keeps the events that concern one app and remembers whether the stream
 * ever had a gap, because events lost in a gap are gone and only polling can
 * tell what happened then.
 */
import type { Clock } from "../core/ports/clock.js";
import { MarathonApiError, MarathonAuthError, type MarathonClient } from "../marathon/client.js";
import { followMarathonEvents, type EventStreamState } from "../marathon/event-stream.js";
import type { MarathonEvent } from "../marathon/types.js";

/**
 * The events a deploy shows or decides on (the stream carries only these).
 * `event_stream_attached` is the first frame of a new stream: asking for it makes the
 * server send something at once, so the headers arrive and the stream counts as open.
 */
const DEPLOYMENT_EVENT_TYPES: readonly string[] = [
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
];

export interface EventWatch {
  /** Events about the app, in arrival order. */
  readonly events: readonly MarathonEvent[];
  /** True once the stream failed to open or dropped: events may be missing. */
  readonly interrupted: boolean;
  /** True while events flow (Marathon's event_stream_attached arrived on the current connection). */
  readonly open: boolean;
  /** Why the stream is not (or was not) open: the last gap's reason, or Marathon's refusal. */
  readonly gapReason: string | undefined;
  /** An error following the stream that is no stream failure (a bug): the deploy must stop on it, not carry on blind. */
  readonly failure: Error | undefined;
  /** Resolves at the next event, or after `ms` on the clock. */
  wait(ms: number): Promise<void>;
  /** Waits until the first connection attempt settles (open, or a gap), at most `ms` on the clock; true when open. */
  whenOpen(ms: number): Promise<boolean>;
  close(): Promise<void>;
}

export interface EventWatchOptions {
  marathon: Pick<MarathonClient, "openEventStream">;
  clock: Clock;
  appId: string;
  /** Called on stream state changes (for progress lines and --debug). */
  onState?: (state: EventStreamState) => void;
}

/** Starts following the event stream at once. */
export function startEventWatch(options: EventWatchOptions): EventWatch {
  const { clock } = options;
  const appId = absoluteId(options.appId);
  const events: MarathonEvent[] = [];
  const controller = new AbortController();
  const waiters = new Set<() => void>();
  let interrupted = false;
  let open = false;
  let gapReason: string | undefined;
  let failure: Error | undefined;
  let everOpened = false;
  let settled = false;
  const wakeAll = () => {
    for (const wake of [...waiters]) wake();
  };

  const done = followMarathonEvents({
    client: options.marathon,
    // Includes event_stream_attached, which Marathon sends at once, so the stream opens without waiting for news.
    eventTypes: DEPLOYMENT_EVENT_TYPES,
    signal: controller.signal,
    clock,
    onEvent: (event) => {
      if (!concernsApp(event, appId)) return;
      events.push(event);
      wakeAll();
    },
    onStateChange: (state) => {
      if (state.state !== "connecting") settled = true;
      if (state.state === "open") {
        open = true;
        everOpened = true;
      } else if (state.state === "gap" || (state.state === "closed" && state.error)) {
        open = false;
        interrupted = true;
        gapReason = state.state === "gap" ? state.reason : state.error?.message;
      } else if (state.state === "closed") {
        open = false;
      }
      // A connection attempt that fails before ever opening is a gap too.
      if (state.state === "connecting" && state.attempt > 1 && !everOpened) interrupted = true;
      options.onState?.(state);
      wakeAll();
    },
  }).catch((error: unknown) => {
    settled = true;
    open = false;
    interrupted = true;
    // Marathon (or something in front of it) refused the stream for good (401/403, 405):
    // polling carries on alone and meets the same refusal if it is about credentials.
    if (error instanceof MarathonAuthError || error instanceof MarathonApiError) gapReason = `the event stream was refused (${error.message})`;
    else failure = error instanceof Error ? error : new Error(String(error));
    wakeAll();
  });

  const wait = async (ms: number): Promise<void> => {
    const sleeper = new AbortController();
    let wake: () => void = () => undefined;
    const woken = new Promise<void>((resolve) => {
      wake = () => {
        waiters.delete(wake);
        sleeper.abort();
        resolve();
      };
      waiters.add(wake);
    });
    const slept = clock.sleep(Math.max(0, ms), sleeper.signal).then(
      () => wake(),
      () => undefined,
    );
    await Promise.race([woken, slept]);
    wake();
  };

  return {
    events,
    get interrupted() {
      return interrupted;
    },
    get open() {
      return open;
    },
    get gapReason() {
      return gapReason;
    },
    get failure() {
      return failure;
    },
    wait,
    async whenOpen(ms) {
      const deadline = clock.now() + ms;
      // Wait for the attempt's outcome, not a fixed time: on a fast virtual clock a
      // loopback connect can take many simulated seconds.
      while (!settled && !controller.signal.aborted && clock.now() < deadline) await wait(deadline - clock.now());
      if (!open) interrupted = true;
      return open;
    },
    async close() {
      controller.abort();
      wakeAll();
      await done;
    },
  };
}

function absoluteId(id: string): string {
  return id.startsWith("/") ? id : `/${id}`;
}

/** Whether an event is about the app (deployment events: when a step acts on it). */
function concernsApp(event: MarathonEvent, appId: string): boolean {
  switch (event.eventType) {
    case "status_update_event":
    case "health_status_changed_event":
    case "unhealthy_instance_kill_event":
      return absoluteId(event.appId) === appId;
    case "instance_health_changed_event":
      return absoluteId(event.runSpecId) === appId;
    case "event_stream_attached":
      return false;
    default: {
      const { steps } = event.plan;
      if (steps.length > 0) return steps.some((s) => s.actions.some((a) => typeof a.app === "string" && absoluteId(a.app) === appId));
      // A deployment event without steps (an identical PUT's 0-step plan) names no app: keep it, the deployment id decides.
      return event.eventType === "deployment_success" || event.eventType === "deployment_failed";
    }
  }
}
