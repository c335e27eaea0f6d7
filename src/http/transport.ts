/**
 * One HTTP exchange at a time, with TLS verification under the caller's control
 * and failures sorted into kinds that the retry table and error messages use.
 * Adapters (Marathon, Mesos) build on this; it knows nothing of their APIs.
 *
 * Built on axios with its own Node agents: `ca` and `rejectUnauthorized` are set
 * per transport (never process-wide), redirects are not followed (callers decide:
 * Marathon's 302 to its leader must keep the auth header, other redirects must
 * not), and environment proxies are ignored (`proxy: false`) because axios sends
 * https through an http proxy without CONNECT.
 */
import { readFileSync } from "node:fs";
import http from "node:http";
import https from "node:https";
import type { Readable } from "node:stream";
import { rootCertificates } from "node:tls";
import { createRequire } from "node:module";
import type { AxiosInstance, AxiosResponse, AxiosStatic } from "axios";
import { ConfigError } from "../errors.js";
import { ResponseTooLargeError } from "./body-limit.js";
import { displayUrl } from "./safe-url.js";

// axios' one-file CommonJS build: its ES module build is some 80 files plus their
// dependencies, which cost status, plan and history a third of their start-up.
const axios = createRequire(import.meta.url)("axios") as AxiosStatic;

/** TLS settings: verification is on unless `insecure` is set explicitly. */
export interface TlsOptions {
  /** PEM file with the CA certificate(s) to trust in addition to Node's bundle. */
  caFile?: string;
  /** Accept any server certificate. Off by default; only for test clusters. */
  insecure?: boolean;
}

export interface HttpTransportOptions {
  tls?: TlsOptions;
  /** Default per-request timeout (time to the full answer; for streams, to the headers). Default 10 s. */
  timeoutMs?: number;
  /**
   * Default cap on an answer read whole (decompressed bytes); past it the request fails with
   * ResponseTooLargeError and reading stops. Default {@link DEFAULT_MAX_RESPONSE_BYTES}; each
   * adapter states its own. Streams are not capped here (their reader bounds each frame).
   */
  maxResponseBytes?: number;
}

/** The cap when an adapter states none: far above any answer these APIs give for one request. */
export const DEFAULT_MAX_RESPONSE_BYTES = 16 * 1024 * 1024;

export interface HttpRequest {
  method: string;
  url: string;
  headers?: Record<string, string>;
  /** Already serialized body. */
  body?: string;
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Cap on this answer's size (overrides the transport's); see HttpTransportOptions.maxResponseBytes. */
  maxBytes?: number;
}

export interface HttpResponse {
  status: number;
  statusText: string;
  /** Lower-case header names. */
  headers: Record<string, string | undefined>;
  body: string;
  /** The URL that answered. */
  url: string;
}

export interface HttpStreamResponse extends Omit<HttpResponse, "body"> {
  /** The body as it arrives; destroy it to close the connection. */
  body: Readable;
}

/** Why an exchange produced no HTTP answer. */
export type TransportFailureKind =
  /** Refused, unknown host, unreachable: the request was not sent. */
  | "connect"
  /** The connection broke; the server may have received the request. */
  | "reset"
  /** No answer within the timeout; the server may have received the request. */
  | "timeout"
  /** The TLS handshake failed (untrusted or mismatched certificate, plain HTTP on an https URL). */
  | "tls"
  /** The caller's signal aborted the request. */
  | "aborted"
  | "other";

/**
 * An exchange that got no HTTP answer. Internal: adapters turn it into
 * UnreachableError or RequestTimedOutError with a message for people.
 */
export class TransportFailure extends Error {
  constructor(
    readonly kind: TransportFailureKind,
    readonly method: string,
    /** Display form (no user info). */
    readonly url: string,
    /** The system error code (ECONNREFUSED, DEPTH_ZERO_SELF_SIGNED_CERT, ...), if any. */
    readonly code: string | undefined,
    readonly timeoutMs: number,
    options?: { cause?: unknown },
  ) {
    super(`${method} ${url}: ${describeFailure(kind, code, timeoutMs)}`, options);
    this.name = "TransportFailure";
  }

