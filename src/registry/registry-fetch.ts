/**
 * A `fetch` for registries global fetch cannot reach: behind a private CA (`--registry-ca`,
 * `registries.<host>.caFile`) or listed as insecure (certificate not checked). Built on the
 * project's HTTP transport, whose TLS settings are per client, never process-wide. It does
 * not follow redirects: a manifest HEAD and a token GET are answered directly.
 */
import { createHttpTransport, type TlsOptions } from "../http/transport.js";

/** Statuses whose Response may carry no body. */
const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304]);

export interface RegistryFetch {
  fetch: typeof globalThis.fetch;
  /** Closes pooled connections once the check is done. */
  close(): void;
}

/** Builds the fetch; reads the CA file now, so a wrong path fails before any request (exit 2). */
export function createRegistryFetch(tls: TlsOptions, timeoutMs: number): RegistryFetch {
  const transport = createHttpTransport({ tls, timeoutMs });
  const registryFetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = input instanceof Request ? input.url : String(input);
    const method = (init?.method ?? "GET").toUpperCase();
    const headers = Object.fromEntries(new Headers(init?.headers).entries());
    const answer = await transport.request({ method, url, headers, timeoutMs, ...(init?.signal ? { signal: init.signal } : {}) });
    const body = method === "HEAD" || NULL_BODY_STATUSES.has(answer.status) ? null : answer.body;
    const responseHeaders = Object.entries(answer.headers).filter((entry): entry is [string, string] => entry[1] !== undefined);
    return new Response(body, { status: answer.status, statusText: answer.statusText, headers: responseHeaders });
  };
  return { fetch: registryFetch as typeof globalThis.fetch, close: () => transport.close() };
}
