/**
 * Sends one logical request to a list of base URLs: a refused connection moves
 * on to the next URL at once (nothing was sent, so that is safe for any method);
 * other transient failures retry, with the waits from the retry table, only for
 * the methods the table names. Waits run on the injected Clock.
 */
import type { Clock } from "../core/ports/clock.js";
import { UnreachableError } from "../errors.js";
import { RequestTimedOutError } from "./errors.js";
import { eventUrl, publishHttpEvent } from "./http-events.js";
import { attemptsAllowed, isRetryable, retryDelay, retryDelaysTotal, type AttemptFailure, type RetryPolicy } from "./retry-policy.js";
import { displayUrl, joinUrl } from "./safe-url.js";
import { TransportFailure, type HttpRequest, type HttpResponse, type HttpStreamResponse, type HttpTransport, type StreamingHttpTransport } from "./transport.js";

/** Reported before each wait-and-retry, for `--debug` output and tests. */
export interface RetryInfo {
  method: string;
  /** The URL that failed (display form). */
  url: string;
  /** What went wrong: "connection refused", "503 Service Unavailable", ... */
  failure: string;
  /** 1 for the first retry. */
  retry: number;
  delayMs: number;
}

export interface FailoverOptions {
  /** Base URLs without user info, e.g. `https://m1:8443` or `https://dcos/service/marathon`. */
  baseUrls: readonly string[];
  /** `stream` is needed only by callers of FailoverRequester.stream (Marathon's event stream). */
  transport: HttpTransport | StreamingHttpTransport;
  retry: RetryPolicy;
  clock: Clock;
  onRetry?: (info: RetryInfo) => void;
}

/** A request relative to the base URL. */
export interface RelativeRequest extends Omit<HttpRequest, "url"> {
  /** Path plus query string, e.g. `/v2/apps/web?embed=app.readiness`. */
  path: string;
}

/** Every attempt of a request failed without an HTTP answer. */
class AttemptsFailed extends Error {
  constructor(readonly failures: readonly TransportFailure[]) {
    super(failures.map((f) => f.message).join("; "));
    this.name = "AttemptsFailed";
  }
  get last(): TransportFailure {
    return this.failures[this.failures.length - 1] as TransportFailure;
  }
}

export interface FailoverRequester {
  /** Sends the request; resolves with the first HTTP answer the table does not retry. */
  send(request: RelativeRequest): Promise<HttpResponse>;
  /** Like send, but returns a streaming answer (used for server-sent events). */
  stream(request: RelativeRequest): Promise<HttpStreamResponse>;
  /** Tries this base URL first from now on (a known leader). Ignored if it is not in the list. */
  prefer(baseUrl: string): void;
  /** The base URL tried first. */
  readonly preferred: string;
  readonly baseUrls: readonly string[];
}

