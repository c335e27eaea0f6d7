/**
 * `mdeploy runner-health`: a Marathon COMMAND health check for a GitLab runner container.
 * It asks GitLab whether the runner is still registered and active, and the runner process
 * (its metrics endpoint) whether it is alive and GitLab accepts its job requests. It must
 * answer well inside Marathon's `timeoutSeconds`, so every request shares one deadline, and
 * it loads neither @gitbeaker nor axios nor fetch (see src/gitlab/light-http.ts).
 */
import { readFile, rename, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { CliContext } from "../cli/context.js";
import { ExitWithCode, UsageError } from "../errors.js";
import { createLightHttpClient, describeRequestFailure, type LightHttpClient } from "../gitlab/light-http.js";
import { checkRunnerDetails, checkRunnerManagers, checkRunnerVerify } from "../gitlab/response-shapes.js";
import { summarizeRunnerMetrics } from "../gitlab/runner-metrics.js";
import { DEFAULT_METRICS_URL, isSharedRunnerToken, resolveRunnerSettings, type RunnerSettings } from "../gitlab/runner-settings.js";
import { judgeRunnerHealth, type GitlabObservation, type HealthVerdict, type JobRequestState, type ProcessObservation } from "../gitlab/runner-verdict.js";

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
}

export interface RunnerHealthOptions {
  settings: RunnerSettings;
  /** Undefined: the process is not checked. */
  metricsUrl?: string;
  timeoutMs: number;
  graceMs: number;
  strict: boolean;
}

export interface RunnerHealthDeps {
  /** Builds the HTTP client bound to the check's deadline. */
  http: (signal: AbortSignal) => LightHttpClient;
  now: () => number;
  previousState?: JobRequestState;
}

/**
 * How long the requests may take out of `--timeout`: the rest is for starting node,
 * printing and exiting, so Marathon never sees the check itself time out.
 */
export function requestBudgetMs(timeoutMs: number): number {
  return Math.round(Math.max(timeoutMs * 0.6, timeoutMs - 750));
}

function failure(method: string, url: string, status: number, statusText: string): string {
  return `${method} ${url}: ${status} ${statusText}`.trim();
}

async function observeGitlab(settings: RunnerSettings, http: LightHttpClient): Promise<GitlabObservation> {
  const { gitlabUrl, apiToken, runnerId, runnerToken, systemId } = settings;
  if (!gitlabUrl || (!apiToken && !runnerToken)) return { kind: "not-checked" };
  const api = `${gitlabUrl}/api/v4`;
  if (runnerId && apiToken) {
    const headers = { "PRIVATE-TOKEN": apiToken, accept: "application/json" };
    const runnerUrl = `${api}/runners/${runnerId}`;
    const managersUrl = `${runnerUrl}/managers`;
    const [runnerResult, managersResult] = await Promise.allSettled([
      http.request({ method: "GET", url: runnerUrl, headers }),
      systemId ? http.request({ method: "GET", url: managersUrl, headers }) : Promise.resolve(undefined),
    ]);
    if (runnerResult.status === "rejected") return { kind: "unreachable", reason: `GET ${runnerUrl}: ${describeRequestFailure(runnerResult.reason)}` };
    const response = runnerResult.value;
    if (response.status === 404) return { kind: "not-found", runnerId };
    if (response.status !== 200) return { kind: "unreachable", reason: failure("GET", runnerUrl, response.status, response.statusText) };
    const runner = checkRunnerDetails(parseJson(response.body));
    if (!runner.ok) return { kind: "unreachable", reason: `GET ${runnerUrl}: unexpected answer: ${runner.problems.join(", ")}` };
    const observation: GitlabObservation = { kind: "runner", runner: runner.value };
    if (systemId) {
      observation.systemId = systemId;
      const managers = managersResult.status === "fulfilled" && managersResult.value?.status === 200 ? checkRunnerManagers(parseJson(managersResult.value.body)) : undefined;
      // Older GitLab has no managers endpoint (404); then only the runner itself is judged.
      observation.managers = managers?.ok ? managers.value : "unavailable";
    }
    return observation;
  }
  if (runnerToken) {
    if (isSharedRunnerToken(runnerToken) && !systemId) {
      throw new UsageError("a glrt- runner token needs the container's system_id (--system-id, GITLAB_RUNNER_SYSTEM_ID or .runner_system_id next to config.toml)");
    }
    // POST /runners/verify counts as a contact, so with it GitLab's status would prove nothing:
    // it is used only to learn whether the token is still accepted.
    const url = `${api}/runners/verify`;
    const form: Record<string, string> = { token: runnerToken };
    if (systemId) form.system_id = systemId;
    let response;
    try {
      response = await http.request({ method: "POST", url, form, headers: { accept: "application/json" } });
    } catch (error) {
      return { kind: "unreachable", reason: `POST ${url}: ${describeRequestFailure(error)}` };
    }
    if (response.status === 403 || response.status === 422) return { kind: "token-rejected", status: response.status };
    if (response.status !== 200) return { kind: "unreachable", reason: failure("POST", url, response.status, response.statusText) };
    const verified = checkRunnerVerify(parseJson(response.body));
    if (!verified.ok) return { kind: "unreachable", reason: `POST ${url}: unexpected answer: ${verified.problems.join(", ")}` };
    return { kind: "token-valid", runnerId: verified.value.id };
  }
  throw new UsageError("GITLAB_TOKEN is set but no runner id: pass --runner-id, set GITLAB_RUNNER_ID, or point --runner-config at a config.toml with an id");
}

