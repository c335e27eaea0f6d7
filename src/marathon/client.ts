/**
 * The Marathon REST adapter: typed calls over one or more Marathon URLs, with
 * auth, TLS, failover, leader following, timeouts, the retry table and typed
 * errors. It only talks to Marathon; deciding what to do with the answers is
 * the deploy engine's job.
 *
 * Errors it throws:
 * - {@link MarathonApiError} (an HttpError) for error statuses, message like
 *   `PUT https://marathon/v2/apps/click-count: 409 Conflict: App is locked by one or more deployments`,
 *   with 422 `details` as "path: error" lines and the locking deployment ids.
 * - UnreachableError (exit 6) when no URL answers or TLS fails; its subclass
 *   {@link MarathonAuthError} when Marathon says 401/403. Never contains credentials.
 * - {@link RequestTimedOutError} (`mayHaveApplied: true`) when a PUT/POST/DELETE got no
 *   answer: read the app before deciding anything.
 * - {@link UnexpectedResponseError} when a 2xx answer lacks fields mdeploy depends on.
 */
import type { Readable } from "node:stream";
import type { Clock } from "../core/ports/clock.js";
import { systemClock } from "../host/system-clock.js";
import { ConfigError, ExitCode, HttpError, UnreachableError } from "../errors.js";
import { authorizationHeader, resolveAuth, type HttpAuth } from "../http/auth.js";
import { UnexpectedResponseError } from "../http/errors.js";
import { createFailoverRequester, noAnswerError, type RetryInfo } from "../http/failover.js";
import { defaultRetryPolicy, type RetryPolicy } from "../http/retry-policy.js";
import { displayUrl, normalizeBaseUrl } from "../http/safe-url.js";
import { briefErrorText, isRedirect } from "../http/status.js";
import { createHttpTransport } from "../http/node-transport.js";
import { credentialsMayFollow, followRedirectOnce, redirectTarget } from "../http/redirect.js";
import type { HttpResponse, TlsOptions } from "../http/transport.js";
import { createResponseChecker } from "../http/response-checker.js";
import { looksLikeServiceAnswer, notServiceMessage, redirectMessage } from "../http/service-identity.js";
import { marathonResponseSchemas, type MarathonResponseKind } from "./response-schemas.js";
import type { AppDefinition, AppStatus, Deployment, DeploymentResult, MarathonErrorBody, QueueItem } from "./types.js";

export { UnexpectedResponseError } from "../http/errors.js";
export type { RetryInfo } from "../http/failover.js";
export type { RetryPolicy } from "../http/retry-policy.js";
export type { TlsOptions } from "../http/transport.js";

/** Basic auth (`--http_credentials`) or a DC/OS ACS token (`Authorization: token=...`). */
export type MarathonAuth = HttpAuth;

export interface MarathonClientOptions {
  /** One or more Marathon base URLs, e.g. `["https://m1:8443", "https://m2:8443"]` or `["https://dcos/service/marathon"]`. User info in a URL is used as basic auth and never shown. */
  urls: readonly string[];
  auth?: MarathonAuth;
  /** CA file and the explicit insecure switch; verification is on by default. */
  tls?: TlsOptions;
  /** Per-request timeout in ms (default 10 000). */
  timeoutMs?: number;
  /** Waits between retries run on this clock (default: the wall clock). */
  clock?: Clock;
  /** Which failures retry (default {@link defaultRetryPolicy}: GETs only). */
  retry?: RetryPolicy;
  /** Called before each wait-and-retry (for `--debug` lines). */
  onRetry?: (info: RetryInfo) => void;
}

/** Optional `embed` values of `GET /v2/apps/{id}`. */
export type AppEmbed = "app.tasks" | "app.counts" | "app.deployments" | "app.readiness" | "app.lastTaskFailure" | "app.taskStats";
/** Optional `embed` values of `GET /v2/apps`. */
export type AppsEmbed = "apps.tasks" | "apps.counts" | "apps.deployments" | "apps.readiness" | "apps.lastTaskFailure" | "apps.taskStats";

/** `GET /v2/info` (loosely typed: only a few fields are read). */
export interface MarathonInfo {
  name?: string;
  version?: string;
  leader?: string;
  frameworkId?: string;
  [field: string]: unknown;
}