  /** A short phrase for messages: "connection refused", "no answer within 10000 ms", ... */
  get reason(): string {
    return describeFailure(this.kind, this.code, this.timeoutMs);
  }
}

export interface HttpTransport {
  /** Sends a request and reads the whole answer as text. Never throws for HTTP statuses. */
  request(request: HttpRequest): Promise<HttpResponse>;
  /** Sends a request and returns once headers arrive; the body streams. */
  stream(request: HttpRequest): Promise<HttpStreamResponse>;
  /** Closes pooled connections. */
  close(): void;
}

const CONNECT_CODES = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH", "EADDRNOTAVAIL", "EHOSTDOWN"]);
const RESET_CODES = new Set(["ECONNRESET", "EPIPE", "ERR_STREAM_PREMATURE_CLOSE", "ECONNABORTED_BY_PEER"]);
const TLS_CODE = /CERT|SSL|TLS|EPROTO|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|HOSTNAME/;

/** Builds a transport. Reads the CA file now, so a wrong path fails before any request. */
export function createHttpTransport(options: HttpTransportOptions = {}): HttpTransport {
  const defaultTimeoutMs = options.timeoutMs ?? 10_000;
  const defaultMaxBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  const tls = options.tls ?? {};
  let ca: Buffer | undefined;
  if (tls.caFile) {
    try {
      ca = readFileSync(tls.caFile);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? String(error);
      throw new ConfigError(`Cannot read the CA file ${tls.caFile}: ${code}`);
    }
  }
  const tlsSettings = {
    // Node's bundle stays trusted; the CA file adds the cluster's own CA.
    ...(ca ? { ca: [...rootCertificates, ca.toString("utf8")] } : {}),
    rejectUnauthorized: tls.insecure !== true,
  };
  // Reads reuse connections. Writes get a fresh one: a pooled socket the server closes
  // just as a PUT goes out looks like "sent, no answer", a false may-have-applied.
  const pooled = { http: new http.Agent({ keepAlive: true }), https: new https.Agent({ keepAlive: true, ...tlsSettings }) };
  const fresh = { http: new http.Agent({ keepAlive: false }), https: new https.Agent({ keepAlive: false, ...tlsSettings }) };
  const instance: AxiosInstance = axios.create({
    proxy: false,
    maxRedirects: 0,
    validateStatus: () => true,
    transformResponse: [(data: unknown) => data],
  });

  const agentsFor = (method: string) => {
    const agents = ["GET", "HEAD"].includes(method.toUpperCase()) ? pooled : fresh;
    return { httpAgent: agents.http, httpsAgent: agents.https };
  };

  async function send<T>(request: HttpRequest, responseType: "text" | "stream"): Promise<{ response: AxiosResponse<T>; done: () => void }> {
    const timeoutMs = request.timeoutMs ?? defaultTimeoutMs;
    const maxBytes = request.maxBytes ?? defaultMaxBytes;
    const controller = new AbortController();
    let timedOut = false;
    // A socket timeout guards real I/O, so it runs on real time, not the injected Clock:
    // a virtual clock racing ahead must not cut off a request that is still on the wire.
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, timeoutMs);
    const onCallerAbort = () => controller.abort();
    request.signal?.addEventListener("abort", onCallerAbort, { once: true });
    const done = () => {
      clearTimeout(timer);
      request.signal?.removeEventListener("abort", onCallerAbort);
    };
    if (request.signal?.aborted) controller.abort();
    try {
      const response = await instance.request<T>({
        method: request.method,
        url: request.url,
        headers: {
          ...(request.body !== undefined ? { "content-type": "application/json" } : {}),
          ...request.headers,
        },
        data: request.body,
        responseType,
        signal: controller.signal,
        decompress: responseType === "text",
        // Counted on the decompressed bytes, so a small gzip bomb is stopped as well.
        ...(responseType === "text" ? { maxContentLength: maxBytes } : {}),
        ...agentsFor(request.method),
      });
      return { response, done };
    } catch (error) {
      done();
      if (isOverCap(error)) throw new ResponseTooLargeError(request.method.toUpperCase(), displayUrl(request.url), maxBytes);
      throw toFailure(error, request, timedOut ? "timeout" : request.signal?.aborted ? "aborted" : undefined, timeoutMs);
    }
  }

  return {
    async request(request) {
      const { response, done } = await send<string>(request, "text");
      done();
      const body = typeof response.data === "string" ? response.data : response.data === undefined ? "" : String(response.data);
      return { ...statusLine(response, request.url), body };
    },
    async stream(request) {
      const { response, done } = await send<Readable>(request, "stream");
      // The timeout covered the wait for headers; a quiet stream is not a failure here.
      done();
      return { ...statusLine(response, request.url), body: response.data };
    },
    close() {
      for (const agent of [pooled.http, pooled.https, fresh.http, fresh.https]) agent.destroy();
    },
  };
}