async function observeProcess(metricsUrl: string | undefined, http: LightHttpClient): Promise<ProcessObservation> {
  if (!metricsUrl) return { kind: "not-checked" };
  try {
    const response = await http.request({ method: "GET", url: metricsUrl });
    if (response.status !== 200) return { kind: "down", url: metricsUrl, reason: `${response.status} ${response.statusText}`.trim() };
    const summary = summarizeRunnerMetrics(response.body);
    return { kind: "up", ...summary };
  } catch (error) {
    return { kind: "down", url: metricsUrl, reason: describeRequestFailure(error) };
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Asks GitLab and the runner process, within the deadline, and returns the verdict. */
export async function checkRunnerHealth(options: RunnerHealthOptions, deps: RunnerHealthDeps): Promise<HealthVerdict> {
  const signal = AbortSignal.timeout(requestBudgetMs(options.timeoutMs));
  const http = deps.http(signal);
  const [gitlab, process] = await Promise.all([observeGitlab(options.settings, http), observeProcess(options.metricsUrl, http)]);
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
  const seconds = Number(value);
  if (!Number.isFinite(seconds) || seconds <= 0) throw new UsageError(`${flag} must be a positive number of seconds, got "${value}"`);
  return seconds * 1000;
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

/** The command: resolves settings, checks, prints one line; exit 0 healthy, 1 unhealthy, 2 bad usage. */
export async function runRunnerHealth(flags: RunnerHealthFlags, context: CliContext): Promise<void> {
  const timeoutMs = parseSeconds("--timeout", flags.timeout);
  const graceMs = parseSeconds("--grace", flags.grace);
  const settings = await resolveRunnerSettings(flags, context.env);
  for (const secret of settings.secrets) context.output.redactor.add(secret);
  const metricsUrl = flags.metrics === false ? undefined : (flags.metricsUrl ?? settings.metricsUrl ?? DEFAULT_METRICS_URL);
  if (metricsUrl !== undefined && !/^https?:\/\//.test(metricsUrl)) throw new UsageError(`--metrics-url must be an http(s) URL, got "${metricsUrl}"`);
  const gitlabChecked = settings.gitlabUrl !== undefined && (settings.apiToken !== undefined || settings.runnerToken !== undefined);
  if (metricsUrl === undefined && !gitlabChecked) {
    throw new UsageError("nothing to check: --no-metrics was given and there are no GitLab settings (GITLAB_URL with GITLAB_TOKEN and a runner id, or the runner token)");
  }
  const stateFile = metricsUrl ? (flags.stateFile ?? defaultStateFile(metricsUrl)) : undefined;
  const previousState = stateFile ? await readState(stateFile) : undefined;

  const verdict = await checkRunnerHealth(
    { settings, ...(metricsUrl ? { metricsUrl } : {}), timeoutMs, graceMs, strict: flags.strict ?? false },
    { http: (signal) => createLightHttpClient({ signal }), now: () => Date.now(), ...(previousState ? { previousState } : {}) },
  );
  if (stateFile && verdict.state) await writeState(stateFile, verdict.state);
  context.output.result({ healthy: verdict.healthy, reason: verdict.reason, warnings: verdict.warnings });
  if (!verdict.healthy) throw new ExitWithCode(1, verdict.reason);
  context.output.info(verdict.reason);
}