/** An open `/v2/events` connection. */
export interface EventStreamConnection {
  /** The URL that serves the stream (the leader after a redirect); display form. */
  url: string;
  /** Raw SSE bytes; destroy it to close. */
  body: Readable;
}

export interface MarathonClient {
  /** Display forms of the configured base URLs (no user info). */
  readonly urls: readonly string[];
  /** The leader's URL as Marathon last reported it (`X-Marathon-Leader`), if any. */
  readonly leaderUrl: string | undefined;
  /** `GET /v2/apps`. */
  listApps(options?: { embed?: readonly AppsEmbed[]; signal?: AbortSignal }): Promise<AppStatus[]>;
  /** `GET /v2/apps/{id}` with tasks, lastTaskFailure, deployments and (by default embedded) readinessCheckResults. A missing app throws MarathonApiError 404. */
  getApp(id: string, options?: { embed?: readonly AppEmbed[]; signal?: AbortSignal }): Promise<AppStatus>;
  /** Like getApp, but undefined when the app does not exist. */
  findApp(id: string, options?: { embed?: readonly AppEmbed[]; signal?: AbortSignal }): Promise<AppStatus | undefined>;
  /** `PUT /v2/apps/{id}`: create or update. Never retried; a timeout throws RequestTimedOutError. `partialUpdate` is sent only when given (Marathon's default is true; `false` replaces the whole definition). */
  putApp(app: AppDefinition, options?: { force?: boolean; partialUpdate?: boolean }): Promise<DeploymentResult>;
  /** `POST /v2/apps`: create. Returns the created app and its deployment id (from `Marathon-Deployment-Id` or the body). */
  postApp(app: AppDefinition): Promise<{ app: AppStatus; deploymentId: string | undefined }>;
  /** `DELETE /v2/apps/{id}`. */
  deleteApp(id: string, options?: { force?: boolean }): Promise<DeploymentResult>;
  /** `POST /v2/apps/{id}/restart`. */
  restartApp(id: string, options?: { force?: boolean }): Promise<DeploymentResult>;
  /** `GET /v2/apps/{id}/versions`, newest first as Marathon lists them. */
  getAppVersions(id: string): Promise<string[]>;
  /** `GET /v2/apps/{id}/versions/{version}`: that version's definition. */
  getAppVersion(id: string, version: string): Promise<AppDefinition>;
  /** `PUT /v2/apps/{id}` with `{"version": version}`: redeploys an earlier definition (instances included) as a new version. */
  rollbackApp(id: string, version: string, options?: { force?: boolean }): Promise<DeploymentResult>;
  /** `GET /v2/deployments`. */
  getDeployments(options?: { signal?: AbortSignal }): Promise<Deployment[]>;
  /**
   * `DELETE /v2/deployments/{id}`. Without force Marathon starts a revert deployment and
   * answers `{deploymentId, version}`; with `force: true` it only cancels (202, undefined).
   * Never retried: a repeated revert would revert the revert.
   */
  deleteDeployment(id: string, options?: { force?: boolean }): Promise<DeploymentResult | undefined>;
  /** `GET /v2/queue` (with the offer-reject summaries). */
  getQueue(options?: { signal?: AbortSignal }): Promise<QueueItem[]>;
  /** `GET /v2/info`. */
  getInfo(): Promise<MarathonInfo>;
  /** `GET /v2/leader`: "host:port", or undefined while there is no leader (404). */
  getLeader(): Promise<string | undefined>;
  /** `GET /ping`: resolves when a Marathon answers "pong". */
  ping(): Promise<void>;
  /**
   * `GET /v2/events` with `Accept: text/event-stream` and one `event_type` per filter,
   * following Marathon's 302 from a standby to the leader. Used by followMarathonEvents.
   */
  openEventStream(options: { eventTypes?: readonly string[]; signal?: AbortSignal }): Promise<EventStreamConnection>;
  /** Closes pooled connections. */
  close(): void;
}

/**
 * An error status from Marathon. Extends HttpError with what the deploy engine
 * reads: the parsed body and, for a 409, the ids of the deployments holding the lock.
 */
export class MarathonApiError extends HttpError {
  constructor(
    method: string,
    url: string,
    status: number,
    statusText: string,
    serverMessage: string,
    details: readonly string[],
    /** The parsed error body, when it was JSON. */
    readonly body: MarathonErrorBody | undefined,
  ) {
    super(method, url, status, statusText, serverMessage, details);
  }
  /** Deployments named in a 409 "App is locked" answer. */
  get lockingDeploymentIds(): string[] {
    return (this.body?.deployments ?? []).map((d) => d.id).filter((id): id is string => typeof id === "string");
  }
}

