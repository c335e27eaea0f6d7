/**
 * Follows one Marathon deployment to a verified end. Success needs all three:
 * Marathon's `deployment_success` for this deployment id, the app at the PUT's
 * version, and healthy+ready tasks of it equal to `instances`. A deployment
 * that merely vanishes from /v2/deployments (cancelled and superseded ones do
 * too) is success only if the event stream had a gap that could have hidden
 * the event and the app's state verifies. While the stream stays open, a
 * vanished deployment's end event (`deployment_success`, or `deployment_failed`
 * for a cancel) is on its way: mdeploy waits for it a bounded time in real time,
 * because travel over the network takes real time whatever the cluster's clock
 * (on the simulator's fast virtual clock, seconds of cluster time pass in
 * milliseconds). When neither arrives, the stream lost it (a proxy dropping
 * events): silence is a gap, not a verdict, and the app's state decides.
 *
 * Fails fast on a crash loop (tasks of the new version failing, OOM-killed or
 * killed as unhealthy) instead of waiting out the timeout.
 */
import type { Clock } from "../core/ports/clock.js";
import { FAILED_TASK_STATES } from "../core/task-states.js";
import { systemClock } from "../host/system-clock.js";
import { UnreachableError } from "../errors.js";
import { MarathonApiError, MarathonAuthError, UnexpectedResponseError, type MarathonClient } from "../marathon/client.js";
import type { AppStatus, Deployment, MarathonEvent } from "../marathon/types.js";
import type { EventWatch } from "./event-watch.js";
import { explainLastFailure, explainQueue } from "./explain-stall.js";
import { countTasks, isVerified, type AppCounts } from "./verify-app.js";

export type FollowMarathon = Pick<MarathonClient, "getApp" | "getDeployments" | "getQueue">;

export interface FollowInput {
  marathon: FollowMarathon;
  clock: Clock;
  watch: EventWatch;
  appId: string;
  deploymentId: string;
  /** The version the PUT returned. */
  version: string;
  /** Absolute deadline on `clock`. */
  deadline: number;
  /** Failures of new tasks (crash, OOM, lost) that end the wait early (default 3). */
  maxTaskFailures?: number;
  /** Health-check kills of new tasks that end the wait early (default 2: a task that never turns healthy is killed after grace + failed checks). */
  maxUnhealthyKills?: number;
  /** Called with progress after each poll. */
  onProgress?: (progress: FollowProgress) => void;
  /** Called for notable moments (a task failure, the stream dropping and the fallback taken). */
  onNote?: (line: string) => void;
  /** Bounds the wait for an event already in flight (default: the wall clock; tests pass their own). */
  realClock?: Clock;
  /**
   * Ends the follow at once (the command's time is up, or a signal came): in-flight
   * reads are cancelled and the outcome is "timeout" with what is known so far.
   */
  signal?: AbortSignal;
}

export interface FollowProgress {
  counts: AppCounts;
  step?: { current: number; total: number; actions: string[] };
  /** Why it waits, when it does (queue reasons). */
  waiting: string[];
}

export type FollowOutcome =
  /** `version`: what the app is at now (an identical PUT leaves it at the earlier version). */
  | { kind: "success"; app: AppStatus; version: string; verifiedBy: "event" | "state" }
  | { kind: "failed"; reason: string; details: string[] }
  | { kind: "timeout"; details: string[] }
  | { kind: "superseded"; byVersion: string; details: string[] };

const POLL_WHILE_STREAMING_MS = 2_000;
const POLL_WITHOUT_STREAM_MS = 500;
/** How long (cluster time) a vanished deployment waits for its late `deployment_success` once the stream has had a gap. */
const VANISHED_GRACE_MS = 2_000;
/**
 * How long (real time) a vanished deployment waits for its `deployment_success` while
 * the stream is open: the poll and the event travel on different connections, so the
 * poll can see the deployment gone first, but the event is at most a network hop behind.
 */
const VANISHED_EVENT_WAIT_MS = 2_000;

