/**
 * The Mesos master adapter: the agents and what they have, from `/master/slaves`.
 * A non-leading master answers with a redirect to the leader (`Location:
 * //leader:5050/master/slaves`), which is followed once with the same credentials
 * (same path, no downgrade to http: src/http/redirect.ts). An answer no Mesos master
 * gives (a 404, an HTML page) says the URL does not point at Mesos (exit 6). Turn agents into free capacity with
 * freeResources (src/plan/free-resources.ts).
 */
import type { Clock } from "../core/ports/clock.js";
import { systemClock } from "../host/system-clock.js";
import { ConfigError, HttpError, UnreachableError } from "../errors.js";
import { authorizationHeader, resolveAuth, type HttpAuth } from "../http/auth.js";
import { UnexpectedResponseError } from "../http/errors.js";
import { createFailoverRequester, noAnswerError, type RetryInfo } from "../http/failover.js";
import { createResponseChecker } from "../http/response-checker.js";
import { defaultRetryPolicy, type RetryPolicy } from "../http/retry-policy.js";
import { displayUrl, normalizeBaseUrl } from "../http/safe-url.js";
import { briefErrorText } from "../http/status.js";
import { createHttpTransport } from "../http/node-transport.js";
import { followRedirectOnce } from "../http/redirect.js";
import { looksLikeServiceAnswer, notServiceMessage } from "../http/service-identity.js";
import type { HttpResponse, TlsOptions } from "../http/transport.js";
import type { MesosAgent } from "../marathon/types.js";

export interface MesosClientOptions {
  /** The master's base URL, e.g. `http://master:5050` (from MESOS_URL or the config). Several (comma list or array) fail over. */
  url: string | readonly string[];
  auth?: HttpAuth;
  tls?: TlsOptions;
  /** Per-request timeout in ms (default 10 000). */
  timeoutMs?: number;
  clock?: Clock;
  retry?: RetryPolicy;
  onRetry?: (info: RetryInfo) => void;
}

export interface MesosClient {
  /** Display forms of the configured master URLs. */
  readonly urls: readonly string[];
  /** Registered agents with totals, use, reservations, attributes and whether they are active. */
  getAgents(options?: { signal?: AbortSignal }): Promise<MesosAgent[]>;
  close(): void;
}

/**
 * Cap on `/master/slaves` (decompressed): each agent is a few KB with its resources,
 * reservations and attributes, so 10,000 agents stay well under it. Past it the read
 * stops with ResponseTooLargeError (exit 6) naming the URL.
 */
const MESOS_MAX_RESPONSE_BYTES = 64 * 1024 * 1024;

const resources = {
  type: "object",
  required: ["cpus", "mem", "disk"],
  properties: { cpus: { type: "number" }, mem: { type: "number" }, disk: { type: "number" }, gpus: { type: "number" }, ports: { type: "string" } },
} as const;

/** The answers read from the master, by name (compiled at build time into dist/validators/mesos-responses.cjs). */
export const mesosResponseSchemas = {
  slaves: {
    type: "object",
    required: ["slaves"],
    properties: {
      slaves: {
        type: "array",
        items: {
          type: "object",
          required: ["id", "hostname", "resources", "used_resources"],
          properties: {
            id: { type: "string" },
            hostname: { type: "string" },
            active: { type: "boolean" },
            attributes: { type: "object", additionalProperties: { type: ["string", "number"] } },
            resources,
            used_resources: resources,
            unreserved_resources: resources,
            reserved_resources: { type: "object", additionalProperties: resources },
            used_resources_full: { type: "array", items: { type: "object", required: ["name"] } },
          },
        },
      },
    },
  },
} as const;

/** Builds a Mesos master client. Throws ConfigError for a missing URL or an unreadable CA file. */
export function createMesosClient(options: MesosClientOptions): MesosClient {
  const rawUrls = (typeof options.url === "string" ? options.url.split(",") : [...options.url]).map((u) => u.trim()).filter((u) => u !== "");
  if (rawUrls.length === 0) throw new ConfigError("No Mesos master URL is configured: set MESOS_URL or mesos.url in mdeploy.yml");
  const baseUrls = rawUrls.map((u) => normalizeBaseUrl(u, "Mesos URL"));
  const auth = resolveAuth(options.auth, rawUrls);
  const authHeader = authorizationHeader(auth);
  const timeoutMs = options.timeoutMs ?? 10_000;
  const retry = options.retry ?? defaultRetryPolicy;
  const transport = createHttpTransport({ tls: options.tls, timeoutMs, maxResponseBytes: MESOS_MAX_RESPONSE_BYTES });
  const requester = createFailoverRequester({ baseUrls, transport, retry, clock: options.clock ?? systemClock, onRetry: options.onRetry });
  const check = createResponseChecker(mesosResponseSchemas, "mesos-responses");
  const headers = { accept: "application/json", ...(authHeader ? { authorization: authHeader } : {}) };

  async function get(path: string, signal?: AbortSignal): Promise<HttpResponse> {
    let response: HttpResponse;
    try {
      response = await requester.send({ method: "GET", path, headers, signal });
    } catch (error) {
      throw noAnswerError(error, { method: "GET", path, baseUrls, retry, timeoutMs, service: "Mesos master" });
    }
    response = await followRedirectOnce(transport, { method: "GET", headers, ...(signal ? { signal } : {}) }, response, "point MESOS_URL (or mesos.url) at a Mesos master (port 5050 by default)");
    const url = displayUrl(response.url);
    // Every master serves /master/...: a 404 or a page that is not JSON comes from something else.
    if (response.status === 404 || (response.status >= 200 && response.status < 300 && !looksLikeServiceAnswer(response))) {
      const base = baseUrls.find((b) => response.url.startsWith(b)) ?? new URL(response.url).origin;
      throw new UnreachableError(notServiceMessage("Mesos", displayUrl(base).replace(/\/$/, ""), `GET ${path}`, response), [
        "check MESOS_URL (or mesos.url): a Mesos master listens on 5050 by default, Marathon on 8080",
      ]);
    }
    if (response.status >= 200 && response.status < 300) return response;
    const text = briefErrorText(response.body);
    if (response.status === 401 || response.status === 403) {
      throw new UnreachableError(`GET ${url}: ${response.status} ${response.statusText}${text ? `: ${text}` : ""}`, [
        auth ? "The Mesos master did not accept the credentials." : "The Mesos master wants credentials and none were given.",
      ]);
    }
    throw new HttpError("GET", url, response.status, response.statusText, text);
  }

  return {
    urls: baseUrls,
    async getAgents(opts = {}) {
      const response = await get("/master/slaves", opts.signal);
      let value: unknown;
      try {
        value = JSON.parse(response.body);
      } catch {
        throw new UnexpectedResponseError("GET", displayUrl(response.url), ["/: not JSON"]);
      }
      const problems = check("slaves", value);
      if (problems.length > 0) throw new UnexpectedResponseError("GET", displayUrl(response.url), problems);
      return (value as { slaves: MesosAgent[] }).slaves.map((agent) => ({
        ...agent,
        // Older masters omit these for agents without attributes or reservations.
        attributes: agent.attributes ?? {},
        active: agent.active ?? true,
      }));
    },
    close() {
      transport.close();
    },
  };
}