function statusLine(response: AxiosResponse, url: string): Omit<HttpResponse, "body"> {
  return {
    status: response.status,
    statusText: response.statusText || (http.STATUS_CODES[response.status] ?? ""),
    headers: flattenHeaders(response.headers),
    url,
  };
}

function flattenHeaders(headers: AxiosResponse["headers"]): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value === undefined || value === null) continue;
    out[name.toLowerCase()] = Array.isArray(value) ? value.join(", ") : String(value);
  }
  return out;
}

function toFailure(error: unknown, request: HttpRequest, forced: TransportFailureKind | undefined, timeoutMs: number): TransportFailure {
  const code = errorCode(error);
  const kind: TransportFailureKind =
    forced ??
    (code === undefined
      ? "other"
      : CONNECT_CODES.has(code)
        ? "connect"
        : RESET_CODES.has(code) || /socket hang up/i.test(String((error as Error).message))
          ? "reset"
          : code === "ETIMEDOUT" || code === "ECONNABORTED"
            ? "timeout"
            : TLS_CODE.test(code)
              ? "tls"
              : "other");
  return new TransportFailure(kind, request.method.toUpperCase(), displayUrl(request.url), code, timeoutMs, { cause: error });
}

/** axios stopped reading at maxContentLength (it says so only in the message). */
function isOverCap(error: unknown): boolean {
  return axios.isAxiosError(error) && error.code === "ERR_BAD_RESPONSE" && /^maxContentLength size of \d+ exceeded$/.test(error.message);
}

function errorCode(error: unknown): string | undefined {
  // axios copies the system error's code; AggregateError (IPv4+IPv6 attempts) keeps it on the members.
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current && typeof current === "object"; depth++) {
    const candidate = current as { code?: unknown; cause?: unknown; errors?: unknown[] };
    if (typeof candidate.code === "string" && candidate.code !== "ERR_BAD_REQUEST" && !candidate.code.startsWith("ERR_BAD")) {
      if (candidate.code !== "ERR_CANCELED") return candidate.code;
    }
    current = candidate.cause ?? candidate.errors?.[0];
  }
  return undefined;
}

function describeFailure(kind: TransportFailureKind, code: string | undefined, timeoutMs: number): string {
  switch (kind) {
    case "connect":
      return code === "ECONNREFUSED" ? "connection refused" : code === "ENOTFOUND" || code === "EAI_AGAIN" ? "host not found" : `cannot connect (${code ?? "unknown"})`;
    case "reset":
      return "the connection was closed before an answer came";
    case "timeout":
      return `no answer within ${timeoutMs} ms`;
    case "tls":
      return `TLS handshake failed (${code ?? "unknown"})${tlsHint(code)}`;
    case "aborted":
      return "cancelled";
    default:
      return code ? `request failed (${code})` : "request failed";
  }
}

function tlsHint(code: string | undefined): string {
  if (code && /SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|CERT_UNTRUSTED/.test(code)) {
    return ": the server's certificate is not signed by a trusted CA; give its CA file (tls.caFile) or, for a test cluster only, turn verification off explicitly (tls.insecure)";
  }
  if (code === "ERR_TLS_CERT_ALTNAME_INVALID") return ": the certificate does not name this host";
  if (code === "EPROTO" || code?.startsWith("ERR_SSL")) return ": is this an http:// server on an https:// URL?";
  return "";
}
