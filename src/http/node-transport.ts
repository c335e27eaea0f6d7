/**
 * The HTTP transport the adapters use (Marathon, Mesos, GitLab's API, registries), on
 * `node:http`/`node:https` directly: TLS settings (`ca`, `rejectUnauthorized`) are per
 * transport, never process-wide; redirects are never followed here (adapters decide, see
 * redirect.ts); environment proxies (HTTPS_PROXY, ...) are not used, as Node's own clients
 * do not read them; answers read whole are decompressed and capped on the decompressed
 * bytes, so a small gzip bomb stops as well. Why not axios or fetch: docs/http-seam.md.
 */
import { readFileSync } from "node:fs";
import http from "node:http";
import type https from "node:https";
import type { Readable } from "node:stream";
import { ConfigError } from "../errors.js";
import { createBodyCollector, ResponseTooLargeError } from "./body-limit.js";
import { observeExchange } from "./http-events.js";
import { displayUrl } from "./safe-url.js";
import {
  DEFAULT_MAX_RESPONSE_BYTES,
  toTransportFailure,
  TransportFailure,
  type HttpRequest,
  type HttpResponse,
  type HttpStreamResponse,
  type HttpTransportOptions,
  type StreamingHttpTransport,
  type TransportFailureKind,
} from "./transport.js";

