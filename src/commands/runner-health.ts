/**
 * `mdeploy runner-health`: a Marathon COMMAND health check for a GitLab runner container.
 * It only reads. The runner process (its metrics endpoint) says whether it is alive, and its
 * counters of GitLab's answers to its job requests say whether GitLab still accepts its token
 * (403 = runner deleted or token revoked). With an API token it also reads the runner's
 * record and managers from GitLab. `POST /runners/verify` is a write (GitLab counts it as
 * the runner's contact and creates or refreshes the manager, so a dead runner whose check
 * still runs would keep looking alive): it is sent only with `--verify-token`.
 * It must answer well inside Marathon's `timeoutSeconds`, so every request shares one
 * deadline, and it sends through the light implementation of the HTTP seam, which loads
 * neither fetch (undici) nor a connection pool (see src/http/light-transport.ts).
 */
import { positiveFlag } from "../core/positive-number.js";
import { readFile, rename, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { CliContext } from "../core/ports/cli-context.js";
import { basicAuthSecrets } from "../core/redact.js";
import { ExitWithCode, UsageError } from "../errors.js";
import { checkRunnerDetails, checkRunnerManagers, checkRunnerVerify } from "../gitlab/response-shapes.js";
import { summarizeRunnerMetrics } from "../gitlab/runner-metrics.js";
import { DEFAULT_METRICS_URL, isSharedRunnerToken, resolveRunnerSettings, type RunnerSettings } from "../gitlab/runner-settings.js";
import { judgeRunnerHealth, type GitlabObservation, type HealthVerdict, type JobRequestState, type ProcessObservation } from "../gitlab/runner-verdict.js";
import { authorizationHeader } from "../http/auth.js";
import { ResponseTooLargeError } from "../http/body-limit.js";
import { describeAttempts } from "../http/failover.js";
import { createLightHttpTransport } from "../http/light-transport.js";
import { credentialsInUrl, displayUrl } from "../http/safe-url.js";
import type { HttpResponse, HttpTransport } from "../http/transport.js";

/** Flags as commander hands them over. */
export interface RunnerHealthFlags {
  gitlabUrl?: string;
  runnerConfig?: string;
  runnerId?: string;
  systemId?: string;
  metricsUrl?: string;
  /** `--no-metrics` sets this to false. */
  metrics?: boolean;
  timeout: string;
  grace: string;
  strict?: boolean;
  stateFile?: string;
  /** `--verify-token`: the one write, asked for explicitly. */
  verifyToken?: boolean;
}

export interface RunnerHealthOptions {
  settings: RunnerSettings;
  /** Undefined: the process is not checked. */
  metricsUrl?: string;
  timeoutMs: number;
  graceMs: number;
  strict: boolean;
  /** Send `POST /runners/verify` with the runner's token (a write). */
  verifyToken: boolean;
}

export interface RunnerHealthDeps {
  /** Builds the HTTP client bound to the check's deadline. */
  http: (signal: AbortSignal) => HttpTransport;
  now: () => number;
  previousState?: JobRequestState;
}

/**
 * How long the requests may take out of `--timeout`: the rest is for starting node,
 * printing and exiting, so Marathon never sees the check itself time out.
 */
function requestBudgetMs(timeoutMs: number): number {
  return Math.round(Math.max(timeoutMs * 0.6, timeoutMs - 750));
}

function failure(method: string, url: string, status: number, statusText: string): string {
  return `${method} ${displayUrl(url)}: ${status} ${statusText}`.trim();
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function isJson(response: HttpResponse): boolean {
  return /^application\/json\b/i.test(String(response.headers["content-type"] ?? ""));
}

/**
 * The two messages GitLab's API gives for a runner id it does not have: "404 Not found"
 * (its handler for a missing record, lower-case f) and "404 Runner Not Found" (the runners
 * API's own check). Any other 404 message, "404 Not Found" included, is not from that code path.
 */
const RUNNER_MISSING_MESSAGES = new Set(["404 Not found", "404 Runner Not Found"]);

/**
 * Only GitLab's API itself proves a runner deleted: a JSON 404 with one of
 * {@link RUNNER_MISSING_MESSAGES}. Its catch-all for an unknown API path answers
 * `{"error": "404 Not Found"}` instead, a proxy or a wrong URL prefix answers HTML or its
 * own JSON: those say nothing about the runner.
 */
function provesRunnerDeleted(response: HttpResponse): boolean {
  if (response.status !== 404 || !isJson(response)) return false;
  const body = parseJson(response.body);
  const message = body !== null && typeof body === "object" ? (body as { message?: unknown }).message : undefined;
  return typeof message === "string" && RUNNER_MISSING_MESSAGES.has(message);
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 3;

/**
 * GET that follows redirects within GitLab's own origin, and from http to https on its host,
 * so an http GITLAB_URL behind a 301 is still judged. A redirect to another host, another
 * port under the same scheme, or from https down to http, is not followed: the API token
 * would go with it.
 */
async function readGitlab(http: HttpTransport, url: string, headers: Record<string, string>): Promise<{ response: HttpResponse; url: string } | { unjudged: string }> {
  let current = new URL(url);
  for (let hop = 0; ; hop += 1) {
    let response: HttpResponse;
    try {
      response = await http.request({ method: "GET", url: current.href, headers });
    } catch (error) {
      return { unjudged: `GET ${displayUrl(current)}: ${failureReason(error)}` };
    }
    if (!REDIRECTS.has(response.status)) return { response, url: current.href };
    const location = response.headers.location;
    const next = location ? URL.parse(location, current.href) : null;
    if (!next) return { unjudged: `${failure("GET", current.href, response.status, response.statusText)} without a usable Location` };
    // Same origin, or the upgrade to https on the same host name; another port under the same scheme may be another service.
    const sameHost = next.origin === current.origin || (next.hostname === current.hostname && current.protocol === "http:" && next.protocol === "https:");
    if (!sameHost) return { unjudged: `${failure("GET", current.href, response.status, response.statusText)} to ${displayUrl(next)}: not followed (another host or a downgrade); set GITLAB_URL to GitLab's own address` };
    if (hop >= MAX_REDIRECTS) return { unjudged: `GET ${displayUrl(url)}: more than ${MAX_REDIRECTS} redirects` };
    current = next;
  }
}

/** Reads the runner's record and this container's manager with the API token (read-only). */
async function readRunnerRecord(settings: RunnerSettings, api: string, runnerId: string, apiToken: string, http: HttpTransport, proxyAuth: Record<string, string>): Promise<GitlabObservation> {
  const { systemId } = settings;
  const headers = { ...proxyAuth, "PRIVATE-TOKEN": apiToken, accept: "application/json" };
  const runnerUrl = `${api}/runners/${runnerId}`;
  const [runnerRead, managersRead] = await Promise.all([readGitlab(http, runnerUrl, headers), systemId ? readGitlab(http, `${runnerUrl}/managers`, headers) : undefined]);
  if ("unjudged" in runnerRead) return { kind: "unjudged", reason: runnerRead.unjudged };
  const { response, url } = runnerRead;
  if (provesRunnerDeleted(response)) return { kind: "not-found", runnerId };
  if (response.status === 404) {
    const type = String(response.headers["content-type"] ?? "no content type").split(";")[0];
    return { kind: "unjudged", reason: `${failure("GET", url, 404, response.statusText)} is not GitLab's API answering for this runner (${type}): check GITLAB_URL and its path prefix` };
  }
  if (response.status !== 200) return { kind: "unjudged", reason: failure("GET", url, response.status, response.statusText) };
  const runner = checkRunnerDetails(parseJson(response.body));
  if (!runner.ok) return { kind: "unjudged", reason: `GET ${displayUrl(url)}: not a runner record: ${runner.problems.join(", ")}` };
  const observation: GitlabObservation = { kind: "runner", runner: runner.value };
  if (systemId) {
    observation.systemId = systemId;
    const managersResponse = managersRead && "response" in managersRead && managersRead.response.status === 200 ? managersRead.response : undefined;
    const managers = managersResponse ? checkRunnerManagers(parseJson(managersResponse.body)) : undefined;
    // Older GitLab has no managers endpoint (404); then only the runner itself is judged.
    observation.managers = managers?.ok ? managers.value : "unavailable";
  }
  return observation;
}

/** `POST /runners/verify`: a write, sent only with --verify-token. */
async function verifyRunnerToken(api: string, runnerToken: string, systemId: string | undefined, http: HttpTransport, proxyAuth: Record<string, string>): Promise<GitlabObservation> {
  const url = `${api}/runners/verify`;
  const form: Record<string, string> = { token: runnerToken };
  if (systemId) form.system_id = systemId;
  let response;
  try {
    response = await http.request({ method: "POST", url, body: new URLSearchParams(form).toString(), headers: { ...proxyAuth, accept: "application/json", "content-type": "application/x-www-form-urlencoded" } });
  } catch (error) {
    return { kind: "unjudged", reason: `POST ${displayUrl(url)}: ${failureReason(error)}` };
  }
  // Only GitLab's JSON answer is its verdict on the token; an HTML 403 is a proxy's.
  if ((response.status === 403 || response.status === 422) && isJson(response)) return { kind: "token-rejected", status: response.status };
  if (response.status !== 200) return { kind: "unjudged", reason: failure("POST", url, response.status, response.statusText) };
  const verified = checkRunnerVerify(parseJson(response.body));
  if (!verified.ok) return { kind: "unjudged", reason: `POST ${displayUrl(url)}: unexpected answer: ${verified.problems.join(", ")}` };
  return { kind: "token-valid", runnerId: verified.value.id };
}

async function observeGitlab(settings: RunnerSettings, http: HttpTransport, verifyToken: boolean): Promise<GitlabObservation> {
  const { gitlabUrl, apiToken, runnerId, runnerToken } = settings;
  if (!gitlabUrl) return { kind: "not-asked" };
  const api = `${gitlabUrl}/api/v4`;
  const proxyAuthorization = authorizationHeader(settings.gitlabCredentials);
  const proxyAuth: Record<string, string> = proxyAuthorization ? { authorization: proxyAuthorization } : {};
  if (verifyToken && runnerToken) return verifyRunnerToken(api, runnerToken, settings.systemId, http, proxyAuth);
  if (apiToken && runnerId) return readRunnerRecord(settings, api, runnerId, apiToken, http, proxyAuth);
  return { kind: "not-asked" };
}

async function observeProcess(metricsUrl: string | undefined, http: HttpTransport): Promise<ProcessObservation> {
  if (!metricsUrl) return { kind: "not-checked" };
  const shown = displayUrl(metricsUrl);
  try {
    const response = await http.request({ method: "GET", url: metricsUrl });
    if (response.status !== 200) return { kind: "down", url: shown, reason: `${response.status} ${response.statusText}`.trim() };
    const { isGitlabRunner, ...summary } = summarizeRunnerMetrics(response.body);
    if (!isGitlabRunner) return { kind: "not-runner", url: shown };
    return { kind: "up", ...summary };
  } catch (error) {
    return { kind: "down", url: shown, reason: failureReason(error) };
  }
}

/** Asks GitLab and the runner process, within the deadline, and returns the verdict. */
async function checkRunnerHealth(options: RunnerHealthOptions, deps: RunnerHealthDeps): Promise<HealthVerdict> {
  const signal = AbortSignal.timeout(requestBudgetMs(options.timeoutMs));
  const http = deps.http(signal);
  const [gitlab, process] = await Promise.all([observeGitlab(options.settings, http, options.verifyToken), observeProcess(options.metricsUrl, http)]);
  return judgeRunnerHealth({
    gitlab,
    process,
    nowMs: deps.now(),
    graceMs: options.graceMs,
    strict: options.strict,
    ...(deps.previousState ? { previous: deps.previousState } : {}),
  });
}

function parseSeconds(flag: string, value: string): number {
  return positiveFlag(flag, value, { unit: "seconds" }) * 1000;
}

function defaultStateFile(metricsUrl: string): string {
  return join(tmpdir(), `mdeploy-runner-health-${metricsUrl.replace(/[^A-Za-z0-9]+/g, "_")}.json`);
}

async function readState(path: string): Promise<JobRequestState | undefined> {
  try {
    const value = JSON.parse(await readFile(path, "utf8")) as Partial<JobRequestState>;
    if (typeof value.rejected === "number" && typeof value.succeeded === "number" && typeof value.rejecting === "boolean") {
      return { rejected: value.rejected, succeeded: value.succeeded, rejecting: value.rejecting };
    }
  } catch {
    // No state yet, or unreadable: judge from this sample alone.
  }
  return undefined;
}

async function writeState(path: string, state: JobRequestState): Promise<void> {
  try {
    const temporary = `${path}.${process.pid}.tmp`;
    await writeFile(temporary, JSON.stringify(state));
    await rename(temporary, path);
  } catch {
    // The state only sharpens the next check; failing to keep it must not fail this one.
  }
}

/** Settings that cannot work together are bad usage (exit 2), never a check silently left out. */
function checkGitlabSettings(settings: RunnerSettings, verifyToken: boolean): void {
  if (verifyToken) {
    if (!settings.gitlabUrl) throw new UsageError("--verify-token needs GitLab's URL: --gitlab-url, GITLAB_URL, CI_SERVER_URL or config.toml");
    if (!settings.runnerToken) throw new UsageError("--verify-token needs the runner's token: GITLAB_RUNNER_TOKEN or config.toml");
    if (isSharedRunnerToken(settings.runnerToken) && !settings.systemId) {
      throw new UsageError("a glrt- runner token needs the container's system_id (--system-id, GITLAB_RUNNER_SYSTEM_ID or .runner_system_id next to config.toml)");
    }
    return;
  }
  if (settings.apiToken && !settings.gitlabUrl) throw new UsageError("GITLAB_TOKEN is set but no GitLab URL: pass --gitlab-url or set GITLAB_URL or CI_SERVER_URL");
  if (settings.apiToken && !settings.runnerId) {
    throw new UsageError("GITLAB_TOKEN is set but no runner id: pass --runner-id, set GITLAB_RUNNER_ID, or point --runner-config at a config.toml with an id");
  }
}

/** The command: resolves settings, checks, prints one line; exit 0 healthy, 1 unhealthy, 2 bad usage. */
export async function runRunnerHealth(flags: RunnerHealthFlags, context: CliContext): Promise<void> {
  const timeoutMs = parseSeconds("--timeout", flags.timeout);
  const graceMs = parseSeconds("--grace", flags.grace);
  const settings = await resolveRunnerSettings(flags, context.env);
  for (const secret of settings.secrets) context.output.redactor.add(secret);
  const metricsUrl = flags.metrics === false ? undefined : (flags.metricsUrl ?? settings.metricsUrl ?? DEFAULT_METRICS_URL);
  if (metricsUrl !== undefined && !/^https?:\/\//.test(metricsUrl)) throw new UsageError(`--metrics-url must be an http(s) URL, got "${displayUrl(metricsUrl)}"`);
  const metricsCredentials = metricsUrl ? credentialsInUrl(metricsUrl) : undefined;
  if (metricsCredentials) for (const secret of basicAuthSecrets(metricsCredentials.username, metricsCredentials.password)) context.output.redactor.add(secret);
  const verifyToken = flags.verifyToken === true;
  checkGitlabSettings(settings, verifyToken);
  const gitlabAsked = settings.gitlabUrl !== undefined && (settings.apiToken !== undefined || verifyToken);
  if (metricsUrl === undefined && !gitlabAsked) {
    throw new UsageError("nothing to check: --no-metrics was given, and without the metrics GitLab's view needs GITLAB_URL with GITLAB_TOKEN and a runner id (or --verify-token)");
  }
  const stateFile = metricsUrl ? (flags.stateFile ?? defaultStateFile(metricsUrl)) : undefined;
  const previousState = stateFile ? await readState(stateFile) : undefined;

  const verdict = await checkRunnerHealth(
    { settings, ...(metricsUrl ? { metricsUrl } : {}), timeoutMs, graceMs, strict: flags.strict ?? false, verifyToken },
    { http: (signal) => createLightHttpTransport({ signal }), now: () => Date.now(), ...(previousState ? { previousState } : {}) },
  );
  if (stateFile && verdict.state) await writeState(stateFile, verdict.state);
  context.output.result({ healthy: verdict.healthy, reason: verdict.reason, warnings: verdict.warnings });
  if (!verdict.healthy) throw new ExitWithCode(1, verdict.reason);
  context.output.info(verdict.reason);
}

/** The seam's phrase for a request that got no usable answer (none, or one past the cap); anything else is not ours to soften. */
function failureReason(error: unknown): string {
  if (error instanceof ResponseTooLargeError) return error.message;
  const reason = describeAttempts(error);
  if (reason === undefined) throw error;
  return reason;
}
