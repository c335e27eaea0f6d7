/**
 * What the HTTP adapters did, published on a Node diagnostics channel so the
 * CLI can show it (`--debug`: one line per request; always: a note when a
 * server does not answer) without any adapter knowing about output. Publishing
 * costs nothing while no one subscribes. URLs are display forms (no user info);
 * the subscriber passes every line through the redactor.
 */
import { channel } from "node:diagnostics_channel";

/** The channel's name, for subscribers. */
export const HTTP_EVENTS_CHANNEL = "mdeploy:http";

/** One thing the HTTP layer did. */
export type HttpEvent =
  /** An attempt ended: with an HTTP status, or with a failure ("connection refused", "no answer within 10000 ms"). */
  | { kind: "exchange"; method: string; url: string; ms: number; status?: number; statusText?: string; failure?: string; timedOut?: boolean; timeoutMs?: number }
  /** The retry table chose to try again: attempt `attempt` of `attempts`, after `delayMs`. */
  | { kind: "retry"; method: string; url: string; failure: string; attempt: number; attempts: number; delayMs: number; boundMs?: number }
  /** The event stream changed state (open, dropped, reconnecting, polling). */
  | { kind: "stream"; url: string; state: string; detail?: string };

const events = channel(HTTP_EVENTS_CHANNEL);

/** Publishes `event` when someone listens. */
export function publishHttpEvent(event: HttpEvent): void {
  if (events.hasSubscribers) events.publish(event);
}

/** The `--debug` line for an event. */
export function formatHttpEvent(event: HttpEvent): string {
  switch (event.kind) {
    case "exchange":
      return `http: ${event.method} ${event.url} -> ${event.status !== undefined ? `${event.status} ${event.statusText ?? ""}`.trimEnd() : event.failure ?? "no answer"} (${Math.round(event.ms)} ms)`;
    case "retry":
      return `http: retry ${event.attempt}/${event.attempts} of ${event.method} ${event.url} in ${event.delayMs} ms (${event.failure})`;
    case "stream":
      return `http: event stream ${event.url}: ${event.state}${event.detail ? ` (${event.detail})` : ""}`;
  }
}

/**
 * The line a person sees (without --debug) when a server accepts connections
 * but does not answer: said after the first timeout, not after every retry's
 * silence, with the bound on the whole wait.
 */
export function noAnswerNotice(event: HttpEvent): { server: string; text: string } | undefined {
  if (event.kind !== "retry" || !/no answer/.test(event.failure)) return undefined;
  const server = hostOf(event.url);
  const ms = /within (\d+) ms/.exec(event.failure)?.[1];
  const waited = ms ? ` in ${secondsText(Number(ms))}` : "";
  const bound = event.boundMs !== undefined ? `; giving up after about ${secondsText(event.boundMs)} in all` : "";
  return { server, text: `no answer from ${server}${waited}, retrying ${event.attempt}/${event.attempts}${bound}` };
}

function secondsText(ms: number): string {
  const seconds = ms / 1000;
  return `${seconds >= 10 ? Math.round(seconds) : Number(seconds.toFixed(1))} s`;
}

function hostOf(url: string): string {
  const match = /^[a-z]+:\/\/[^/]+/i.exec(url);
  return match ? match[0] : url;
}
