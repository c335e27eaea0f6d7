/**
 * The gate between canary steps (and before a blue/green switch): the new
 * copy's tasks stay healthy and unrestarted for a window, then the checks the
 * user configured: an HTTP probe, a Prometheus query under a threshold. Any
 * check that cannot be made fails the gate, named: a gate that cannot see is
 * closed.
 */
import type { Clock } from "../../core/ports/clock.js";
import type { GateSettings } from "../../config/types.js";
import type { MarathonClient } from "../../marathon/client.js";
import type { AppStatus } from "../../marathon/types.js";
import { isTransientReadFailure, messageOf } from "../failure-kinds.js";
import { isHealthyAndReady } from "../verify-app.js";

/** One check's verdict. */
export interface GateCheck {
  name: string;
  passed: boolean;
  detail: string;
}

/** The gate's verdict: passed when every check passed; checks after a failed one are not made. */
export interface GateResult {
  passed: boolean;
  checks: GateCheck[];
  /** The command's time limit came before the window ended. */
  timedOut?: boolean;
}

/** How the gate reaches HTTP endpoints (injected so tests and CLI use the same code; global fetch by default). */
export type GateFetch = (url: string, init: { signal: AbortSignal }) => Promise<{ status: number; text(): Promise<string> }>;

export interface GateDeps {
  marathon: Pick<MarathonClient, "findApp">;
  clock: Clock;
  fetch?: GateFetch;
  /** Real-time bound on each probe (default 10 s). */
  probeTimeoutMs?: number;
}

/** How often the window looks at the tasks. */
const WINDOW_POLL_MS = 2_000;
const DEFAULT_PROBE_TIMEOUT_MS = 10_000;

/**
 * Runs the gate for `appId`, which should run `instances` healthy tasks, ending
 * by `deadline` (clock time) at the latest. `signal` (a stop) rejects with its reason.
 */
export async function runGate(appId: string, instances: number, gate: GateSettings, deps: GateDeps, signal: AbortSignal, deadline = Number.POSITIVE_INFINITY): Promise<GateResult> {
  const checks: GateCheck[] = [];
  const windowMs = gate.windowSeconds * 1000;
  if (deps.clock.now() + windowMs > deadline) {
    // The window cannot end in time: watch until the deadline, then say so (a failure in the meantime still counts).
    const partial = await healthWindow(appId, instances, Math.max(0, deadline - deps.clock.now()), deps, signal);
    checks.push(partial.passed ? { name: `health window ${gate.windowSeconds} s`, passed: false, detail: `the time limit (--timeout) ran out ${Math.round(partial.watchedMs / 1000)} s into the window` } : partial);
    return { passed: false, checks, ...(partial.passed ? { timedOut: true } : {}) };
  }
  const window = await healthWindow(appId, instances, windowMs, deps, signal);
  checks.push(window);
  if (!window.passed) return { passed: false, checks };
  if (gate.httpProbe) {
    const probe = await httpProbe(gate.httpProbe.url, gate.httpProbe.expectStatus, deps, signal);
    checks.push(probe);
    if (!probe.passed) return { passed: false, checks };
  }
  if (gate.prometheus) {
    const query = await prometheusCheck(gate.prometheus, deps, signal);
    checks.push(query);
    if (!query.passed) return { passed: false, checks };
  }
  return { passed: true, checks };
}

/** Every task of the copy healthy at every look, the same tasks from start to end, for the whole window. */
async function healthWindow(appId: string, instances: number, windowMs: number, deps: GateDeps, signal: AbortSignal): Promise<GateCheck & { watchedMs: number }> {
  const name = `health window ${Math.round(windowMs / 1000)} s`;
  const begin = deps.clock.now();
  const end = begin + windowMs;
  const verdict = (passed: boolean, detail: string) => ({ name, passed, detail, watchedMs: deps.clock.now() - begin });
  let first: Set<string> | undefined;
  let unreadable = 0;
  for (let look = 0; look < 100_000; look++) {
    let app: AppStatus | undefined;
    try {
      app = await deps.marathon.findApp(appId, { embed: ["app.tasks", "app.readiness", "app.lastTaskFailure"], signal });
    } catch (error) {
      // A Marathon that cannot be read for a passing reason is looked at again; three looks in a row and the gate cannot see.
      if (signal.aborted || !isTransientReadFailure(error)) throw error;
      if (++unreadable >= 3) return verdict(false, `cannot read ${appId}: ${messageOf(error)}`);
      await deps.clock.sleep(WINDOW_POLL_MS, signal);
      continue;
    }
    unreadable = 0;
    if (!app) return verdict(false, `${appId} is gone`);
    const live = (app.tasks ?? []).filter((t) => t.state === "TASK_RUNNING" || t.state === "TASK_STAGING" || t.state === "TASK_STARTING");
    const healthy = live.filter((t) => t.state === "TASK_RUNNING" && isHealthyAndReady(t, app));
    const ids = new Set(live.map((t) => t.id));
    first ??= ids;
    const restarted = [...ids].filter((id) => !first?.has(id));
    if (restarted.length > 0 || ids.size < first.size) {
      const failure = app.lastTaskFailure ? ` (last task failure: ${app.lastTaskFailure.state} ${app.lastTaskFailure.message})` : "";
      return verdict(false, `a task of ${appId} was replaced during the window${failure}`);
    }
    if (healthy.length < instances) {
      const sick = (app.tasks ?? []).filter((t) => !healthy.includes(t)).map((t) => `${t.id} ${t.state ?? ""}${t.healthCheckResults?.[0]?.lastFailureCause ? `: ${t.healthCheckResults[0].lastFailureCause}` : ""}`);
      const failure = app.lastTaskFailure ? `last task failure: ${app.lastTaskFailure.state} ${app.lastTaskFailure.message}` : undefined;
      const why = [...sick, ...(failure ? [failure] : [])];
      return verdict(false, `${healthy.length}/${instances} tasks of ${appId} healthy${why.length > 0 ? ` (not healthy: ${why.join("; ")})` : ""}`);
    }
    const left = end - deps.clock.now();
    if (left <= 0) return verdict(true, `${instances}/${instances} tasks of ${appId} healthy for ${Math.round(windowMs / 1000)} s, none restarted`);
    await deps.clock.sleep(Math.min(WINDOW_POLL_MS, left), signal);
  }
  return verdict(false, "the window did not end");
}

