/**
 * Follows Marathon's event stream (`GET /v2/events`, server-sent events) for as
 * long as the caller's signal allows: parses frames, reconnects with backoff
 * when the stream drops or cannot be opened, and reports every gap, because
 * events sent while disconnected are lost for good (Marathon keeps no history)
 * and the caller must poll to learn what it missed.
 */
import { publishHttpEvent } from "../http/http-events.js";
import { systemClock, type Clock } from "../core/clock.js";
import { MarathonApiError, MarathonAuthError, type MarathonClient } from "./client.js";
import { createSseParser, type SseFrame } from "./sse-parser.js";
import type { MarathonEvent } from "./types.js";

/** Where the stream stands. */
export type EventStreamState =
  /** Opening a connection (attempt 1 is the first). */
  | { state: "connecting"; attempt: number }
  /** Connected; events flow from `url` (the leader after a redirect). */
  | { state: "open"; url: string }
  /** Not connected: events in this gap are lost. Another attempt follows after `retryInMs`. */
  | { state: "gap"; reason: string; retryInMs: number }
  /** Stopped: the signal aborted, or an error that reconnecting cannot fix (then `error` is set). */
  | { state: "closed"; error?: Error };

export interface FollowMarathonEventsOptions {
  /** The client that opens the stream (URLs, auth, TLS, leader redirects). */
  client: Pick<MarathonClient, "openEventStream">;
  /**
   * `event_type` filters; all events when absent. `event_stream_attached` is always
   * requested (and passed on only if listed): it makes the server answer at once, so a
   * filtered stream is known to be open before the first real event.
   */
  eventTypes?: readonly string[];
  /** Stops following; the returned promise then resolves. */
  signal: AbortSignal;
  onEvent: (event: MarathonEvent) => void;
  onStateChange?: (state: EventStreamState) => void;
  /** Waits between reconnect attempts; the last repeats. Default 100, 250, 500, 1000, 2000 ms. */
  reconnectDelaysMs?: readonly number[];
  /** Reconnect when nothing (not even a comment) arrives for this long; off by default, because Marathon sends no keep-alives. */
  idleTimeoutMs?: number;
  /** Reconnect waits and the idle watchdog run on this clock. */
  clock?: Clock;
}

const DEFAULT_RECONNECT_DELAYS_MS = [100, 250, 500, 1000, 2000];
const ATTACHED = "event_stream_attached";

/**
 * Follows `/v2/events` until `signal` aborts. Resolves then; rejects only with
 * an error reconnecting cannot fix: 401/403 (MarathonAuthError) or a 4xx such as
 * 405 from something that is not Marathon's event endpoint. Everything else
 * (refused, reset, 5xx, the stream ending) becomes a `gap` and a new attempt.
 */
export async function followMarathonEvents(options: FollowMarathonEventsOptions): Promise<void> {
  const { client, signal, onEvent } = options;
  const clock = options.clock ?? systemClock;
  const delays = options.reconnectDelaysMs && options.reconnectDelaysMs.length > 0 ? options.reconnectDelaysMs : DEFAULT_RECONNECT_DELAYS_MS;
  const report = (state: EventStreamState) => {
    publishHttpEvent({ kind: "stream", url: "/v2/events", state: state.state, ...streamDetail(state) });
    options.onStateChange?.(state);
  };
  const wanted = options.eventTypes ? new Set(options.eventTypes) : undefined;
  const requested = wanted && !wanted.has(ATTACHED) ? [...wanted, ATTACHED] : options.eventTypes;
  let failures = 0;

  while (!signal.aborted) {
    report({ state: "connecting", attempt: failures + 1 });
    let reason: string;
    try {
      const ended = await followOnce();
      reason = ended.reason;
      // A stream that carried data and then ended starts the backoff afresh; one that
      // closes before saying anything (a proxy cutting it) keeps backing off.
      if (ended.received) failures = 0;
    } catch (error) {
      if (signal.aborted) break;
      if (isPermanent(error)) {
        report({ state: "closed", error: error as Error });
        throw error;
      }
      reason = error instanceof Error ? error.message : String(error);
    }
    if (signal.aborted) break;
    const retryInMs = delays[Math.min(failures, delays.length - 1)] as number;
    failures++;
    report({ state: "gap", reason, retryInMs });
    try {
      await clock.sleep(retryInMs, signal);
    } catch {
      break;
    }
  }
  report({ state: "closed" });

  /** One connection: resolves with why it ended and whether anything arrived. */
  async function followOnce(): Promise<{ reason: string; received: boolean }> {
    const connection = await client.openEventStream({ eventTypes: requested, signal });
    report({ state: "open", url: connection.url });
    const parser = createSseParser((frame) => {
      const event = eventFromFrame(frame);
      if (!event || (wanted && !wanted.has(event.eventType))) return;
      onEvent(event);
    });
    const body = connection.body;
    let idle = false;
    const stopOnAbort = () => body.destroy();
    signal.addEventListener("abort", stopOnAbort, { once: true });
    const armWatchdog = () => {
      if (options.idleTimeoutMs === undefined) return undefined;
      const controller = new AbortController();
      clock.sleep(options.idleTimeoutMs, controller.signal).then(
        () => {
          idle = true;
          body.destroy();
        },
        () => undefined,
      );
      return controller;
    };
    let timer = armWatchdog();
    let received = false;
    const ended = (reason: string) => ({ reason, received });
    try {
      for await (const chunk of body) {
        received = true;
        timer?.abort();
        timer = armWatchdog();
        parser.push(chunk as Uint8Array);
      }
      parser.end();
      return ended(idle ? `no event for ${options.idleTimeoutMs} ms` : "the event stream ended");
    } catch (error) {
      if (idle) return ended(`no event for ${options.idleTimeoutMs} ms`);
      if (signal.aborted) return ended("stopped");
      return ended(`the event stream broke (${(error as Error).message})`);
    } finally {
      timer?.abort();
      signal.removeEventListener("abort", stopOnAbort);
      body.destroy();
    }
  }
}

/** The Marathon event in an SSE frame (its type from the frame when the JSON lacks one), or undefined for anything that is not a JSON object. */
export function eventFromFrame(frame: SseFrame): MarathonEvent | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(frame.data);
  } catch {
    return undefined; // Marathon only sends JSON; anything else is noise from a proxy.
  }
  if (!parsed || typeof parsed !== "object") return undefined;
  const event = parsed as MarathonEvent;
  if (typeof event.eventType !== "string") (event as { eventType: string }).eventType = frame.event;
  return event;
}

function isPermanent(error: unknown): boolean {
  if (error instanceof MarathonAuthError) return true;
  // 4xx other than 404/408/429 will not change by asking again (405: not an event endpoint).
  return error instanceof MarathonApiError && error.status >= 400 && error.status < 500 && ![404, 408, 429].includes(error.status);
}

/** The detail `--debug` shows for a state change. */
function streamDetail(state: EventStreamState): { detail?: string } {
  if (state.state === "connecting") return { detail: `attempt ${state.attempt}` };
  if (state.state === "open") return { detail: state.url };
  if (state.state === "gap") return { detail: `${state.reason}; reconnecting in ${state.retryInMs} ms` };
  return state.error ? { detail: state.error.message } : {};
}
