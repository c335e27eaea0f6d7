/**
 * What followDeployment knows between its reads, and the pure steps that move it
 * on: reading events, judging a poll, ending at the deadline. The driver in
 * follow-deployment.ts does the I/O (polls, queue reads, waits) and feeds the
 * answers in; every decision about success, failure and fallback is made here,
 * from plain values, so it can be read (and tested) without a clock or a network.
 */
import type { AppStatus, Deployment, MarathonEvent } from "../marathon/types.js";
import { FAILED_TASK_STATES } from "../core/task-states.js";
import { countTasks, isVerified } from "./verify-app.js";

/** Poll interval while the event stream is attached (events carry the news; polls check state). */
const POLL_WHILE_STREAMING_MS = 2_000;
/** Poll interval while the stream has a gap: polls are the only news. */
export const POLL_WITHOUT_STREAM_MS = 500;
/** Poll interval once deployment_success arrived, until the app verifies. */
const POLL_AFTER_SUCCESS_MS = 50;
/** How long (cluster time) a vanished deployment waits for its late `deployment_success` once the stream has had a gap. */
const VANISHED_GRACE_MS = 2_000;
/**
 * How long (real time) a vanished deployment waits for its `deployment_success` while
 * the stream is open: the poll and the event travel on different connections, so the
 * poll can see the deployment gone first, but the event is at most a network hop behind.
 */
const VANISHED_EVENT_WAIT_MS = 2_000;
/** Polls after deployment_success that may still find the app not verified (the event can overtake task states). */
const SUCCESS_CHECKS = 5;

/** The deployment being followed and when to give up early. */
export interface FollowTarget {
  appId: string;
  deploymentId: string;
  /** The version the PUT returned. */
  version: string;
  /** Failures of new tasks (crash, OOM, lost) that end the wait early. */
  maxTaskFailures: number;
  /** Health-check kills of new tasks that end the wait early. */
  maxUnhealthyKills: number;
}

/** Everything the follower has learned so far. Each step returns a new one. */
export interface FollowState {
  /** Events read so far (an index into the watch's list). */
  readonly cursor: number;
  /** Failure lines of new tasks, in order; each task once. */
  readonly failures: readonly string[];
  readonly seenFailures: ReadonlySet<string>;
  /** Of the failures, health-check kills. */
  readonly kills: number;
  /** deployment_success for our id arrived. */
  readonly sawSuccess: boolean;
  /** Marathon planned nothing (the PUT was identical): the app keeps its version. */
  readonly emptyPlan: boolean;
  /** deployment_failed for our id arrived, with this reason. */
  readonly failedReason: string | undefined;
  /** When (cluster clock) the last poll was sent; -Infinity forces the next. */
  readonly lastPoll: number;
  /** When (cluster clock) the deployment was first seen gone. */
  readonly goneSince: number | undefined;
  /** Real time the deployment was first seen gone while the stream was open (waiting for its event). */
  readonly awaitingEventSince: number | undefined;
  /** The app as the last successful poll saw it. */
  readonly lastApp: AppStatus | undefined;
  /** Poll failures in a row (the first is said). */
  readonly pollErrors: number;
  /** Polls since deployment_success that found the app not verified. */
  readonly successChecks: number;
  /** Polls that found new instances waiting (every fourth reads the queue). */
  readonly waitingPolls: number;
  /** The deadline passed and one last look was taken. */
  readonly finalLook: boolean;
  /** The stream lost our deployment's end event: from here on it is a gap like a dropped connection. */
  readonly endEventLost: boolean;
  /** The fallback to polling has been said. */
  readonly notedFallback: boolean;
}

/** A step's result: the new state and the lines to tell the user. */
export interface Stepped {
  state: FollowState;
  notes: string[];
}

/** What the stream looks like to the follower at one moment. */
export interface StreamView {
  /** The stream failed to open or dropped at some point. */
  interrupted: boolean;
  /** Events flow now. */
  open: boolean;
  /** Events arrived that the follower has not read yet. */
  unread: boolean;
  /** Why the stream is (or was) down, when it is known. */
  gapReason?: string | undefined;
}

/** What the driver does after a poll was judged. */
export type PollStep =
  /** Finished; the outcome is complete. */
  | { kind: "success"; app: AppStatus; version: string; verifiedBy: "event" | "state" }
  | { kind: "superseded"; byVersion: string; details: string[] }
  /** Finished as failed; the driver adds the explanation (a queue read) for `app`. */
  | { kind: "failed"; reason: string; app: AppStatus }
  /** Read events and poll again at once. */
  | { kind: "again" }
  /** Wait for the next event, at most `realMs` of real time, then poll again at once. */
  | { kind: "await-event"; realMs: number }
  /** Nothing decided: wait until the next poll is due. */
  | { kind: "wait" };

/** The state before anything is known. */
export function initialFollowState(): FollowState {
  return {
    cursor: 0,
    failures: [],
    seenFailures: new Set(),
    kills: 0,
    sawSuccess: false,
    emptyPlan: false,
    failedReason: undefined,
    lastPoll: -Infinity,
    goneSince: undefined,
    awaitingEventSince: undefined,
    lastApp: undefined,
    pollErrors: 0,
    successChecks: 0,
    waitingPolls: 0,
    finalLook: false,
    endEventLost: false,
    notedFallback: false,
  };
}

