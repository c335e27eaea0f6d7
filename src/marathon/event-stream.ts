/**
 * Follows Marathon's event stream (`GET /v2/events`, server-sent events) for as
 * long as the caller's signal allows: parses frames, reconnects with backoff
 * when the stream drops or cannot be opened, and reports every gap, because
 * events sent while disconnected are lost for good (Marathon keeps no history)
 * and the caller must poll to learn what it missed.
 *
 * A 200 with the right headers proves nothing: a buffering proxy sends headers
 * and then holds every byte, and a misconfigured one answers with a page. The
 * stream counts as open only once Marathon's own first frame,
 * `event_stream_attached`, has arrived; headers without it within
 * `attachTimeoutMs`, or anything that is not a Marathon event, is a gap. So is
 * a frame of a kind mdeploy decides on that fails its schema (event-schemas.ts):
 * a deploy is never judged from an event it had to guess at; the caller polls and
 * verifies from the app's state instead, as for any other gap.
 */
import { eventUrl, publishHttpEvent } from "../http/http-events.js";
import type { Clock } from "../core/ports/clock.js";
import { systemClock } from "../host/system-clock.js";
import { UnreachableError } from "../errors.js";
import { MarathonApiError, MarathonAuthError, type MarathonClient } from "./client.js";
import { createEventChecker } from "./event-schemas.js";
import { createSseParser, SseFrameTooLargeError, type SseFrame } from "./sse-parser.js";
import type { MarathonEvent, UncheckedMarathonEvent } from "./types.js";

/** Where the stream stands. */
export type EventStreamState =
  /** Opening a connection (attempt 1 is the first). */
  | { state: "connecting"; attempt: number }
  /** Attached: Marathon's `event_stream_attached` arrived and events flow from `url` (the leader after a redirect). */
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
  /** Every wanted event that passed its schema; kinds without a schema are not passed on. */
  onEvent: (event: MarathonEvent) => void;
  onStateChange?: (state: EventStreamState) => void;
  /** Waits between reconnect attempts; the last repeats. Default 100, 250, 500, 1000, 2000 ms. */
  reconnectDelaysMs?: readonly number[];
  /** Reconnect when nothing (not even a comment) arrives for this long; off by default, because Marathon sends no keep-alives. */
  idleTimeoutMs?: number;
  /** Reconnect waits and the idle watchdog run on this clock. */
  clock?: Clock;
  /**
   * How long (real time: it waits for bytes on the wire) the answer's headers may stand
   * without `event_stream_attached` before the attempt counts as a gap. Default 5000 ms;
   * Marathon sends it at once, so only something in between can hold it back.
   */
  attachTimeoutMs?: number;
  /** Bound on one SSE frame in characters (default 16 Mi): a longer line is dropped with its connection. */
  maxFrameChars?: number;
}

const DEFAULT_RECONNECT_DELAYS_MS = [100, 250, 500, 1000, 2000];
const DEFAULT_ATTACH_TIMEOUT_MS = 5_000;
const ATTACHED = "event_stream_attached";

/**
 * Follows `/v2/events` until `signal` aborts. Resolves then; rejects with an
 * error reconnecting cannot fix: 401/403 (MarathonAuthError), a 4xx such as 405
 * from something that is not Marathon's event endpoint, or an error that is no
 * network failure at all (a bug). The failures it means (refused, reset, no
 * answer, 5xx, the stream ending, no `event_stream_attached`, frames that are
 * not Marathon events, too large, or of a deciding kind but invalid) become a
 * `gap` and a new attempt.
 */
