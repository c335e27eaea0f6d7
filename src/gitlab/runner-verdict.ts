/**
 * Whether a GitLab runner container is healthy, from what GitLab and the runner process
 * said. Pure: observations, the time and the previous check's state in; a verdict out.
 *
 * Why two sources: GitLab's `status` lags by up to two hours (a dead runner stays
 * `online`), so it only says whether the runner still exists, is paused, or has been silent
 * for days. The runner's own metrics say whether it is alive and whether GitLab still
 * accepts its job requests.
 */
import { contactState, isPaused, type ContactState } from "./runner-status.js";
import type { RunnerDetails, RunnerManager } from "./types.js";

/** What GitLab said about this runner. */
export type GitlabObservation =
  /**
   * GitLab was not asked (no API token, and no explicit --verify-token): its view comes from
   * the runner process's own counters of GitLab's answers to its job requests.
   */
  | { kind: "not-asked" }
  /** `GET /runners/:id` (and, when a system_id is known, `/managers`) answered. */
  | { kind: "runner"; runner: RunnerDetails; managers?: RunnerManager[] | "unavailable"; systemId?: string }
  /** GitLab's API answered JSON 404 for `GET /runners/:id`: the runner was deleted. */
  | { kind: "not-found"; runnerId: number | string }
  /** `POST /runners/verify` (only with --verify-token) accepted the runner's own token. */
  | { kind: "token-valid"; runnerId: number }
  /** `POST /runners/verify` answered 403 (token invalid or runner deleted) or 422 (orphaned manager). */
  | { kind: "token-rejected"; status: number }
  /**
   * No answer that proves anything about the runner: network error, timeout, 5xx, our own API
   * token refused, or an answer that is not GitLab's API (an HTML 404 from a proxy, a wrong
   * URL prefix, a redirect to another host).
   */
  | { kind: "unjudged"; reason: string };

/** What the runner process's metrics endpoint said. */
export type ProcessObservation =
  | { kind: "not-checked" }
  | { kind: "down"; url: string; reason: string }
  /** Something answered 200 there, but without a single `gitlab_runner_` metric: not the runner. */
  | { kind: "not-runner"; url: string }
  | { kind: "up"; startedAtMs?: number; jobRequestsRejected: number; jobRequestsSucceeded: number };



/** Carried from one check to the next, so a token GitLab stopped accepting is noticed even after the runner backs off. */
export interface JobRequestState {
  rejected: number;
  succeeded: number;
  /** Requests were rejected and none has succeeded since. */
  rejecting: boolean;
}

export interface HealthInputs {
  gitlab: GitlabObservation;
  process: ProcessObservation;
  nowMs: number;
  /** Start-up grace: `stale`/`never_contacted` is expected this long after the runner started. */
  graceMs: number;
  /** When the runner process started, if known from elsewhere than its metrics. */
  startedAtMs?: number;
  /** GitLab unreachable or misconfigured (and, judging from metrics, silent) counts as unhealthy. */
  strict: boolean;
  previous?: JobRequestState;
}

export interface HealthVerdict {
  healthy: boolean;
  /** One line saying why. */
  reason: string;
  warnings: string[];
  /** State to hand to the next check (absent when the process was not read). */
  state?: JobRequestState;
}

/**
 * Folds the runner's cumulative job-request counters into the state. A counter that went
 * down means the runner restarted, so the previous state no longer applies. gitlab-runner
 * stops asking for jobs for a while after repeated rejections, so "rejecting" sticks until a
 * request succeeds.
 */
export function judgeJobRequests(current: { rejected: number; succeeded: number }, previous?: JobRequestState): JobRequestState {
  const restarted = !previous || current.rejected < previous.rejected || current.succeeded < previous.succeeded;
  const base = restarted ? { rejected: 0, succeeded: 0, rejecting: false } : previous;
  const newlyRejected = current.rejected - base.rejected;
  const newlySucceeded = current.succeeded - base.succeeded;
  const rejecting = newlySucceeded > 0 ? false : newlyRejected > 0 ? true : base.rejecting;
  return { rejected: current.rejected, succeeded: current.succeeded, rejecting };
}

const SILENT_STATES: ReadonlySet<ContactState> = new Set(["stale", "never_contacted"]);

function describeContact(state: ContactState): string {
  return state === "never_contacted" ? "has never contacted GitLab" : `is ${state}`;
}

