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
import { systemClock } from "../host/system-clock.js";
import { UnreachableError } from "../errors.js";
import { MarathonApiError, MarathonAuthError, UnexpectedResponseError, type MarathonClient } from "../marathon/client.js";
import type { AppStatus, Deployment } from "../marathon/types.js";
import type { EventWatch } from "./event-watch.js";
import { explainLastFailure, explainQueue } from "./explain-stall.js";
import {
  atDeadline,
  crashLoopReason,
  hasStreamGap,
  initialFollowState,
  isPollDue,
  judgePoll,
  noteFallback,
  pollFailed,
  pollWantsQueue,
  POLL_WITHOUT_STREAM_MS,
  readEvents,
  streamGapNote,
  waitBeforePoll,
  type FollowTarget,
  type Stepped,
} from "./follow-state.js";
import { countTasks, type AppCounts } from "./verify-app.js";

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

/**
 * Follows until success, failure, supersession or the deadline. Throws only what
 * polling cannot survive (auth). A thin driver: it reads (events, polls, the queue)
 * and waits; follow-state.ts decides what each answer means.
 */
export async function followDeployment(input: FollowInput): Promise<FollowOutcome> {
  const { marathon, clock, watch, appId, version } = input;
  const realClock = input.realClock ?? systemClock;
  const target: FollowTarget = { appId, deploymentId: input.deploymentId, version, maxTaskFailures: input.maxTaskFailures ?? 3, maxUnhealthyKills: input.maxUnhealthyKills ?? 2 };
  const signalOption = input.signal ? { signal: input.signal } : {};
  let state = initialFollowState();
  const take = (stepped: Stepped): void => {
    state = stepped.state;
    for (const line of stepped.notes) input.onNote?.(line);
  };
  const gap = () => hasStreamGap(state, watch);

  const explain = async (app: AppStatus | undefined): Promise<string[]> => {
    const lines: string[] = [];
    if (app) lines.push(describeCounts(app, version));
    try {
      lines.push(...explainQueue(await marathon.getQueue(), appId));
    } catch (error) {
      // The explanation is a courtesy; the outcome stands without it when Marathon cannot answer now.
      if (!isTransientPollFailure(error)) throw error;
    }
    lines.push(...explainLastFailure(app, version));
    lines.push(...state.failures.slice(-3));
    return lines;
  };
  const stopped = (): FollowOutcome => ({ kind: "timeout", details: state.lastApp ? [describeCounts(state.lastApp, version)] : [] });
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
  /** While new instances wait for offers, why (queue reasons); a failed read is no reason. */
  const waitingReasons = (): Promise<string[]> =>
    marathon.getQueue().then(
      (queue) => explainQueue(queue, appId),
      (error: unknown) => {
        if (isTransientPollFailure(error)) return [];
        throw error;
      },
    );

  for (let iteration = 0; ; iteration++) {
    if (input.signal?.aborted) return stopped();
    if (watch.failure) throw watch.failure;
    if (watch.interrupted) take(noteFallback(state, streamGapNote(watch.gapReason)));
    take(readEvents(state, watch.events, target));
    const crashLoop = crashLoopReason(state, target);
    if (crashLoop) return { kind: "failed", reason: crashLoop, details: await explain(state.lastApp) };

    const now = clock.now();
    if (isPollDue(state, now, gap())) {
      state = { ...state, lastPoll: now };
      let poll: { app: AppStatus; deployments: Deployment[] };
      try {
        const [app, deployments] = await Promise.all([
          marathon.getApp(appId, { embed: ["app.tasks", "app.readiness", "app.lastTaskFailure", "app.deployments"], ...signalOption }),
          marathon.getDeployments(signalOption),
        ]);
        poll = { app, deployments };
      } catch (error) {
        if (input.signal?.aborted) return stopped();
        if (isAppGone(error)) return { kind: "failed", reason: `${appId} was deleted while its deployment ran`, details: state.failures.slice(-3) };
        // Marathon 5xx bursts and leader changes: the client already retried; keep following until the deadline.
        if (!isTransientPollFailure(error)) throw error;
        take(pollFailed(state, (error as Error).message));
        if (clock.now() >= input.deadline) return { kind: "timeout", details: await explain(state.lastApp) };
        await pause(POLL_WITHOUT_STREAM_MS);
        continue;
      }
      const queue = pollWantsQueue(state, poll, target);
      state = queue.state;
      const waiting = queue.readQueue ? await waitingReasons() : [];
      const ours = poll.deployments.find((d) => d.id === target.deploymentId);
      input.onProgress?.({
        counts: countTasks(poll.app, version),
        ...(ours ? { step: { current: ours.currentStep, total: ours.totalSteps, actions: ours.currentActions.map((a) => a.action) } } : {}),
        waiting,
      });
      const judged = judgePoll(state, poll, target, {
        now: clock.now(),
        realNow: realClock.now(),
        deadline: input.deadline,
        stream: { interrupted: watch.interrupted, open: watch.open, unread: state.cursor < watch.events.length, gapReason: watch.gapReason },
      });
      take(judged);
      const step = judged.step;
      if (step.kind === "success") return { kind: "success", app: step.app, version: step.version, verifiedBy: step.verifiedBy };
      if (step.kind === "superseded") return { kind: "superseded", byVersion: step.byVersion, details: step.details };
      if (step.kind === "failed") return { kind: "failed", reason: step.reason, details: await explain(step.app) };
      if (step.kind === "again") continue;
      if (step.kind === "await-event") {
        await waitForEventInRealTime(watch, realClock, step.realMs, input.deadline - clock.now());
        continue;
      }
    }
    if (crashLoopReason(state, target)) continue;
    if (input.deadline - clock.now() <= 0) {
      const last = atDeadline(state);
      state = last.state;
      if (last.giveUp) return { kind: "timeout", details: await explain(state.lastApp) };
      continue;
    }
    await pause(waitBeforePoll(state, clock.now(), gap(), input.deadline));
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