/** Whether events can no longer be trusted to bring the end: the stream had a gap, is down, or lost our end event. */
export function hasStreamGap(state: FollowState, stream: Pick<StreamView, "interrupted" | "open">): boolean {
  return stream.interrupted || !stream.open || state.endEventLost;
}

/** Says once, when it first happens, that events can no longer be trusted and what mdeploy does instead. */
export function noteFallback(state: FollowState, why: string | undefined): Stepped {
  if (state.notedFallback) return { state, notes: [] };
  return {
    state: { ...state, notedFallback: true },
    notes: [`${why ?? "the event stream is not available"}; following by polling every ${POLL_WITHOUT_STREAM_MS} ms and verifying from the app's state`],
  };
}

/** The fallback note's reason for a stream gap (undefined: "the event stream is not available"). */
export function streamGapNote(gapReason: string | undefined): string | undefined {
  return gapReason ? `event stream: ${gapReason}` : undefined;
}

/** Why the new version counts as crash-looping, or undefined while it does not. */
export function crashLoopReason(state: FollowState, target: FollowTarget): string | undefined {
  if (state.kills >= target.maxUnhealthyKills) return `the new version never became healthy (${state.kills} tasks killed by failing health checks)`;
  if (state.failures.length - state.kills >= target.maxTaskFailures) return `the new version keeps failing (${state.failures.length} task failures)`;
  return undefined;
}

function noteFailure(state: FollowState, key: string, line: string, kill: boolean): Stepped {
  if (state.seenFailures.has(key)) return { state, notes: [] };
  return {
    state: { ...state, failures: [...state.failures, line], seenFailures: new Set([...state.seenFailures, key]), kills: state.kills + (kill ? 1 : 0) },
    notes: [line],
  };
}

/** Reads the events not read yet, stopping at the crash-loop threshold (a crash loop can deliver dozens at once). */
export function readEvents(state: FollowState, events: readonly MarathonEvent[], target: FollowTarget): Stepped {
  let current = state;
  const notes: string[] = [];
  while (current.cursor < events.length && crashLoopReason(current, target) === undefined) {
    const event = events[current.cursor] as MarathonEvent;
    const read = readEvent({ ...current, cursor: current.cursor + 1 }, event, target);
    current = read.state;
    notes.push(...read.notes);
  }
  return { state: current, notes };
}

function readEvent(state: FollowState, event: MarathonEvent, target: FollowTarget): Stepped {
  const { deploymentId, version } = target;
  switch (event.eventType) {
    case "deployment_success":
      if (event.id !== deploymentId) break;
      return { state: { ...state, sawSuccess: true, emptyPlan: event.plan.steps.length === 0 }, notes: [] };
    case "deployment_failed":
      if (event.id !== deploymentId) break;
      return { state: { ...state, failedReason: event.reason || "Marathon reported the deployment failed" }, notes: [] };
    case "status_update_event":
      if (event.version !== version || !FAILED_TASK_STATES.has(event.taskStatus)) break;
      return noteFailure(state, event.taskId, `task ${event.taskId} on ${String(event.host)}: ${event.taskStatus}${event.message ? ` (${event.message})` : ""}`, false);
    case "unhealthy_instance_kill_event":
      if (event.version !== version) break;
      return noteFailure(state, event.taskId, `task ${event.taskId} on ${String(event.host)} killed as unhealthy${event.reason ? `: ${event.reason}` : ""}`, true);
    default:
      break;
  }
  return { state, notes: [] };
}

/** How long after the last poll the next is due. */
function pollInterval(state: FollowState, gap: boolean): number {
  return gap ? POLL_WITHOUT_STREAM_MS : POLL_WHILE_STREAMING_MS;
}

/** Whether to poll now: an end event needs checking against the state, or the interval has passed. */
export function isPollDue(state: FollowState, now: number, gap: boolean): boolean {
  return state.sawSuccess || state.failedReason !== undefined || now - state.lastPoll >= pollInterval(state, gap);
}

/** How long to wait before the next poll (at most until the deadline). */
export function waitBeforePoll(state: FollowState, now: number, gap: boolean, deadline: number): number {
  const pollIn = state.sawSuccess ? POLL_AFTER_SUCCESS_MS : pollInterval(state, gap) - (now - state.lastPoll);
  return Math.max(0, Math.min(deadline - now, pollIn));
}

/** A poll failed in a way following rides out: said the first time in a row. */
export function pollFailed(state: FollowState, message: string): Stepped {
  return { state: { ...state, pollErrors: state.pollErrors + 1 }, notes: state.pollErrors === 0 ? [`cannot read the app from Marathon (${message}); still following`] : [] };
}