/** Builds a transport. Reads the CA file now, so a wrong path fails before any request. */
export function createHttpTransport(options: HttpTransportOptions = {}): StreamingHttpTransport {
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
  // Reads reuse connections. Writes get a fresh one: a pooled socket the server closes
  // just as a PUT goes out looks like "sent, no answer", a false may-have-applied.
  const pooled = new http.Agent({ keepAlive: true });
  const fresh = new http.Agent({ keepAlive: false });
  // https (with tls and crypto) is loaded at the first https request: loading it costs an
  // interactive command against an http Marathon several milliseconds of its start-up.
  let secureAgents: { pooled: https.Agent; fresh: https.Agent; https: typeof https } | undefined;
  const secure = () => {
    if (secureAgents) return secureAgents;
    const httpsModule = process.getBuiltinModule("node:https");
    const tlsSettings = {
      // Node's bundle stays trusted; the CA file adds the cluster's own CA.
      ...(ca ? { ca: [...process.getBuiltinModule("node:tls").rootCertificates, ca.toString("utf8")] } : {}),
      rejectUnauthorized: tls.insecure !== true,
    };
    secureAgents = { pooled: new httpsModule.Agent({ keepAlive: true, ...tlsSettings }), fresh: new httpsModule.Agent({ keepAlive: false, ...tlsSettings }), https: httpsModule };
    return secureAgents;
  };

  function send(request: HttpRequest, mode: "text" | "stream"): Promise<HttpResponse | HttpStreamResponse> {
    const method = request.method.toUpperCase();
    const timeoutMs = request.timeoutMs ?? defaultTimeoutMs;
    const maxBytes = request.maxBytes ?? defaultMaxBytes;
    const shown = request.displayAs ?? displayUrl(request.url);
    const url = new URL(request.url);
    const reuse = method === "GET" || method === "HEAD";
    const tlsSide = url.protocol === "https:" ? secure() : undefined;
    const headers: Record<string, string> = {
      ...(request.body !== undefined ? { "content-type": "application/json" } : {}),
      ...(mode === "text" ? { "accept-encoding": "gzip, deflate, br" } : {}),
      ...request.headers,
    };
    if (request.body !== undefined) headers["content-length"] = String(Buffer.byteLength(request.body));

    return new Promise((resolve, reject) => {
      let forced: TransportFailureKind | undefined;
      let settled = false;
      const finish = (outcome: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        request.signal?.removeEventListener("abort", onCallerAbort);
        outcome();
      };
      const fail = (error: unknown) => finish(() => reject(error instanceof ResponseTooLargeError ? error : toTransportFailure(error, method, shown, timeoutMs, forced)));
      const stop = (kind: TransportFailureKind, reason: unknown) => {
        forced ??= kind;
        req.destroy(reason instanceof Error ? reason : new Error(String(reason)));
      };
      // A socket timeout guards real I/O, so it runs on real time, not the injected Clock:
      // a virtual clock racing ahead must not cut off a request that is still on the wire.
      const timer = setTimeout(() => stop("timeout", new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      // AbortSignal.timeout() is a caller's deadline, any other abort a cancellation.
      const onCallerAbort = () => stop((request.signal?.reason as Error | undefined)?.name === "TimeoutError" ? "deadline" : "aborted", request.signal?.reason);

      const agent = tlsSide ? (reuse ? tlsSide.pooled : tlsSide.fresh) : reuse ? pooled : fresh;
      const req = (tlsSide ? tlsSide.https : http).request(url, { method, headers, agent }, (res) => {
        const status = { status: res.statusCode ?? 0, statusText: res.statusMessage || (http.STATUS_CODES[res.statusCode ?? 0] ?? ""), headers: flattenHeaders(res.headers), url: request.url };
        if (mode === "stream") {
          // The timeout covered the wait for headers; a quiet stream is not a failure here.
          finish(() => resolve({ ...status, body: res }));
          return;
        }
        const body = createBodyCollector({ method, url: shown, maxBytes });
        // A HEAD, 204 or 304 has no body to decode, whatever Content-Encoding says.
        const bodyless = method === "HEAD" || res.statusCode === 204 || res.statusCode === 304;
        const decoded = bodyless ? res : decode(res);
        decoded.on("data", (chunk: Buffer) => {
          try {
            body.push(chunk);
          } catch (error) {
            // Stop reading: the connection goes, whatever the server keeps sending.
            res.destroy();
            req.destroy();
            finish(() => reject(error));
          }
        });
        decoded.on("end", () => finish(() => resolve({ ...status, body: body.text() })));
        decoded.on("error", fail);
        if (decoded !== res) res.on("error", fail);
        // A body that breaks off without an error event still must not look complete.
        res.on("close", () => {
          if (!res.complete) fail(Object.assign(new Error("the answer broke off"), { code: "ECONNRESET" }));
        });
      });
      req.on("error", fail);
      if (request.signal?.aborted) onCallerAbort();
      else request.signal?.addEventListener("abort", onCallerAbort, { once: true });
      req.end(request.body);
    });
  }

  const describe = (error: unknown) =>
    error instanceof TransportFailure ? { failure: error.reason, ...(error.kind === "timeout" ? { timeoutMs: error.timeoutMs } : {}) } : { failure: error instanceof Error ? error.message : String(error) };

  return {
    request: (request) => observeExchange(request.method.toUpperCase(), request.displayAs ?? request.url, () => send(request, "text") as Promise<HttpResponse>, describe),
    stream: (request) => observeExchange(request.method.toUpperCase(), request.displayAs ?? request.url, () => send(request, "stream") as Promise<HttpStreamResponse>, describe),
    close() {
      for (const agent of [pooled, fresh, secureAgents?.pooled, secureAgents?.fresh]) agent?.destroy();
    },
  };
}

/** The body as sent before content coding (gzip, deflate, br); identity passes through. */
function decode(res: http.IncomingMessage): Readable {
  const coding = (res.headers["content-encoding"] ?? "").trim().toLowerCase();
  if (coding === "" || coding === "identity") return res;
  // Loaded only for a compressed answer (most Marathons send none): it costs start-up time.
  const zlib = process.getBuiltinModule("node:zlib");
  // Flush on truncation so a body cut short still yields what arrived, then its error.
  const options = { finishFlush: zlib.constants.Z_SYNC_FLUSH };
  if (coding === "gzip" || coding === "x-gzip") return res.pipe(zlib.createGunzip(options));
  if (coding === "deflate") return res.pipe(zlib.createInflate(options));
  if (coding === "br") return res.pipe(zlib.createBrotliDecompress({ finishFlush: zlib.constants.BROTLI_OPERATION_FLUSH }));
  return res;
}

function flattenHeaders(headers: http.IncomingHttpHeaders): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    out[name.toLowerCase()] = Array.isArray(value) ? value.join(", ") : value;
  }
  return out;
}
