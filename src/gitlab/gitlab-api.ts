/**
 * The GitLab runners API for the commands that change registrations (unregister, reap).
 * A small typed fetch client, not @gitbeaker: global fetch follows redirects and drops only
 * `Authorization` on the way to another origin, so a redirect would take `PRIVATE-TOKEN` to
 * whatever host it names (@gitbeaker offers no way to stop that). Here no redirect is
 * followed. The listing pages by `Link` and falls back to `X-Next-Page` (GitLab can leave
 * `Link` out); the runner-token deletes have a 403 that must be told apart by who sent it.
 * Every response we act on is checked at this boundary; every failure becomes a typed error
 * whose message names method, URL and status but never a token.
 */
import { HttpError, UnreachableError } from "../errors.js";
import { displayUrl } from "../http/safe-url.js";
import { readFetchBody } from "../http/body-limit.js";
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
  /** Transport; global fetch by default (redirects are never followed). */
  fetch?: typeof globalThis.fetch;
}

/** Turns whatever fetch threw into our typed error. */
function toTypedError(error: unknown, method: string, url: string): Error {
  if (error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError")) {
    return new UnreachableError(`${method} ${url}: no answer within the time limit`);
  }
  const code = (error as { cause?: { code?: unknown } }).cause?.code;
  return new UnreachableError(`${method} ${url}: ${typeof code === "string" ? code : error instanceof Error ? error.message : String(error)}`);
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/**
 * One request that never follows a redirect: a 3xx is an HttpError naming where it pointed
 * (status < 400, so exit 2: GITLAB_URL is not GitLab's own address). Other non-2xx answers
 * are HttpErrors with GitLab's message. Returns the 2xx response, body unread.
 */
async function send(doFetch: typeof globalThis.fetch, method: string, url: string | URL, init: { headers: Record<string, string>; body?: URLSearchParams; timeoutMs: number }): Promise<Response> {
  const shown = String(url);
  let response: Response;
  try {
    response = await doFetch(url, { method, headers: init.headers, ...(init.body ? { body: init.body } : {}), redirect: "manual", signal: AbortSignal.timeout(init.timeoutMs) });
  } catch (error) {
    throw toTypedError(error, method, shown);
  }
  if (REDIRECTS.has(response.status)) {
    const location = response.headers.get("location");
    const target = location ? displayUrl(URL.parse(location, shown)?.href ?? location) : "nowhere";
    await response.body?.cancel();
    throw new HttpError(method, shown, response.status, response.statusText, `redirect to ${target} not followed (the API token would go along); set GITLAB_URL to GitLab's own address`);
  }
  return response;
}

function requireShape<T>(checked: Checked<T>, method: string, url: string): T {
  if (checked.ok) return checked.value;
  throw new UnreachableError(`${method} ${url}: GitLab answered with an unexpected shape`, checked.problems);
}

/** Builds the API-token client. */
export function createGitlabRunnersApi(options: GitlabApiOptions): GitlabRunnersApi {
  const base = options.url.replace(/\/+$/, "");
  const api = `${base}/api/v4`;
  const doFetch = options.fetch ?? globalThis.fetch;
  const headers = { "PRIVATE-TOKEN": options.token ?? "", accept: "application/json" };

  /** A GET whose answer must be 200 with JSON; returns the parsed body (undefined if not JSON). */
  const getJson = async (url: string | URL, maxBytes: number): Promise<{ body: unknown; response: Response }> => {
    const shown = String(url);
    const response = await send(doFetch, "GET", url, { headers, timeoutMs: options.timeoutMs });
    if (response.status !== 200) throw new HttpError("GET", shown, response.status, response.statusText, await serverMessage(response, "GET", shown));
    const text = await readFetchBody(response, { method: "GET", url: shown, maxBytes });
    try {
      return { body: JSON.parse(text) as unknown, response };
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
        const next = nextPageUrl(url, { link: response.headers.get("link"), xNextPage: response.headers.get("x-next-page") });
        if (next !== undefined && !(next instanceof URL)) throw new UnreachableError(`GET ${shown}: ${next.refused}; stopped listing`);
        if (next !== undefined && read.has(next.href)) throw new UnreachableError(`GET ${shown}: the next page points back to a page already read; stopped listing`);
        url = next;
      }
      return rows;
    },
    async removeRunner(runnerId) {
      const url = `${api}/runners/${runnerId}`;
      const response = await send(doFetch, "DELETE", url, { headers, timeoutMs: options.timeoutMs });
      if (response.status === 204 || response.status === 200) {
        await response.body?.cancel();
        return;
      }
      throw new HttpError("DELETE", url, response.status, response.statusText, await serverMessage(response, "DELETE", url));
    },
  };
}

/** A listing longer than this many pages of 100 is a loop, not a fleet. */
const MAX_PAGES = 500;

/** Cap on a GitLab answer read here (an error message); past it: ResponseTooLargeError, exit 6. */
const GITLAB_MAX_BODY_BYTES = 1024 * 1024;

/** Cap on one page of a runner listing (100 runners are tens of kB); past it: exit 6. */
const GITLAB_MAX_PAGE_BYTES = 4 * 1024 * 1024;

async function serverMessage(response: Response, method: string, url: string): Promise<string> {
  const text = await readFetchBody(response, { method, url, maxBytes: GITLAB_MAX_BODY_BYTES });
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
  const doFetch = options.fetch ?? globalThis.fetch;

  // Form body, not query: the token must not end up in access logs.
  const remove = async (url: string, form: Record<string, string>): Promise<UnregisterOutcome> => {
    const response = await send(doFetch, "DELETE", url, { headers: { accept: "application/json" }, body: new URLSearchParams(form), timeoutMs: options.timeoutMs });
    if (response.status === 204 || response.status === 200) return "removed";
    if (response.status === 404) return "not-found";
    // GitLab's own 403 is JSON; an HTML 403 is a proxy or firewall and says nothing about the token.
    if (response.status === 403 && /^application\/json\b/i.test(response.headers.get("content-type") ?? "")) return "token-invalid";
    throw new HttpError("DELETE", url, response.status, response.statusText, await serverMessage(response, "DELETE", url));
  };

  return {
    removeManager: (token, systemId) => remove(`${api}/runners/managers`, { token, system_id: systemId }),
    removeRunnerByToken: (token) => remove(`${api}/runners`, { token }),
  };
}
