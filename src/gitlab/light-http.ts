/**
 * A minimal HTTP client on `node:http`/`node:https` for the health check. Global `fetch`
 * loads undici on first use, which costs a cold health check about 0.15 s and 40 MB
 * (notes: one request 0.24 s / 84 MB with fetch against 0.09 s / 44 MB with node:http), and
 * the check runs on every runner every interval. Every request is bound to an AbortSignal.
 */
import type { IncomingHttpHeaders } from "node:http";
import { createBodyCollector } from "../http/body-limit.js";

export interface LightRequest {
  method: "GET" | "POST";
  url: string;
  headers?: Record<string, string>;
  /** Sent as `application/x-www-form-urlencoded`. */
  form?: Record<string, string>;
}

export interface LightResponse {
  status: number;
  statusText: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface LightHttpClient {
  request(request: LightRequest): Promise<LightResponse>;
}

/** Cap on an answer: a metrics page or runner record is far smaller (past it: ResponseTooLargeError, exit 6). */
const MAX_BODY_BYTES = 4 * 1024 * 1024;

/** Builds a client whose every request is aborted by `signal`. */
export function createLightHttpClient(options: { signal: AbortSignal }): LightHttpClient {
  return {
    async request(request) {
      const url = new URL(request.url);
      // Load TLS only when a URL needs it.
      const transport = url.protocol === "https:" ? await import("node:https") : await import("node:http");
      const body = request.form ? new URLSearchParams(request.form).toString() : undefined;
      const headers: Record<string, string> = { ...request.headers };
      if (body !== undefined) {
        headers["content-type"] = "application/x-www-form-urlencoded";
        headers["content-length"] = String(Buffer.byteLength(body));
      }
      return new Promise<LightResponse>((resolve, reject) => {
        const req = transport.request(url, { method: request.method, headers, signal: options.signal, agent: false }, (res) => {
          const body = createBodyCollector({ method: request.method, url: `${url.origin}${url.pathname}`, maxBytes: MAX_BODY_BYTES });
          res.on("data", (chunk: Buffer) => {
            try {
              body.push(chunk);
            } catch (error) {
              res.destroy();
              reject(error as Error);
            }
          });
          res.on("end", () => resolve({ status: res.statusCode ?? 0, statusText: res.statusMessage ?? "", headers: res.headers, body: body.text() }));
          res.on("error", reject);
        });
        req.on("error", reject);
        req.end(body);
      });
    },
  };
}

/** A short, secret-free reason for a failed request (the URL is left to the caller). */
export function describeRequestFailure(error: unknown): string {
  if (error instanceof Error) {
    if (error.name === "AbortError" || error.name === "TimeoutError") return "no answer within the time limit";
    const code = (error as { code?: unknown }).code;
    return typeof code === "string" ? code : error.message;
  }
  return String(error);
}