/**
 * Marathon refused what was sent as invalid (400, 422 with "path: error" details): the
 * rendered app definition is wrong, which is bad input (exit 2). Every other status
 * mdeploy does not handle stays a MarathonApiError (exit 6, from HttpError).
 */
export class MarathonRejectedInputError extends MarathonApiError {
  override readonly exitCode = ExitCode.badInput;
}

/**
 * Marathon answered 401 or 403: credentials missing, wrong, or not allowed.
 * An UnreachableError (exit 6); retrying does not help, so followers stop on it.
 */
export class MarathonAuthError extends UnreachableError {
  constructor(
    message: string,
    details: readonly string[],
    readonly status: number,
  ) {
    super(message, details);
  }
}

const MAX_EVENT_REDIRECTS = 3;
/** What to do about a redirect mdeploy does not follow. */
const WRONG_URL_HINT = "point MARATHON_URL (or marathon.urls) at the address Marathon answers on";

/**
 * Size caps on Marathon's answers (decompressed). Lists grow with the cluster: 2,000 apps
 * with their tasks, or /v2/deployments on Marathon 1.4 (whole groups in every plan), run to
 * tens of MB. One app (tasks embedded), one version, or the answer to a write is far smaller.
 * An answer past its cap is ResponseTooLargeError (exit 6) naming the URL.
 */
const MARATHON_LIST_MAX_BYTES = 64 * 1024 * 1024;
/** See {@link MARATHON_LIST_MAX_BYTES}. */
const MARATHON_ANSWER_MAX_BYTES = 16 * 1024 * 1024;
/** How much of an error answer to the event stream is read for its message. */
const EVENT_ERROR_BODY_BYTES = 64 * 1024;