/** Follows until success, failure, supersession or the deadline. Throws only what polling cannot survive (auth). */
export async function followDeployment(input: FollowInput): Promise<FollowOutcome> {
  const { marathon, clock, watch, appId, deploymentId, version } = input;
  const maxFailures = input.maxTaskFailures ?? 3;
  const maxKills = input.maxUnhealthyKills ?? 2;
  let kills = 0;
  let cursor = 0;
  let sawSuccess = false;
  /** Marathon planned nothing (the PUT was identical): the app keeps its version. */
  let emptyPlan = false;
  let failedReason: string | undefined;
  const failures: string[] = [];
  const seenFailures = new Set<string>();
  let lastPoll = -Infinity;
  let goneSince: number | undefined;
  /** Real time the deployment was first seen gone while the stream was open (waiting for its event). */
  let awaitingEventSince: number | undefined;
  const realClock = input.realClock ?? systemClock;
  let lastApp: AppStatus | undefined;
  let pollErrors = 0;
  let successChecks = 0;
  let waitingPolls = 0;
  let finalLook = false;

  /** The stream lost our deployment's end event: from here on it is a gap like a dropped connection. */
  let endEventLost = false;
  let notedFallback = false;
  /** Says once, when it first happens, that events can no longer be trusted and what mdeploy does instead. */
  const noteFallback = (why: string | undefined) => {
    if (notedFallback) return;
    notedFallback = true;
    input.onNote?.(`${why ?? "the event stream is not available"}; following by polling every ${POLL_WITHOUT_STREAM_MS} ms and verifying from the app's state`);
  };
  const streamGap = () => watch.interrupted || !watch.open || endEventLost;

  const noteFailure = (key: string, line: string) => {
    if (seenFailures.has(key)) return;
    seenFailures.add(key);
    failures.push(line);
    input.onNote?.(line);
  };

  const consume = (event: MarathonEvent) => {
    switch (event.eventType) {
      case "deployment_success":
        if (event.id === deploymentId) {
          sawSuccess = true;
          emptyPlan = event.plan.steps.length === 0;
        }
        break;
      case "deployment_failed":
        if (event.id === deploymentId) failedReason = event.reason || "Marathon reported the deployment failed";
        break;
      case "status_update_event":
        if (event.version === version && FAILED_TASK_STATES.has(event.taskStatus)) {
          noteFailure(event.taskId, `task ${event.taskId} on ${String(event.host)}: ${event.taskStatus}${event.message ? ` (${event.message})` : ""}`);
        }
        break;
      case "unhealthy_instance_kill_event":
        if (event.version === version && !seenFailures.has(event.taskId)) {
          kills++;
          noteFailure(event.taskId, `task ${event.taskId} on ${String(event.host)} killed as unhealthy${event.reason ? `: ${event.reason}` : ""}`);
        }
        break;
      default:
        break;
    }
  };

  const explain = async (app: AppStatus | undefined): Promise<string[]> => {
    const lines: string[] = [];
    if (app) {
      lines.push(describeCounts(app, version));
    }
    try {
      lines.push(...explainQueue(await marathon.getQueue(), appId));
    } catch (error) {
      // The explanation is a courtesy; the outcome stands without it when Marathon cannot answer now.
      if (!isTransientPollFailure(error)) throw error;
    }
    lines.push(...explainLastFailure(app, version));
    lines.push(...failures.slice(-3));
    return lines;
  };

  const stopped = (): FollowOutcome => ({ kind: "timeout", details: lastApp ? [describeCounts(lastApp, version)] : [] });
  const pause = async (ms: number): Promise<void> => {
    const signal = input.signal;
    if (!signal) return watch.wait(ms);
    let onAbort = (): void => undefined;
    const aborted = new Promise<void>((resolve) => {
      onAbort = resolve;
      signal.addEventListener("abort", onAbort, { once: true });
    });
    await Promise.race([watch.wait(ms), aborted]);
    signal.removeEventListener("abort", onAbort);
  };

  for (let iteration = 0; ; iteration++) {
    if (input.signal?.aborted) return stopped();
    if (watch.failure) throw watch.failure;
    if (watch.interrupted) noteFallback(watch.gapReason ? `event stream: ${watch.gapReason}` : undefined);
    // Stop reading at the threshold: a crash loop can deliver dozens of failures at once.
    while (cursor < watch.events.length && failures.length - kills < maxFailures && kills < maxKills) consume(watch.events[cursor++] as MarathonEvent);

    if (failures.length - kills >= maxFailures || kills >= maxKills) {
      const reason = kills >= maxKills ? `the new version never became healthy (${kills} tasks killed by failing health checks)` : `the new version keeps failing (${failures.length} task failures)`;
      return { kind: "failed", reason, details: await explain(lastApp) };
    }

    const now = clock.now();
    const mustPoll = sawSuccess || failedReason !== undefined || now - lastPoll >= (streamGap() ? POLL_WITHOUT_STREAM_MS : POLL_WHILE_STREAMING_MS);
    if (mustPoll) {
      lastPoll = now;
      let app: AppStatus;
      let deployments: Deployment[];
      try {
        const signal = input.signal;
        [app, deployments] = await Promise.all([
          marathon.getApp(appId, { embed: ["app.tasks", "app.readiness", "app.lastTaskFailure", "app.deployments"], ...(signal ? { signal } : {}) }),
          marathon.getDeployments(signal ? { signal } : {}),
        ]);
        pollErrors = 0;
      } catch (error) {
        if (input.signal?.aborted) return stopped();
        if (isAppGone(error)) return { kind: "failed", reason: `${appId} was deleted while its deployment ran`, details: failures.slice(-3) };
        if (!isTransientPollFailure(error)) throw error;
        // Marathon 5xx bursts and leader changes: the client already retried; keep following until the deadline.
        if (pollErrors++ === 0) input.onNote?.(`cannot read the app from Marathon (${(error as Error).message}); still following`);
        if (clock.now() >= input.deadline) return { kind: "timeout", details: await explain(lastApp) };
        await pause(POLL_WITHOUT_STREAM_MS);
        continue;
      }
      lastApp = app;
      const ours = deployments.find((d) => d.id === deploymentId);
      const counts = countTasks(app, version);
      // While new instances wait for offers, say why every few polls (the queue read is extra traffic).
      let waiting: string[] = [];
      if (ours && counts.runningNew < counts.instances && ++waitingPolls % 4 === 1) {
        waiting = await marathon.getQueue().then(
          (queue) => explainQueue(queue, appId),
          (error: unknown) => {
            if (isTransientPollFailure(error)) return [];
            throw error;
          },
        );
      }
      input.onProgress?.({
        counts,
        ...(ours ? { step: { current: ours.currentStep, total: ours.totalSteps, actions: ours.currentActions.map((a) => a.action) } } : {}),
        waiting,
      });
      const failure = app.lastTaskFailure;
      if (failure && failure.version === version && !seenFailures.has(failure.taskId)) {
        // Marathon records a health-check kill as TASK_KILLED; anything else is the task's own failure.
        if (failure.state === "TASK_KILLED") kills++;
        noteFailure(failure.taskId, `task ${failure.taskId} on ${failure.host}: ${failure.state}${failure.message ? ` (${failure.message})` : ""}`);
      }

      if (app.version > version) {
        return { kind: "superseded", byVersion: app.version, details: [`another deployment changed the app to version ${app.version}`] };
      }
      if (failedReason !== undefined) {
        return { kind: "failed", reason: failedReason, details: await explain(app) };
      }
      const verified = isVerified(app, version);
      if (sawSuccess) {
        if (verified) return { kind: "success", app, version, verifiedBy: "event" };
        if (emptyPlan && app.version <= version && isVerified(app, app.version)) return { kind: "success", app, version: app.version, verifiedBy: "event" };
        // The event can overtake the task states by a moment; look a few more times.
        if (++successChecks >= 5) {
          return { kind: "failed", reason: "Marathon reported success but the app does not verify", details: await explain(app) };
        }
      } else if (!ours) {
        goneSince ??= clock.now();
        const ended = { kind: "failed", reason: "the deployment ended without deployment_success (cancelled or replaced)" } as const;
        if (streamGap()) {
          // A gap may have swallowed the event: the app's state is the only witness left.
          if (verified && (watch.interrupted || endEventLost || finalLook || clock.now() - goneSince >= VANISHED_GRACE_MS)) return { kind: "success", app, version, verifiedBy: "state" };
          if (!verified && clock.now() - goneSince >= VANISHED_GRACE_MS) return { ...ended, details: await explain(app) };
        } else {
          // The stream is attached: the end event (success, or failed for a cancel) is in flight.
          awaitingEventSince ??= realClock.now();
          if (realClock.now() - awaitingEventSince >= VANISHED_EVENT_WAIT_MS) {
            // Marathon always sends one of them; an open stream that delivers neither dropped it.
            endEventLost = true;
            noteFallback(`deployment ${deploymentId} ended but its deployment_success or deployment_failed did not arrive on the open event stream within ${VANISHED_EVENT_WAIT_MS} ms (a proxy dropping events?)`);
            lastPoll = -Infinity;
            continue;
          }
          // Events that came while this poll was out are read first; waiting for the next one could miss them.
          if (cursor < watch.events.length) continue;
          if (clock.now() < input.deadline) {
            await waitForEventInRealTime(watch, realClock, VANISHED_EVENT_WAIT_MS - (realClock.now() - awaitingEventSince), input.deadline - clock.now());
            lastPoll = -Infinity;
            continue;
          }
        }
      } else {
        goneSince = undefined;
        awaitingEventSince = undefined;
      }
    }
    if (failures.length - kills >= maxFailures || kills >= maxKills) continue;
    const remaining = input.deadline - clock.now();
    if (remaining <= 0) {
      // Look once more before giving up: the end may have come while this loop waited for an answer.
      if (!finalLook) {
        finalLook = true;
        lastPoll = -Infinity;
        continue;
      }
      return { kind: "timeout", details: await explain(lastApp) };
    }
    const pollIn = sawSuccess ? 50 : (streamGap() ? POLL_WITHOUT_STREAM_MS : POLL_WHILE_STREAMING_MS) - (clock.now() - lastPoll);
    await pause(Math.max(0, Math.min(remaining, pollIn)));
    if (iteration > 1_000_000) return { kind: "timeout", details: ["gave up after too many polls"] };
  }
}

