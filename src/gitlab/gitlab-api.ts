/**
 * The GitLab runners API for the commands that change registrations (unregister, reap).
 * @gitbeaker/rest makes the calls it covers (show, list all pages, delete by id or token);
 * runner managers have no @gitbeaker method, so a small typed fetch client covers those.
 * Every response we act on is checked at this boundary; every failure becomes a typed error
 * whose message names method, URL and status but never a token.
 */
import { Runners } from "@gitbeaker/rest";
import { HttpError, UnreachableError } from "../errors.js";
import { readFetchBody } from "../http/body-limit.js";
import { checkRunnerDetails, checkRunnerList, type Checked } from "./response-shapes.js";
import type { RunnerDetails, RunnerListItem } from "./types.js";

/** Which runners a listing covers, per the token's rights (GitLab `doc/api/runners.md`). */
export type RunnerScope = { kind: "instance" } | { kind: "owned" } | { kind: "group"; groupId: string } | { kind: "project"; projectId: string };

/** Server-side list filters; GitLab's `offline` includes `stale`. */
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

/** Calls authenticated by the runner's own token (the container that runs it). */
export interface RunnerTokenApi {
  /** `DELETE /runners/managers`: this system_id's manager only; the runner and other containers stay. */
  removeManager(token: string, systemId: string): Promise<"removed" | "not-found">;
  /** `DELETE /runners` with the token: the whole runner. Only for legacy per-container tokens. */
  removeRunnerByToken(token: string): Promise<"removed" | "not-found">;
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
      const url = `${api}/${scope.kind === "instance" ? "runners/all" : scope.kind === "owned" ? "runners" : scope.kind === "group" ? `groups/${scope.groupId}/runners` : `projects/${scope.projectId}/runners`}`;
      const where =
        scope.kind === "group" ? { groupId: scope.groupId } : scope.kind === "project" ? { projectId: scope.projectId } : scope.kind === "owned" ? { owned: true } : {};
      const body = await call("GET", url, () =>
        runners.all({
          ...where,
          ...(filter.status ? { status: filter.status } : {}),
          ...(filter.tags && filter.tags.length > 0 ? { tagList: filter.tags } : {}),
          perPage: 100,
        }),
      );
      return requireShape(checkRunnerList(body), "GET", url);
    },
    async removeRunner(runnerId) {
      const url = `${api}/runners/${runnerId}`;
      await call("DELETE", url, () => runners.remove({ runnerId }));
    },
  };
}

/** Cap on a GitLab answer read here (an error message); past it: ResponseTooLargeError, exit 6. */
const GITLAB_MAX_BODY_BYTES = 1024 * 1024;

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
  const runners = new Runners({ host: base, queryTimeout: options.timeoutMs });

  const outcome = (error: unknown, method: string, url: string): "not-found" => {
    const typed = toTypedError(error, method, url);
    if (typed instanceof HttpError && typed.status === 404) return "not-found";
    throw explainTokenRefusal(typed);
  };

  return {
    async removeManager(token, systemId) {
      const url = `${api}/runners/managers`;
      let response: Response;
      try {
        // Form body, not query: the token must not end up in access logs.
        response = await doFetch(url, {
          method: "DELETE",
          body: new URLSearchParams({ token, system_id: systemId }),
          signal: AbortSignal.timeout(options.timeoutMs),
        });
      } catch (error) {
        throw toTypedError(error, "DELETE", url);
      }
      if (response.status === 204 || response.status === 200) return "removed";
      if (response.status === 404) return "not-found";
      throw explainTokenRefusal(new HttpError("DELETE", url, response.status, response.statusText, await serverMessage(response, "DELETE", url)));
    },
    async removeRunnerByToken(token) {
      const url = `${api}/runners`;
      try {
        await runners.remove({ token });
        return "removed";
      } catch (error) {
        return outcome(error, "DELETE", url);
      }
    },
  };
}

/** A 403 on a runner-token call means GitLab does not know the token (runner already deleted, or a wrong token). */
function explainTokenRefusal(error: Error): Error {
  if (error instanceof HttpError && error.status === 403) {
    return new UnreachableError(`${error.message} (GitLab does not accept this runner token: the runner was already deleted, or the token is wrong)`);
  }
  return error;
}
