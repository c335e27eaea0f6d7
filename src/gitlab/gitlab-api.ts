/**
 * The GitLab runners API for the commands that change registrations (unregister, reap).
 * A small typed client on the HTTP seam (src/http/transport.ts), not @gitbeaker: fetch
 * follows redirects and drops only `Authorization` on the way to another origin, so a
 * redirect would take `PRIVATE-TOKEN` to whatever host it names. Here no redirect is
 * followed; reads retry per gitlabRetryPolicy, removals never. The listing pages by `Link` and falls back to `X-Next-Page` (GitLab can leave
 * `Link` out); the runner-token deletes have a 403 that must be told apart by who sent it.
 * Every response we act on is checked at this boundary; every failure becomes a typed error
 * whose message names method, URL and status but never a token.
 */
import type { Clock } from "../core/ports/clock.js";
import { systemClock } from "../host/system-clock.js";
import { HttpError, UnreachableError } from "../errors.js";
import { createRetryingSender, describeAttempts } from "../http/failover.js";
import { createHttpTransport } from "../http/node-transport.js";
import { gitlabRetryPolicy } from "../http/retry-policy.js";
import { displayUrl } from "../http/safe-url.js";
import { isRedirect } from "../http/status.js";
import type { HttpResponse, HttpTransport } from "../http/transport.js";
import { nextPageUrl } from "./pagination.js";
import { checkRunnerDetails, checkRunnerList, type Checked } from "./response-shapes.js";
import type { RunnerDetails, RunnerListItem } from "./types.js";

/** Which runners a listing covers, per the token's rights (GitLab `doc/api/runners.md`). */
export type RunnerScope = { kind: "instance" } | { kind: "owned" } | { kind: "group"; groupId: string } | { kind: "project"; projectId: string };

/** Server-side list filters; GitLab's `offline` includes `stale` (and paused runners that are offline). */
export interface RunnerListFilter {
  status?: "online" | "offline" | "stale" | "never_contacted";
  tags?: string[];
}

/** Calls made with a user or admin API token. */
export interface GitlabRunnersApi {
  showRunner(runnerId: number): Promise<RunnerDetails>;
  /** Every page of the listing. */
  listRunners(scope: RunnerScope, filter: RunnerListFilter): Promise<RunnerListItem[]>;
  removeRunner(runnerId: number): Promise<void>;
}

/**
 * What a runner-token delete found: removed; nothing registered (404); or the token itself
 * refused by GitLab's API (JSON 403, its only documented failure: the runner was already
 * deleted or the token revoked), so there is nothing left to unregister with it.
 */
export type UnregisterOutcome = "removed" | "not-found" | "token-invalid";

/** Calls authenticated by the runner's own token (the container that runs it). */
export interface RunnerTokenApi {
  /** `DELETE /runners/managers`: this system_id's manager only; the runner and other containers stay. */
  removeManager(token: string, systemId: string): Promise<UnregisterOutcome>;
  /** `DELETE /runners` with the token: the whole runner. Only for legacy per-container tokens. */
  removeRunnerByToken(token: string): Promise<UnregisterOutcome>;
}

export interface GitlabApiOptions {
  /** GitLab base URL, e.g. `https://gitlab.example.com`. */
  url: string;
  /** API token (`PRIVATE-TOKEN`); not needed for RunnerTokenApi. */
  token?: string;
  timeoutMs: number;
  /** The HTTP seam (default: the node transport; redirects are never followed). */
  transport?: HttpTransport;
  /** Waits between retries of reads run on this clock (default: the wall clock). */
  clock?: Clock;
}

type Send = (method: string, url: string | URL, init: { headers: Record<string, string>; form?: Record<string, string>; maxBytes: number }) => Promise<HttpResponse>;

/**
 * The one way requests go out: through the seam, with GitLab's retry table, never
 * following a redirect: a 3xx is an HttpError naming where it pointed (GITLAB_URL is not
 * GitLab's own address). No answer at all is UnreachableError (exit 6).
 */
function createSend(options: GitlabApiOptions): Send {
  const transport = options.transport ?? createHttpTransport({ timeoutMs: options.timeoutMs });
  const sender = createRetryingSender({ transport, retry: gitlabRetryPolicy, clock: options.clock ?? systemClock });
  return async (method, url, init) => {
    const shown = String(url);
    const headers = init.form ? { ...init.headers, "content-type": "application/x-www-form-urlencoded" } : init.headers;
    let response: HttpResponse;
    try {
      response = await sender.send({ method, url: shown, headers, ...(init.form ? { body: new URLSearchParams(init.form).toString() } : {}), maxBytes: init.maxBytes, timeoutMs: options.timeoutMs });
    } catch (error) {
      const reason = describeAttempts(error);
      if (reason === undefined) throw error;
      throw new UnreachableError(`${method} ${shown}: ${reason}`, [], { cause: error });
    }
    if (isRedirect(response.status)) {
      const location = response.headers.location;
      const target = location ? displayUrl(URL.parse(location, shown)?.href ?? location) : "nowhere";
      throw new HttpError(method, shown, response.status, response.statusText, `redirect to ${target} not followed (the API token would go along); set GITLAB_URL to GitLab's own address`);
    }
    return response;
  };
}

function requireShape<T>(checked: Checked<T>, method: string, url: string): T {
  if (checked.ok) return checked.value;
  throw new UnreachableError(`${method} ${url}: GitLab answered with an unexpected shape`, checked.problems);
}