export async function followMarathonEvents(options: FollowMarathonEventsOptions): Promise<void> {
  const { client, signal, onEvent } = options;
  const clock = options.clock ?? systemClock;
  const delays = options.reconnectDelaysMs && options.reconnectDelaysMs.length > 0 ? options.reconnectDelaysMs : DEFAULT_RECONNECT_DELAYS_MS;
  const attachTimeoutMs = options.attachTimeoutMs ?? DEFAULT_ATTACH_TIMEOUT_MS;
  const report = (state: EventStreamState) => {
    publishHttpEvent({ kind: "stream", url: "/v2/events", state: state.state, ...streamDetail(state) });
    options.onStateChange?.(state);
  };
  const wanted = options.eventTypes ? new Set(options.eventTypes) : undefined;
  const requested = wanted && !wanted.has(ATTACHED) ? [...wanted, ATTACHED] : options.eventTypes;
  const checkEvent = createEventChecker();
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
      if (!isTransient(error)) {
        report({ state: "closed", error: error as Error });
        throw error;
      }
      reason = error.message;
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
    let attached = false;
    /** Set when what arrives is not a Marathon event stream: the connection is dropped with this reason. */
    let notMarathon: string | undefined;
    const parser = createSseParser(
      (frame) => {
        const event = eventFromFrame(frame);
        if (!event) {
          notMarathon ??= `the event stream sent something that is not a Marathon event (${JSON.stringify(frame.data.slice(0, 40))})`;
          return;
        }
        if (!attached) {
          // Marathon's first frame to a new client is its own attach event; anything else first is not Marathon talking.
          if (event.eventType !== ATTACHED) {
            notMarathon ??= `the event stream sent ${event.eventType} before event_stream_attached`;
            return;
          }
          attached = true;
          report({ state: "open", url: connection.url });
        }
        if (wanted && !wanted.has(event.eventType)) return;
        const reading = checkEvent(event);
        if (reading.kind === "invalid") {
          notMarathon ??= `the event stream sent a ${reading.eventType} mdeploy cannot trust (${reading.problems.join("; ")})`;
          return;
        }
        if (reading.kind === "event") onEvent(reading.event);
      },
      options.maxFrameChars === undefined ? {} : { maxFrameChars: options.maxFrameChars },
    );
    const body = connection.body;
    let idle = false;
    let unattached = false;
    const stopOnAbort = () => body.destroy();
    signal.addEventListener("abort", stopOnAbort, { once: true });
    // Real time: this waits for bytes on the wire, which a fast virtual clock must not cut short.
    const attachTimer = setTimeout(() => {
      if (attached) return;
      unattached = true;
      body.destroy();
    }, attachTimeoutMs);
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
    const ended = (reason: string) => ({ reason, received: received && attached });
    const why = (otherwise: string) =>
      notMarathon ??
      (unattached ? `no event_stream_attached within ${attachTimeoutMs} ms of the answer (a proxy buffering the stream?)` : idle ? `no event for ${options.idleTimeoutMs} ms` : otherwise);
    try {
      for await (const chunk of body) {
        received = true;
        timer?.abort();
        timer = armWatchdog();
        parser.push(chunk as Uint8Array);
        if (notMarathon) break;
      }
      parser.end();
      return ended(why("the event stream ended"));
    } catch (error) {
      if (error instanceof SseFrameTooLargeError) return ended(`the event stream sent a frame over the bound (${error.message})`);
      if (signal.aborted) return ended("stopped");
      if (notMarathon || unattached || idle) return ended(why(""));
      if (!isTransient(error)) throw error;
      return ended(`the event stream broke (${error.message})`);
    } finally {
      clearTimeout(attachTimer);
      timer?.abort();
      signal.removeEventListener("abort", stopOnAbort);
      body.destroy();
    }
  }
}

/**
 * The Marathon event in an SSE frame (its type from the frame's `event:` when the JSON
 * lacks one), or undefined when the frame is not one: not JSON, not an object, or no
 * type at all (Marathon sends one line of JSON with an eventType). Unchecked: pass it
 * through an event checker before reading anything but its type.
 */
export function eventFromFrame(frame: SseFrame): UncheckedMarathonEvent | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(frame.data);
  } catch {
    return undefined; // Not JSON: a proxy's page or keep-alive text, not an event.
  }
  if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) return undefined;
  const event = parsed as UncheckedMarathonEvent;
  if (typeof event.eventType !== "string") {
    if (frame.event === "message") return undefined;
    (event as { eventType: string }).eventType = frame.event;
  }
  return event;
}

/**
 * The failures reconnecting is for: no answer (refused, reset, timeout: UnreachableError),
 * Marathon busy or between leaders (5xx), 404/408/429, and the body breaking mid-stream
 * (a socket error). 401/403, other 4xx and anything else surface.
 */
function isTransient(error: unknown): error is Error {
  if (error instanceof MarathonAuthError) return false;
  if (error instanceof MarathonApiError) return error.status >= 500 || [404, 408, 429].includes(error.status);
  if (error instanceof UnreachableError) return true;
  // A body stream that breaks gives the socket's error (ECONNRESET, premature close, aborted).
  return error instanceof Error && typeof (error as NodeJS.ErrnoException).code === "string" && /^(E[A-Z]+|ERR_STREAM_PREMATURE_CLOSE)$/.test((error as NodeJS.ErrnoException).code as string);
}

/** The detail `--debug` shows for a state change. */
function streamDetail(state: EventStreamState): { detail?: string } {
  if (state.state === "connecting") return { detail: `attempt ${state.attempt}` };
  // The leader's URL as a redirect named it may carry a token in its query: shown as every exchange's URL is.
  if (state.state === "open") return { detail: eventUrl(state.url) };
  if (state.state === "gap") return { detail: `${state.reason}; reconnecting in ${state.retryInMs} ms` };
  return state.error ? { detail: state.error.message } : {};
}