/** Builds a Marathon client. Throws ConfigError for a missing URL or unreadable CA file. */
export function createMarathonClient(options: MarathonClientOptions): MarathonClient {
  if (options.urls.length === 0) throw new ConfigError("No Marathon URL is configured: set MARATHON_URL (a comma list for several) or marathon.urls in mdeploy.yml");
  const baseUrls = options.urls.map((u) => normalizeBaseUrl(u.trim(), "Marathon URL"));
  const auth = resolveAuth(options.auth, options.urls);
  const authHeader = authorizationHeader(auth);
  const timeoutMs = options.timeoutMs ?? 10_000;
  const retry = options.retry ?? defaultRetryPolicy;
  const clock = options.clock ?? systemClock;
  const transport = createHttpTransport({ tls: options.tls, timeoutMs, maxResponseBytes: MARATHON_ANSWER_MAX_BYTES });
  const requester = createFailoverRequester({ baseUrls, transport, retry, clock, onRetry: options.onRetry });
  const check = createResponseChecker(marathonResponseSchemas, "marathon-responses");
  let leaderUrl: string | undefined;

  const headers = (accept = "application/json"): Record<string, string> => ({ accept, ...(authHeader ? { authorization: authHeader } : {}) });

  /** Learns the leader from `X-Marathon-Leader`; prefers a configured URL on the same host:port. */
  function noteLeader(response: { headers: Record<string, string | undefined> }): void {
    const leader = response.headers["x-marathon-leader"];
    if (!leader) return;
    leaderUrl = leader;
    const leaderHost = hostOf(leader);
    const match = baseUrls.find((b) => hostOf(b) === leaderHost);
    if (match) requester.prefer(match);
  }

  async function call(method: string, path: string, body?: unknown, signal?: AbortSignal, maxBytes?: number): Promise<HttpResponse> {
    let response: HttpResponse;
    try {
      response = await requester.send({ method, path, headers: headers(), body: body === undefined ? undefined : JSON.stringify(body), signal, ...(maxBytes ? { maxBytes } : {}) });
    } catch (error) {
      throw transportError(method, path, error);
    }
    noteLeader(response);
    if (response.status >= 200 && response.status < 300 && looksLikeServiceAnswer(response)) return response;
    // A GET's redirect is followed once (credentials only where they may go); a write's is named.
    response = await followRedirectOnce(transport, { method, headers: headers(), ...(signal ? { signal } : {}), ...(maxBytes ? { maxBytes } : {}) }, response, WRONG_URL_HINT);
    if (response.status >= 300 && response.status < 400) {
      throw new UnreachableError(redirectMessage(method, displayUrl(response.url), response), [WRONG_URL_HINT]);
    }
    // Only a 404 or a success can be "not Marathon at all"; 401/403 and 5xx keep their own meaning.
    const maybeElsewhere = response.status === 404 || (response.status >= 200 && response.status < 300);
    if (maybeElsewhere && !looksLikeServiceAnswer(response) && path !== "/v2/info") await insistOnMarathon(response);
    if (response.status >= 200 && response.status < 300) return response;
    throw statusError(method, response, auth !== undefined);
  }

  /**
   * An answer Marathon would not give (HTML, a login page): ask /v2/info once.
   * When that is not Marathon's either, the URL is wrong (exit 6).
   */
  async function insistOnMarathon(answer: HttpResponse): Promise<void> {
    const base = baseUrls.find((b) => answer.url.startsWith(b)) ?? baseUrls[0] ?? "";
    let info: HttpResponse;
    try {
      info = await requester.send({ method: "GET", path: "/v2/info", headers: headers() });
    } catch (error) {
      throw transportError("GET", "/v2/info", error);
    }
    if (info.status === 200 && looksLikeServiceAnswer(info)) return;
    throw new UnreachableError(notServiceMessage("Marathon", displayUrl(base).replace(/\/$/, ""), "GET /v2/info", info), [
      `it answered ${displayUrl(answer.url)} with ${answer.status} ${answer.statusText}; check MARATHON_URL (Marathon listens on 8080 by default, Mesos on 5050)`,
    ]);
  }

  const transportError = (method: string, path: string, error: unknown): unknown =>
    noAnswerError(error, { method, path, baseUrls, retry, timeoutMs, service: "Marathon" });

  function parse<T>(kind: MarathonResponseKind, method: string, response: HttpResponse): T {
    let value: unknown;
    try {
      value = response.body === "" ? undefined : JSON.parse(response.body);
    } catch {
      throw new UnexpectedResponseError(method, displayUrl(response.url), [`/: not JSON (starts with ${JSON.stringify(response.body.slice(0, 40))})`]);
    }
    const problems = check(kind, value);
    if (problems.length > 0) throw new UnexpectedResponseError(method, displayUrl(response.url), problems);
    return value as T;
  }

  const get = async <T>(kind: MarathonResponseKind, path: string, signal?: AbortSignal, maxBytes?: number): Promise<T> =>
    parse<T>(kind, "GET", await call("GET", path, undefined, signal, maxBytes));

  const client: MarathonClient = {
    urls: baseUrls,
    get leaderUrl() {
      return leaderUrl;
    },
    async listApps(opts = {}) {
      const result = await get<{ apps: AppStatus[] }>("appsEnvelope", `/v2/apps${query({ embed: opts.embed })}`, opts.signal, MARATHON_LIST_MAX_BYTES);
      return result.apps;
    },
    async getApp(id, opts = {}) {
      const embed = opts.embed ?? ["app.readiness"];
      const result = await get<{ app: AppStatus }>("appEnvelope", `${appPath(id)}${query({ embed })}`, opts.signal);
      return result.app;
    },
    async findApp(id, opts = {}) {
      try {
        return await client.getApp(id, opts);
      } catch (error) {
        if (error instanceof MarathonApiError && error.status === 404) return undefined;
        throw error;
      }
    },
    async putApp(app, opts = {}) {
      const path = `${appPath(app.id)}${query({ force: opts.force, partialUpdate: opts.partialUpdate })}`;
      return parse<DeploymentResult>("deploymentResult", "PUT", await call("PUT", path, app));
    },
    async postApp(app) {
      const response = await call("POST", "/v2/apps", app);
      const created = parse<AppStatus>("appDefinition", "POST", response);
      const deploymentId = response.headers["marathon-deployment-id"] ?? created.deployments?.[0]?.id;
      return { app: created, deploymentId };
    },
    async deleteApp(id, opts = {}) {
      return parse<DeploymentResult>("deploymentResult", "DELETE", await call("DELETE", `${appPath(id)}${query({ force: opts.force })}`));
    },
    async restartApp(id, opts = {}) {
      return parse<DeploymentResult>("deploymentResult", "POST", await call("POST", `${appPath(id)}/restart${query({ force: opts.force })}`));
    },
    async getAppVersions(id) {
      return (await get<{ versions: string[] }>("versions", `${appPath(id)}/versions`)).versions;
    },
    async getAppVersion(id, version) {
      return get<AppDefinition>("appDefinition", `${appPath(id)}/versions/${encodeURIComponent(version)}`);
    },
    async rollbackApp(id, version, opts = {}) {
      const path = `${appPath(id)}${query({ force: opts.force })}`;
      return parse<DeploymentResult>("deploymentResult", "PUT", await call("PUT", path, { version }));
    },
    async getDeployments(opts = {}) {
      return get<Deployment[]>("deployments", "/v2/deployments", opts.signal, MARATHON_LIST_MAX_BYTES);
    },
    async deleteDeployment(id, opts = {}) {
      const response = await call("DELETE", `/v2/deployments/${encodeURIComponent(id)}${query({ force: opts.force })}`);
      if (opts.force || response.status === 202 || response.body.trim() === "") return undefined;
      return parse<DeploymentResult>("deploymentResult", "DELETE", response);
    },
    async getQueue(opts = {}) {
      return (await get<{ queue: QueueItem[] }>("queue", "/v2/queue", opts.signal, MARATHON_LIST_MAX_BYTES)).queue;
    },
    async getInfo() {
      return get<MarathonInfo>("info", "/v2/info");
    },
    async getLeader() {
      try {
        return (await get<{ leader: string }>("leader", "/v2/leader")).leader;
      } catch (error) {
        if (error instanceof MarathonApiError && error.status === 404) return undefined;
        throw error;
      }
    },
    async ping() {
      await call("GET", "/ping");
    },
    async openEventStream(opts) {
      const path = `/v2/events${query({ event_type: opts.eventTypes })}`;
      let stream;
      try {
        stream = await requester.stream({ method: "GET", path, headers: headers("text/event-stream"), signal: opts.signal });
      } catch (error) {
        throw transportError("GET", path, error);
      }
      // Marathon 1.7+ standbys answer /v2/events with a 302 to the leader instead of proxying.
      // Credentials dropped at one hop stay dropped: a host that did not get them must not earn them by redirecting to itself.
      let carryCredentials = true;
      for (let hop = 0; isRedirect(stream.status) && stream.headers.location; hop++) {
        stream.body.destroy();
        if (hop >= MAX_EVENT_REDIRECTS) throw new UnreachableError(`GET ${displayUrl(stream.url)}: more than ${MAX_EVENT_REDIRECTS} redirects for the event stream`);
        // Not an http(s) URL (file:, a Location that does not parse): named like any redirect not followed.
        const target = redirectTarget(stream.headers.location, stream.url)?.href;
        if (target === undefined) throw new UnreachableError(redirectMessage("GET", displayUrl(stream.url), stream), [WRONG_URL_HINT]);
        // The leader keeps the credentials (same path); another path elsewhere or a downgrade to http does not.
        carryCredentials &&= credentialsMayFollow(new URL(stream.url), new URL(target));
        const redirectHeaders = carryCredentials ? headers("text/event-stream") : { accept: "text/event-stream" };
        try {
          stream = await transport.stream({ method: "GET", url: target, headers: redirectHeaders, signal: opts.signal });
        } catch (error) {
          throw transportError("GET", path, error);
        }
        const preferred = baseUrls.find((b) => hostOf(b) === hostOf(target));
        if (preferred) requester.prefer(preferred);
      }
      noteLeader(stream);
      if (stream.status !== 200) {
        const text = await readStart(stream.body, EVENT_ERROR_BODY_BYTES, timeoutMs, opts.signal);
        throw statusError("GET", { ...stream, body: text }, auth !== undefined);
      }
      return { url: displayUrl(stream.url), body: stream.body };
    },
    close() {
      transport.close();
    },
  };
  return client;
}