/** Builds the API-token client. */
export function createGitlabRunnersApi(options: GitlabApiOptions): GitlabRunnersApi {
  const base = options.url.replace(/\/+$/, "");
  const api = `${base}/api/v4`;
  const send = createSend(options);
  const headers = { "PRIVATE-TOKEN": options.token ?? "", accept: "application/json" };

  /** A GET whose answer must be 200 with JSON; returns the parsed body (undefined if not JSON). */
  const getJson = async (url: string | URL, maxBytes: number): Promise<{ body: unknown; response: HttpResponse }> => {
    const shown = String(url);
    const response = await send("GET", url, { headers, maxBytes });
    if (response.status !== 200) throw new HttpError("GET", shown, response.status, response.statusText, serverMessage(response));
    try {
      return { body: JSON.parse(response.body) as unknown, response };
    } catch {
      return { body: undefined, response }; // requireShape names the answer as not what was expected
    }
  };

  return {
    async showRunner(runnerId) {
      const url = `${api}/runners/${runnerId}`;
      const { body } = await getJson(url, GITLAB_MAX_BODY_BYTES);
      return requireShape(checkRunnerDetails(body), "GET", url);
    },
    async listRunners(scope, filter) {
      const path = scope.kind === "instance" ? "runners/all" : scope.kind === "owned" ? "runners" : scope.kind === "group" ? `groups/${encodeURIComponent(scope.groupId)}/runners` : `projects/${encodeURIComponent(scope.projectId)}/runners`;
      let url: URL | undefined = new URL(`${api}/${path}`);
      if (scope.kind === "owned") url.searchParams.set("owned", "true");
      if (filter.status) url.searchParams.set("status", filter.status);
      for (const tag of filter.tags ?? []) url.searchParams.append("tag_list[]", tag);
      url.searchParams.set("per_page", "100");
      const rows: RunnerListItem[] = [];
      // A proxy that rewrites Link or X-Next-Page can send us back to a page already read: stop there, not after MAX_PAGES reads.
      const read = new Set<string>();
      for (let page = 0; url !== undefined; page += 1) {
        if (page >= MAX_PAGES) throw new UnreachableError(`GET ${api}/${path}: more than ${MAX_PAGES} pages; narrow the filter`);
        const shown = url.href;
        read.add(shown);
        const { body, response } = await getJson(url, GITLAB_MAX_PAGE_BYTES);
        rows.push(...requireShape(checkRunnerList(body), "GET", shown));
        const next = nextPageUrl(url, { link: response.headers.link ?? null, xNextPage: response.headers["x-next-page"] ?? null });
        if (next !== undefined && !(next instanceof URL)) throw new UnreachableError(`GET ${shown}: ${next.refused}; stopped listing`);
        if (next !== undefined && read.has(next.href)) throw new UnreachableError(`GET ${shown}: the next page points back to a page already read; stopped listing`);
        url = next;
      }
      return rows;
    },
    async removeRunner(runnerId) {
      const url = `${api}/runners/${runnerId}`;
      const response = await send("DELETE", url, { headers, maxBytes: GITLAB_MAX_BODY_BYTES });
      if (response.status === 204 || response.status === 200) return;
      throw new HttpError("DELETE", url, response.status, response.statusText, serverMessage(response));
    },
  };
}

/** A listing longer than this many pages of 100 is a loop, not a fleet. */
const MAX_PAGES = 500;

/** Cap on a GitLab answer read here (an error message); past it: ResponseTooLargeError, exit 6. */
const GITLAB_MAX_BODY_BYTES = 1024 * 1024;

/** Cap on one page of a runner listing (100 runners are tens of kB); past it: exit 6. */
const GITLAB_MAX_PAGE_BYTES = 4 * 1024 * 1024;

function serverMessage(response: HttpResponse): string {
  const text = response.body;
  try {
    const body = JSON.parse(text) as { message?: unknown; error?: unknown };
    const message = body.message ?? body.error;
    return typeof message === "string" ? message : JSON.stringify(message ?? "");
  } catch {
    return text.slice(0, 200);
  }
}

/** Builds the runner-token client. */
export function createRunnerTokenApi(options: GitlabApiOptions): RunnerTokenApi {
  const base = options.url.replace(/\/+$/, "");
  const api = `${base}/api/v4`;
  const send = createSend(options);

  // Form body, not query: the token must not end up in access logs.
  const remove = async (url: string, form: Record<string, string>): Promise<UnregisterOutcome> => {
    const response = await send("DELETE", url, { headers: { accept: "application/json" }, form, maxBytes: GITLAB_MAX_BODY_BYTES });
    if (response.status === 204 || response.status === 200) return "removed";
    if (response.status === 404) return "not-found";
    // GitLab's own 403 is JSON; an HTML 403 is a proxy or firewall and says nothing about the token.
    if (response.status === 403 && /^application\/json\b/i.test(response.headers["content-type"] ?? "")) return "token-invalid";
    throw new HttpError("DELETE", url, response.status, response.statusText, serverMessage(response));
  };

  return {
    removeManager: (token, systemId) => remove(`${api}/runners/managers`, { token, system_id: systemId }),
    removeRunnerByToken: (token) => remove(`${api}/runners`, { token }),
  };
}