/** Decides healthy or not, and the one line that says why. */
export function judgeRunnerHealth(inputs: HealthInputs): HealthVerdict {
  const warnings: string[] = [];
  const problems: string[] = [];
  const notes: string[] = [];
  let state: JobRequestState | undefined;

  const { process } = inputs;
  const startedAtMs = (process.kind === "up" ? process.startedAtMs : undefined) ?? inputs.startedAtMs;
  // Unknown start time counts as past the grace: Marathon's own gracePeriodSeconds covers start-up then.
  const insideGrace = startedAtMs !== undefined && inputs.nowMs - startedAtMs < inputs.graceMs;
  const graceNote = startedAtMs === undefined ? "" : ` (started ${Math.round((inputs.nowMs - startedAtMs) / 1000)} s ago)`;

  if (process.kind === "down") {
    problems.push(`runner metrics at ${process.url} do not answer: ${process.reason}`);
  } else if (process.kind === "not-runner") {
    problems.push(`${process.url} answers without any gitlab_runner_ metric: not gitlab-runner's metrics endpoint (check --metrics-url or listen_address)`);
  } else if (process.kind === "up") {
    state = judgeJobRequests({ rejected: process.jobRequestsRejected, succeeded: process.jobRequestsSucceeded }, inputs.previous);
    if (state.rejecting) problems.push(`GitLab rejects this runner's job requests as unauthorized (${state.rejected} rejected, token revoked or runner deleted)`);
    else notes.push("process answers");
  }

  const unjudged = (reason: string) => {
    if (inputs.strict) problems.push(`GitLab unreachable or misconfigured (--strict): ${reason}`);
    else warnings.push(`GitLab unreachable or misconfigured, not judged: ${reason}`);
  };

  const { gitlab } = inputs;
  switch (gitlab.kind) {
    case "not-asked":
      // The runner's own request_job counters are GitLab's answers: 403 above means the token is gone.
      if (process.kind !== "up" || state?.rejecting) break;
      if (process.jobRequestsSucceeded > 0) notes.push(`GitLab accepts its job requests (${process.jobRequestsSucceeded} answered, from the runner's metrics)`);
      else if (insideGrace) notes.push(`no job request answered yet, inside start-up grace${graceNote}`);
      else unjudged(`the runner's metrics show no job request answered by GitLab${graceNote}`);
      break;
    case "not-found":
      problems.push(`runner ${gitlab.runnerId} no longer exists in GitLab (404 from its API)`);
      break;
    case "token-rejected":
      problems.push(
        gitlab.status === 422
          ? "GitLab reports this runner manager as orphaned (422 on verify)"
          : `GitLab rejects the runner's token (${gitlab.status} on verify): runner deleted or token revoked`,
      );
      break;
    case "token-valid":
      notes.push(`runner ${gitlab.runnerId} token valid`);
      break;
    case "unjudged":
      unjudged(gitlab.reason);
      break;
    case "runner": {
      const { runner } = gitlab;
      const paused = isPaused(runner);
      const contact = contactState(runner.status, runner.contacted_at, inputs.nowMs);
      if (paused) problems.push(`runner ${runner.id} is paused in GitLab`);
      if (SILENT_STATES.has(contact)) {
        if (insideGrace) notes.push(`runner ${runner.id} ${describeContact(contact)}, inside start-up grace${graceNote}`);
        else problems.push(`runner ${runner.id} ${describeContact(contact)}${graceNote}`);
      }
      if (!paused && !SILENT_STATES.has(contact)) notes.push(`runner ${runner.id} active (${runner.status})`);
      if (gitlab.systemId !== undefined && Array.isArray(gitlab.managers)) {
        const manager = gitlab.managers.find((m) => m.system_id === gitlab.systemId);
        const managerContact = manager ? contactState(manager.status, manager.contacted_at, inputs.nowMs) : undefined;
        if (!manager) {
          if (insideGrace) notes.push(`no manager ${gitlab.systemId} yet, inside start-up grace${graceNote}`);
          else problems.push(`runner ${runner.id} has no manager with system_id ${gitlab.systemId}: this container never contacted GitLab${graceNote}`);
        } else if (managerContact !== undefined && SILENT_STATES.has(managerContact)) {
          if (insideGrace) notes.push(`manager ${manager.system_id} ${describeContact(managerContact)}, inside start-up grace`);
          else problems.push(`manager ${manager.system_id} of runner ${runner.id} ${describeContact(managerContact)}${graceNote}`);
        } else {
          notes.push(`manager ${manager.system_id} ${manager.status}`);
        }
      }
      break;
    }
  }

  const warningText = warnings.length > 0 ? `; warning: ${warnings.join("; ")}` : "";
  if (problems.length > 0) {
    return { healthy: false, reason: `unhealthy: ${problems.join("; ")}`, warnings, ...(state ? { state } : {}) };
  }
  return { healthy: true, reason: `healthy: ${notes.join(", ")}${warningText}`, warnings, ...(state ? { state } : {}) };
}