export function createFailoverRequester(options: FailoverOptions): FailoverRequester {
  const { baseUrls, transport, retry, clock, onRetry } = options;
  if (baseUrls.length === 0) throw new Error("createFailoverRequester needs at least one base URL");
  let preferredIndex = 0;

  async function run<R extends { status: number; statusText: string }>(
    request: RelativeRequest,
    exchange: (request: HttpRequest) => Promise<R>,
    discard: (response: R) => void,
  ): Promise<R> {
    const method = request.method.toUpperCase();
    const failures: TransportFailure[] = [];
    let index = preferredIndex;
    let retries = 0;
    let refusedInARow = 0;
    for (;;) {
      const base = baseUrls[index] as string;
      const url = joinUrl(base, request.path);
      let outcome: R | TransportFailure;
      // The transport publishes the exchange itself (http-events.ts); this layer publishes retries.
      try {
        outcome = await exchange({ ...request, method, url });
      } catch (error) {
        if (!(error instanceof TransportFailure)) throw error;
        outcome = error;
      }
      if (!(outcome instanceof TransportFailure)) {
        const delay = retryDelay(retry, method, outcome.status, retries);
        if (delay === undefined) {
          preferredIndex = index;
          return outcome;
        }
        discard(outcome);
        await wait(method, url, `${outcome.status} ${outcome.statusText}`, delay);
        retries++;
        refusedInARow = 0;
        index = (index + 1) % baseUrls.length;
        continue;
      }
      failures.push(outcome);
      if (outcome.kind === "aborted" || outcome.kind === "deadline") throw new AttemptsFailed(failures);
      if (outcome.kind === "connect" && refusedInARow + 1 < baseUrls.length) {
        // Nothing was sent: the next Marathon may be up.
        refusedInARow++;
        index = (index + 1) % baseUrls.length;
        continue;
      }
      const kind: AttemptFailure | undefined = outcome.kind === "connect" || outcome.kind === "reset" || outcome.kind === "timeout" ? outcome.kind : undefined;
      const delay = kind === undefined ? undefined : retryDelay(retry, method, kind, retries);
      if (delay === undefined) throw new AttemptsFailed(failures);
      await wait(method, url, outcome.reason, delay, outcome.kind === "timeout" ? outcome.timeoutMs : undefined);
      retries++;
      refusedInARow = 0;
      index = (index + 1) % baseUrls.length;
    }

    async function wait(m: string, url: string, failure: string, delayMs: number, timeoutMs?: number): Promise<void> {
      onRetry?.({ method: m, url: displayUrl(url), failure, retry: retries + 1, delayMs });
      const attempts = attemptsAllowed(retry, m);
      // When every attempt times out: each waits its timeout, plus the pauses between them.
      const boundMs = timeoutMs !== undefined ? attempts * timeoutMs + retryDelaysTotal(retry, m) : undefined;
      publishHttpEvent({ kind: "retry", method: m, url: eventUrl(url), failure, attempt: retries + 2, attempts, delayMs, ...(boundMs !== undefined ? { boundMs } : {}) });
      try {
        await clock.sleep(delayMs, request.signal);
      } catch (error) {
        if (!request.signal?.aborted) throw error;
        // The caller's deadline or cancel came during the pause: the same failure as during an attempt.
        const reason: unknown = request.signal.reason;
        const kind = (reason as Error | undefined)?.name === "TimeoutError" ? "deadline" : "aborted";
        throw new AttemptsFailed([...failures, new TransportFailure(kind, m, displayUrl(url), undefined, 0, { cause: reason })]);
      }
    }
  }

  return {
    send: (request) => run(request, (r) => transport.request(r), () => undefined),
    stream: (request) =>
      run(
        request,
        (r) => {
          if (!("stream" in transport)) throw new Error("this transport cannot stream");
          return transport.stream(r);
        },
        (response) => response.body.destroy(),
      ),
    prefer(baseUrl) {
      const index = baseUrls.indexOf(baseUrl);
      if (index >= 0) preferredIndex = index;
    },
    get preferred() {
      return baseUrls[preferredIndex] as string;
    },
    baseUrls,
  };
}

/**
 * The error a person reads when a request got no HTTP answer: RequestTimedOutError
 * when a request the table does not retry (PUT, POST, DELETE) may have reached the
 * server, otherwise UnreachableError naming each URL tried and what went wrong.
 * Errors other than AttemptsFailed pass through; a caller's abort gives its reason.
 */
export function noAnswerError(
  error: unknown,
  context: { method: string; path: string; baseUrls: readonly string[]; retry: RetryPolicy; timeoutMs: number; service: string },
): unknown {
  if (error instanceof TransportFailure) error = new AttemptsFailed([error]);
  if (!(error instanceof AttemptsFailed)) return error;
  const { method, path, baseUrls, retry, timeoutMs, service } = context;
  const last = error.last;
  if (last.kind === "aborted") return last.cause ?? last;
  if (last.kind === "deadline") return new UnreachableError(`${method} ${last.url}: ${last.reason}`);
  if ((last.kind === "timeout" || last.kind === "reset") && !isRetryable(retry, method, last.kind)) {
    return new RequestTimedOutError(method, last.url, last.kind, timeoutMs);
  }
  const tried = [...new Set(error.failures.map((f) => `${f.url}: ${f.reason}`))];
  const where = baseUrls.length === 1 ? displayUrl(joinUrl(baseUrls[0] as string, path)) : `any of ${baseUrls.length} ${service} URLs`;
  return new UnreachableError(`${method} ${where}: ${last.reason}`, baseUrls.length === 1 && tried.length === 1 ? [] : tried);
}

/**
 * Sends requests to absolute URLs (GitLab's pages, a registry and its token realm) with
 * the same retry table and clock as the failover requester, one URL at a time. Fails with
 * AttemptsFailed when no HTTP answer came (see {@link describeAttempts}).
 */
export function createRetryingSender(options: Omit<FailoverOptions, "baseUrls">): { send(request: HttpRequest): Promise<HttpResponse> } {
  return {
    send(request) {
      const url = new URL(request.url);
      const requester = createFailoverRequester({ ...options, baseUrls: [url.origin] });
      return requester.send({ ...request, path: `${url.pathname}${url.search}` });
    },
  };
}

/** The reason the last attempt got no answer ("connection refused", ...), or undefined for other errors. */
export function describeAttempts(error: unknown): string | undefined {
  if (error instanceof AttemptsFailed) return error.last.reason;
  if (error instanceof TransportFailure) return error.reason;
  return undefined;
}
