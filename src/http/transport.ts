/**
 * The HTTP seam: what a request and an answer are, the one interface every adapter
 * sends through, the one error for "no HTTP answer" ({@link TransportFailure}, sorted into
 * kinds the retry table keys on) and the one describer of such failures. Adapters
 * (Marathon, Mesos, GitLab, registries, the health check) build on this; it knows nothing of
 * their APIs. Kept free of node:http so the light transport can load it cheaply; the
 * implementations live in node-transport.ts and light-transport.ts (see docs/http-seam.md).
 */

import type { Readable } from "node:stream";

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
  /** How errors and `--debug` name this URL when the query must not be shown (a token realm's); default: the URL without user info. */
  displayAs?: string;
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
  /** The caller's overall deadline (an AbortSignal.timeout) passed; the server may have received the request. */
  | "deadline"
  | "other";

/**
 * An exchange that got no HTTP answer. Adapters turn it into UnreachableError or
 * RequestTimedOutError with a message for people (failover.ts: noAnswerError).
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

/**
 * The one seam every HTTP adapter (Marathon, Mesos, GitLab, registries, the health check)
 * talks through. Implementations: {@link createHttpTransport} in node-transport.ts (pooled
 * connections, per-client TLS, decompression, streams) and createLightHttpTransport in
 * light-transport.ts (the health check's cold-start client). Both publish every exchange
 * for `--debug` (http-events.ts) and fail with {@link TransportFailure} only.
 */
export interface HttpTransport {
  /**
   * Sends a request and reads the whole answer as text, at most the cap (else
   * ResponseTooLargeError). Never throws for HTTP statuses; throws TransportFailure
   * when no answer came.
   */
  request(request: HttpRequest): Promise<HttpResponse>;
  /** Closes pooled connections. */
  close(): void;
}

/** A transport that can also hand over a body as it arrives (server-sent events). */
export interface StreamingHttpTransport extends HttpTransport {
  /** Sends a request and returns once headers arrive; the body streams. */
  stream(request: HttpRequest): Promise<HttpStreamResponse>;
}


const CONNECT_CODES = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH", "EADDRNOTAVAIL", "EHOSTDOWN"]);
const RESET_CODES = new Set(["ECONNRESET", "EPIPE", "ERR_STREAM_PREMATURE_CLOSE", "ECONNABORTED"]);
const TLS_CODE = /CERT|SSL|TLS|EPROTO|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|HOSTNAME/;

/**
 * Sorts what a socket threw into a failure kind. `forced` wins: the implementation
 * knows when its own timer or the caller's signal ended the exchange.
 */
export function toTransportFailure(error: unknown, method: string, url: string, timeoutMs: number, forced?: TransportFailureKind): TransportFailure {
  const code = errorCode(error);
  const kind: TransportFailureKind =
    forced ??
    (code === undefined
      ? "other"
      : CONNECT_CODES.has(code)
        ? "connect"
        : RESET_CODES.has(code)
          ? "reset"
          : code === "ETIMEDOUT"
            ? "timeout"
            : TLS_CODE.test(code)
              ? "tls"
              : "other");
  return new TransportFailure(kind, method.toUpperCase(), url, code, timeoutMs, { cause: error });
}

function errorCode(error: unknown): string | undefined {
  // AggregateError (IPv4 and IPv6 attempts) keeps the system error's code on its members.
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current && typeof current === "object"; depth++) {
    const candidate = current as { code?: unknown; cause?: unknown; errors?: unknown[] };
    if (typeof candidate.code === "string") return candidate.code;
    current = candidate.cause ?? candidate.errors?.[0];
  }
  return undefined;
}

/** The one describer of a failed exchange (read it as TransportFailure.reason): "connection refused", "no answer within 10000 ms", ... */
function describeFailure(kind: TransportFailureKind, code: string | undefined, timeoutMs: number): string {
  switch (kind) {
    case "connect":
      return code === "ECONNREFUSED" ? "connection refused" : code === "ENOTFOUND" || code === "EAI_AGAIN" ? "host not found" : `cannot connect (${code ?? "unknown"})`;
    case "reset":
      return "the connection was closed before an answer came";
    case "timeout":
      // The light transport has no timer of its own (timeoutMs 0): the system gave up on the connection.
      return timeoutMs > 0 ? `no answer within ${timeoutMs} ms` : "no answer in time";
    case "tls":
      return `TLS handshake failed (${code ?? "unknown"})${tlsHint(code)}`;
    case "aborted":
      return "cancelled";
    case "deadline":
      return "no answer within the time limit";
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