/** Whether this poll should also read the queue to say why new instances wait (every fourth such poll: the read is extra traffic). */
export function pollWantsQueue(state: FollowState, poll: { app: AppStatus; deployments: readonly Deployment[] }, target: FollowTarget): { state: FollowState; readQueue: boolean } {
  const ours = poll.deployments.some((d) => d.id === target.deploymentId);
  const counts = countTasks(poll.app, target.version);
  if (!ours || counts.runningNew >= counts.instances) return { state, readQueue: false };
  const waitingPolls = state.waitingPolls + 1;
  return { state: { ...state, waitingPolls }, readQueue: waitingPolls % 4 === 1 };
}

/** The moment a poll was judged: both clocks, the stream, and the deadline. */
export interface PollMoment {
  now: number;
  realNow: number;
  deadline: number;
  stream: StreamView;
}

/**
 * Judges one poll of the app and /v2/deployments. Success needs deployment_success
 * and a verified app, or (after a gap that could have hidden the event) a verified
 * app alone; a vanished deployment on an open stream waits a bounded real time for
 * its end event before treating the silence as a gap.
 */
export function judgePoll(before: FollowState, poll: { app: AppStatus; deployments: readonly Deployment[] }, target: FollowTarget, moment: PollMoment): Stepped & { step: PollStep } {
  const { app } = poll;
  const { version, deploymentId } = target;
  const { now, realNow } = moment;
  let state: FollowState = { ...before, lastApp: app, pollErrors: 0 };
  const notes: string[] = [];
  const done = (step: PollStep) => ({ state, notes, step });
  if (moment.stream.interrupted) {
    // The stream may have dropped while this poll was out; say so before the verdict leans on the state alone.
    const fallback = noteFallback(state, streamGapNote(moment.stream.gapReason));
    state = fallback.state;
    notes.push(...fallback.notes);
  }

  const failure = app.lastTaskFailure;
  if (failure && failure.version === version) {
    // Marathon records a health-check kill as TASK_KILLED; anything else is the task's own failure.
    const noted = noteFailure(state, failure.taskId, `task ${failure.taskId} on ${failure.host}: ${failure.state}${failure.message ? ` (${failure.message})` : ""}`, failure.state === "TASK_KILLED");
    state = noted.state;
    notes.push(...noted.notes);
  }

  if (app.version > version) return done({ kind: "superseded", byVersion: app.version, details: [`another deployment changed the app to version ${app.version}`] });
  if (state.failedReason !== undefined) return done({ kind: "failed", reason: state.failedReason, app });
  const verified = isVerified(app, version);
  const ours = poll.deployments.some((d) => d.id === deploymentId);

  if (state.sawSuccess) {
    if (verified) return done({ kind: "success", app, version, verifiedBy: "event" });
    if (state.emptyPlan && app.version <= version && isVerified(app, app.version)) return done({ kind: "success", app, version: app.version, verifiedBy: "event" });
    state = { ...state, successChecks: state.successChecks + 1 };
    if (state.successChecks >= SUCCESS_CHECKS) return done({ kind: "failed", reason: "Marathon reported success but the app does not verify", app });
    return done({ kind: "wait" });
  }
  if (ours) {
    state = { ...state, goneSince: undefined, awaitingEventSince: undefined };
    return done({ kind: "wait" });
  }

  const goneSince = state.goneSince ?? now;
  state = { ...state, goneSince };
  if (hasStreamGap(state, moment.stream)) {
    // A gap may have swallowed the event: the app's state is the only witness left.
    const graceOver = now - goneSince >= VANISHED_GRACE_MS;
    if (verified && (moment.stream.interrupted || state.endEventLost || state.finalLook || graceOver)) return done({ kind: "success", app, version, verifiedBy: "state" });
    if (!verified && graceOver) return done({ kind: "failed", reason: "the deployment ended without deployment_success (cancelled or replaced)", app });
    return done({ kind: "wait" });
  }
  // The stream is attached: the end event (success, or failed for a cancel) is in flight.
  const awaitingEventSince = state.awaitingEventSince ?? realNow;
  state = { ...state, awaitingEventSince };
  if (realNow - awaitingEventSince >= VANISHED_EVENT_WAIT_MS) {
    // Marathon always sends one of them; an open stream that delivers neither dropped it.
    const fallback = noteFallback(
      { ...state, endEventLost: true, lastPoll: -Infinity },
      `deployment ${deploymentId} ended but its deployment_success or deployment_failed did not arrive on the open event stream within ${VANISHED_EVENT_WAIT_MS} ms (a proxy dropping events?)`,
    );
    state = fallback.state;
    notes.push(...fallback.notes);
    return done({ kind: "again" });
  }
  // Events that came while this poll was out are read first; waiting for the next one could miss them.
  if (moment.stream.unread) return done({ kind: "again" });
  if (now < moment.deadline) {
    state = { ...state, lastPoll: -Infinity };
    return done({ kind: "await-event", realMs: VANISHED_EVENT_WAIT_MS - (realNow - awaitingEventSince) });
  }
  return done({ kind: "wait" });
}

/** At the deadline: one more look first (the end may have come while the loop waited for an answer), then give up. */
export function atDeadline(state: FollowState): { state: FollowState; giveUp: boolean } {
  if (state.finalLook) return { state, giveUp: true };
  return { state: { ...state, finalLook: true, lastPoll: -Infinity }, giveUp: false };
}