function describeCounts(app: AppStatus, version: string): string {
  const c = countTasks(app, version);
  return `${c.healthyNew}/${c.instances} healthy instances of version ${version}; ${c.runningOld} of the previous version still running`;
}

/**
 * Waits for the next event, at most `realMs` of real time (and `clusterMs` of the
 * cluster's clock, the deployment's deadline). The loser of the race is cancelled
 * so no timer outlives the wait.
 */
async function waitForEventInRealTime(watch: EventWatch, realClock: Clock, realMs: number, clusterMs: number): Promise<void> {
  const done = new AbortController();
  const real = realClock.sleep(Math.max(0, realMs), done.signal).catch(() => undefined);
  await Promise.race([watch.wait(Math.max(0, clusterMs)), real]);
  done.abort();
}

/**
 * The poll failures following rides out until the deadline: no answer (refused, reset,
 * timeout; the client already retried), Marathon busy or between leaders (5xx, 408, 429),
 * and an answer that is not Marathon's (a proxy's error page). Wrong credentials, other
 * refusals and bugs do not heal by asking again: they surface as they are.
 */
function isTransientPollFailure(error: unknown): boolean {
  if (error instanceof MarathonAuthError) return false;
  if (error instanceof MarathonApiError) return error.status >= 500 || error.status === 408 || error.status === 429;
  return error instanceof UnreachableError || error instanceof UnexpectedResponseError;
}

/** Marathon answered 404 for the app: someone deleted it. */
function isAppGone(error: unknown): boolean {
  return error instanceof MarathonApiError && error.status === 404;
}
