/**
 * What the HTTP adapters did, published on a Node diagnostics channel so the
 * CLI can show it (`--debug`: one line per request; always: a note when a
 * server does not answer) without any adapter knowing about output. Publishing
 * costs nothing while no one subscribes. URLs are shown by {@link eventUrl} (no user
 * info, secret-looking query values replaced); the subscriber also passes every line
 * through the redactor. Exchanges are published by {@link observeExchange} alone, which
 * every transport implementation calls, so every adapter shows up the same way.
 */
import { channel } from "node:diagnostics_channel";
import { displayUrl } from "./safe-url.js";

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

/** Query parameters whose values are credentials (`?private_token=`, `?access_token=`, signed URLs). */
const SECRET_PARAM = /token|secret|passw|key|auth|sig|credential|session/i;

/** A URL as events show it: no user info, and the value of any secret-looking query parameter hidden. */
export function eventUrl(url: string): string {
  const shown = displayUrl(url);
  const parsed = URL.parse(shown);
  if (!parsed || parsed.search === "") return shown;
  const entries = [...parsed.searchParams];
  if (!entries.some(([name]) => SECRET_PARAM.test(name))) return shown;
  parsed.search = new URLSearchParams(entries.map(([name, value]): [string, string] => [name, SECRET_PARAM.test(name) ? "REDACTED" : value])).toString();
  return parsed.toString();
}

/**
 * Runs one exchange and publishes its outcome: the status, or the failure as `describe`
 * phrases what was thrown (with the timeout when it was one). The one place exchanges
 * are published; transport implementations call it, adapters never do.
 */
export async function observeExchange<R extends { status: number; statusText: string }>(
  method: string,
  url: string,
  exchange: () => Promise<R>,
  describe: (error: unknown) => { failure: string; timeoutMs?: number },
): Promise<R> {
  if (!events.hasSubscribers) return exchange();
  const started = performance.now();
  const shown = eventUrl(url);
  try {
    const response = await exchange();
    publishHttpEvent({ kind: "exchange", method, url: shown, ms: performance.now() - started, status: response.status, statusText: response.statusText });
    return response;
  } catch (error) {
    const { failure, timeoutMs } = describe(error);
    publishHttpEvent({ kind: "exchange", method, url: shown, ms: performance.now() - started, failure, ...(timeoutMs !== undefined ? { timedOut: true, timeoutMs } : {}) });
    throw error;
  }
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