/** GET the URL; the gate passes on the expected status. */
async function httpProbe(url: string, expectStatus: number, deps: GateDeps, signal: AbortSignal): Promise<GateCheck> {
  const name = `GET ${url}`;
  const answer = await get(url, deps, signal);
  if ("problem" in answer) return { name, passed: false, detail: answer.problem };
  return answer.status === expectStatus ? { name, passed: true, detail: `answered ${answer.status}` } : { name, passed: false, detail: `answered ${answer.status}, expected ${expectStatus}` };
}

/** An instant query through Prometheus's HTTP API; every sample must be at most `max`. */
async function prometheusCheck(settings: { url: string; query: string; max: number }, deps: GateDeps, signal: AbortSignal): Promise<GateCheck> {
  const name = `Prometheus ${settings.query} <= ${settings.max}`;
  const url = `${settings.url.replace(/\/+$/, "")}/api/v1/query?query=${encodeURIComponent(settings.query)}`;
  const answer = await get(url, deps, signal);
  if ("problem" in answer) return { name, passed: false, detail: `Prometheus at ${settings.url}: ${answer.problem}` };
  if (answer.status !== 200) return { name, passed: false, detail: `Prometheus at ${settings.url} answered ${answer.status}: ${answer.body.slice(0, 200)}` };
  const values = samplesOf(answer.body);
  if (typeof values === "string") return { name, passed: false, detail: `Prometheus at ${settings.url}: ${values}` };
  const over = values.filter((v) => !(v <= settings.max));
  if (over.length > 0) return { name, passed: false, detail: `value ${over.join(", ")} is above ${settings.max}` };
  return { name, passed: true, detail: `value ${values.join(", ")}` };
}

/** The numbers in an instant-query answer (scalar or vector), or what is wrong with it. */
export function samplesOf(body: string): number[] | string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return "the answer is not JSON";
  }
  const doc = parsed as { status?: unknown; error?: unknown; data?: { resultType?: unknown; result?: unknown } };
  if (doc.status !== "success") return `query failed: ${typeof doc.error === "string" ? doc.error : JSON.stringify(parsed).slice(0, 200)}`;
  const { resultType, result } = doc.data ?? {};
  const number = (pair: unknown): number => (Array.isArray(pair) && typeof pair[1] === "string" ? Number(pair[1]) : Number.NaN);
  let values: number[];
  if (resultType === "scalar") values = [number(result)];
  else if (resultType === "vector" && Array.isArray(result)) values = result.map((s) => number((s as { value?: unknown }).value));
  else return `expected a scalar or vector result, got ${String(resultType)}`;
  // No sample means no evidence either way (no traffic reached the canary yet): the gate does not open on it.
  if (values.length === 0) return "the query returned no sample";
  if (values.some((v) => Number.isNaN(v))) return "a sample is not a number";
  return values;
}

/** One GET with a real-time bound; a failure to connect or answer is a problem in words, not an exception. */
async function get(url: string, deps: GateDeps, signal: AbortSignal): Promise<{ status: number; body: string } | { problem: string }> {
  const fetchFn: GateFetch = deps.fetch ?? ((u, init) => fetch(u, init));
  const timeout = AbortSignal.timeout(deps.probeTimeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS);
  try {
    const response = await fetchFn(url, { signal: AbortSignal.any([signal, timeout]) });
    return { status: response.status, body: await response.text() };
  } catch (error) {
    if (signal.aborted) throw error;
    if (timeout.aborted) return { problem: `no answer within ${Math.round((deps.probeTimeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS) / 1000)} s` };
    // fetch reports refused connections, unknown hosts and resets as a TypeError whose cause names the system error.
    if (error instanceof TypeError) return { problem: `unreachable (${messageOf((error as { cause?: unknown }).cause ?? error)})` };
    throw error;
  }
}