/** Turns an error status into MarathonApiError, or UnreachableError for 401/403. */
function statusError(method: string, response: HttpResponse, sentCredentials: boolean): Error {
  const url = displayUrl(response.url);
  const body = parseErrorBody(response.body);
  const serverMessage = body ? trimMessage(body.message, response.status) : briefErrorText(response.body);
  if (response.status === 401 || response.status === 403) {
    const hint = sentCredentials
      ? "Marathon did not accept the credentials: check MARATHON_USERNAME/MARATHON_PASSWORD (basic auth) or MARATHON_TOKEN (DC/OS)."
      : "Marathon wants credentials and none were given: set MARATHON_USERNAME and MARATHON_PASSWORD, or MARATHON_TOKEN (DC/OS).";
    const text = `${method} ${url}: ${response.status} ${response.statusText}${serverMessage ? `: ${serverMessage}` : ""}`;
    return new MarathonAuthError(text, response.status === 401 || !serverMessage ? [hint] : [], response.status);
  }
  // Bad input is Marathon's own (JSON) refusal of what was sent; a GET sends nothing to refuse, and a proxy's
  // HTML 400 ("plain HTTP request sent to HTTPS port") means a wrong URL, not a wrong definition.
  const rejectsInput = (response.status === 400 || response.status === 422) && method !== "GET" && body !== undefined;
  const ErrorClass = rejectsInput ? MarathonRejectedInputError : MarathonApiError;
  return new ErrorClass(method, url, response.status, response.statusText, serverMessage, detailLines(body, response.status), body);
}

