/**
 * The GitLab runners API for the commands that change registrations (unregister, reap).
 * @gitbeaker/rest makes the calls it covers (show, delete by id). A small typed fetch client
 * covers the rest: runner managers (no @gitbeaker method), the listing (@gitbeaker follows
 * `Link` only; GitLab can leave it out and send just `X-Next-Page`), and the runner-token
 * deletes, whose 403 must be told apart by who sent it.
 * Every response we act on is checked at this boundary; every failure becomes a typed error
 * whose message names method, URL and status but never a token.
 */
import { Runners } from "@gitbeaker/rest";
import { HttpError, UnreachableError } from "../errors.js";
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
  /** Transport for the calls @gitbeaker does not cover. */
  fetch?: typeof globalThis.fetch;
}

/** Turns whatever @gitbeaker or fetch threw into our typed error. */
function toTypedError(error: unknown, method: string, url: string): Error {
  const cause = (error as { cause?: { response?: Response; request?: Request; description?: unknown } }).cause;
  if (error instanceof Error && error.name === "GitbeakerRequestError" && cause?.response) {
    const description = typeof cause.description === "string" ? cause.description : "";
    return new HttpError(method, cause.request?.url ?? url, cause.response.status, cause.response.statusText, description);
  }
  if (error instanceof Error && (error.name === "GitbeakerTimeoutError" || error.name === "TimeoutError" || error.name === "AbortError")) {
    return new UnreachableError(`${method} ${url}: no answer within the time limit`);
  }
  if (error instanceof Error && error.name === "GitbeakerRetryError") return new UnreachableError(`${method} ${url}: ${error.message}`);
  const code = (error as { cause?: { code?: unknown } }).cause?.code;
  return new UnreachableError(`${method} ${url}: ${typeof code === "string" ? code : error instanceof Error ? error.message : String(error)}`);
}

function requireShape<T>(checked: Checked<T>, method: string, url: string): T {
  if (checked.ok) return checked.value;
  throw new UnreachableError(`${method} ${url}: GitLab answered with an unexpected shape`, checked.problems);
}

/** Builds the API-token client. */
export function createGitlabRunnersApi(options: GitlabApiOptions): GitlabRunnersApi {
  const base = options.url.replace(/\/+$/, "");
  const api = `${base}/api/v4`;
  const runners = new Runners({ host: base, token: options.token ?? "", queryTimeout: options.timeoutMs });
  const doFetch = options.fetch ?? globalThis.fetch;

  const call = async <T>(method: string, url: string, run: () => Promise<T>): Promise<T> => {
    try {
      return await run();
    } catch (error) {
      throw toTypedError(error, method, url);
    }
  };

  return {
    async showRunner(runnerId) {
      const url = `${api}/runners/${runnerId}`;
      const body = await call("GET", url, () => runners.show(runnerId));
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
      for (let page = 0; url !== undefined; page += 1) {
        if (page >= MAX_PAGES) throw new UnreachableError(`GET ${api}/${path}: more than ${MAX_PAGES} pages; narrow the filter`);
        const shown = url.href;
        let response: Response;
        try {
          response = await doFetch(url, { headers: { "PRIVATE-TOKEN": options.token ?? "", accept: "application/json" }, signal: AbortSignal.timeout(options.timeoutMs) });
        } catch (error) {
          throw toTypedError(error, "GET", shown);
        }
        if (response.status !== 200) throw new HttpError("GET", shown, response.status, response.statusText, await serverMessage(response, "GET", shown));
        const text = await readFetchBody(response, { method: "GET", url: shown, maxBytes: GITLAB_MAX_PAGE_BYTES });
        let body: unknown;
        try {
          body = JSON.parse(text);
        } catch {
          body = undefined; // requireShape names the answer as not a runner list
        }
        rows.push(...requireShape(checkRunnerList(body), "GET", shown));
        const next = nextPageUrl(url, { link: response.headers.get("link"), xNextPage: response.headers.get("x-next-page") });
        if (next !== undefined && !(next instanceof URL)) throw new UnreachableError(`GET ${shown}: ${next.refused}; stopped listing`);
        url = next;
      }
      return rows;
    },
    async removeRunner(runnerId) {
      const url = `${api}/runners/${runnerId}`;
      await call("DELETE", url, () => runners.remove({ runnerId }));
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
    let response: Response;
    try {
      response = await doFetch(url, { method: "DELETE", body: new URLSearchParams(form), headers: { accept: "application/json" }, signal: AbortSignal.timeout(options.timeoutMs) });
    } catch (error) {
      throw toTypedError(error, "DELETE", url);
    }
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
