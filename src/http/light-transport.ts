/**
 * The second implementation of the HTTP seam, for `mdeploy runner-health`: it runs on every
 * runner every health-check interval, so start-up is its budget (bench/runner-health.mjs).
 * No connection pool, no decompression, `node:https` loaded only when a URL needs it, and
 * every request bound to the check's one deadline signal. Same interface, same typed
 * failure (TransportFailure), same events for `--debug` as node-transport.ts.
 */
import { createBodyCollector, ResponseTooLargeError } from "./body-limit.js";
import { observeExchange } from "./http-events.js";
import { toTransportFailure, TransportFailure, type HttpResponse, type HttpTransport, type TransportFailureKind } from "./transport.js";

/** Cap on an answer: a metrics page or runner record is far smaller (past it: ResponseTooLargeError, exit 6). */
const MAX_BODY_BYTES = 4 * 1024 * 1024;

export interface LightTransportOptions {
  /** The check's deadline: aborting it ends every request ("no answer within the time limit"). */
  signal: AbortSignal;
}

/** Builds the light transport; `request.timeoutMs` is not used, the shared signal bounds all. */
export function createLightHttpTransport(options: LightTransportOptions): HttpTransport {
  async function send(request: Parameters<HttpTransport["request"]>[0]): Promise<HttpResponse> {
    const url = new URL(request.url);
    const method = request.method.toUpperCase();
    // Errors name the URL without its query: a metrics URL may carry a token.
    const shown = request.displayAs ?? `${url.origin}${url.pathname}`;
    const client = url.protocol === "https:" ? await import("node:https") : await import("node:http");
    const headers: Record<string, string> = { ...request.headers };
    if (request.body !== undefined) headers["content-length"] = String(Buffer.byteLength(request.body));
    const signal = request.signal ? AbortSignal.any([options.signal, request.signal]) : options.signal;
    return new Promise<HttpResponse>((resolve, reject) => {
      const fail = (error: unknown) => {
        const forced: TransportFailureKind | undefined = options.signal.aborted ? "deadline" : signal.aborted ? "aborted" : undefined;
        reject(error instanceof ResponseTooLargeError ? error : toTransportFailure(error, method, shown, 0, forced));
      };
      const req = client.request(url, { method, headers, signal, agent: false }, (res) => {
        const body = createBodyCollector({ method, url: shown, maxBytes: MAX_BODY_BYTES });
        res.on("data", (chunk: Buffer) => {
          try {
            body.push(chunk);
          } catch (error) {
            res.destroy();
            reject(error as Error);
          }
        });
        res.on("end", () => {
          const flat: Record<string, string | undefined> = {};
          for (const [name, value] of Object.entries(res.headers)) if (value !== undefined) flat[name] = Array.isArray(value) ? value.join(", ") : value;
          resolve({ status: res.statusCode ?? 0, statusText: res.statusMessage ?? "", headers: flat, body: body.text(), url: request.url });
        });
        res.on("error", fail);
      });
      req.on("error", fail);
      req.end(request.body);
    });
  }

  const describe = (error: unknown) => ({ failure: error instanceof TransportFailure ? error.reason : error instanceof Error ? error.message : String(error) });
  return {
    request: (request) => observeExchange(request.method.toUpperCase(), request.displayAs ?? request.url, () => send(request), describe),
    close: () => undefined,
  };
}