function parseErrorBody(text: string): MarathonErrorBody | undefined {
  try {
    const value: unknown = JSON.parse(text);
    if (value && typeof value === "object" && typeof (value as { message?: unknown }).message === "string") return value as MarathonErrorBody;
  } catch {
    // Not JSON: proxies and Jetty answer HTML or plain text.
  }
  return undefined;
}

/** Marathon's 409 text ends with advice to add `?force=true`; mdeploy's `--force` is the way, so keep the first sentence. */
function trimMessage(message: string, status: number): string {
  if (status === 409 && message.startsWith("App is locked by one or more deployments")) return "App is locked by one or more deployments";
  return message;
}


/** "path: error" lines from a 422 (or 400) body; deployment ids for a 409. */
function detailLines(body: MarathonErrorBody | undefined, status: number): string[] {
  if (!body) return [];
  const lines: string[] = [];
  const details: unknown = (body as { details?: unknown }).details;
  if (Array.isArray(details)) {
    for (const entry of details as { path?: unknown; errors?: unknown }[]) {
      const path = typeof entry?.path === "string" && entry.path !== "" ? entry.path : "/";
      const errors = Array.isArray(entry?.errors) ? entry.errors.map(String) : [];
      for (const e of errors.length > 0 ? errors : ["is invalid"]) lines.push(`${path}: ${e}`);
    }
  } else if (typeof details === "string" && details.trim() !== "") {
    lines.push(details.trim());
  }
  if (status === 409) for (const d of body.deployments ?? []) if (d && typeof d.id === "string") lines.push(`locked by deployment ${d.id}`);
  return lines;
}

function appPath(id: string): string {
  const segments = id.split("/").filter((s) => s !== "");
  return `/v2/apps/${segments.map(encodeURIComponent).join("/")}`;
}

function query(params: Record<string, string | boolean | readonly string[] | undefined>): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const v of value) search.append(name, String(v));
    else search.append(name, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : "";
}

function hostOf(url: string): string | undefined {
  try {
    return new URL(url.includes("://") ? url : `http://${url}`).host.toLowerCase();
  } catch {
    return undefined;
  }
}


/**
 * The start of an error answer, for its message: reading stops at `maxBytes`, after `waitMs`
 * or when `signal` aborts, whatever the server keeps sending or withholds (the transport's
 * timeout ended with the headers, so a body that never ends would hold the stream open forever).
 */
function readStart(body: Readable, maxBytes: number, waitMs: number, signal?: AbortSignal): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = (error?: Error) => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", stop);
      body.destroy();
      if (error) reject(error);
      else resolve(Buffer.concat(chunks).subarray(0, maxBytes).toString("utf8"));
    };
    const stop = () => finish();
    const timer = setTimeout(stop, waitMs);
    signal?.addEventListener("abort", stop, { once: true });
    body.on("data", (chunk: Buffer | string) => {
      const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
      chunks.push(bytes);
      size += bytes.length;
      if (size >= maxBytes) stop();
    });
    body.on("end", stop);
    body.on("close", stop);
    body.on("error", finish);
    if (signal?.aborted) stop();
  });
}
