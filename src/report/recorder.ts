/**
 * Collects what a deploy or rollback observed, for the report. It sits beside
 * the engine instead of inside it: it wraps the Marathon client the engine is
 * given (every app read, PUT, queue read and event-stream byte passes through,
 * unchanged) and the Progress port (sections say when the deployment and the
 * rollback start and end), and takes the plan through one callback. So the
 * report shows exactly what mdeploy saw, and the engine does not know a report
 * exists.
 */
import { pipeline, Transform, type Readable } from "node:stream";
import type { Clock } from "../core/ports/clock.js";
import { FAILED_TASK_STATES, STARTING_TASK_STATES, TERMINAL_TASK_STATES } from "../core/task-states.js";
import { explainQueue } from "../deploy/explain-stall.js";
import type { PlannedDeploy } from "../deploy/plan-deploy.js";
import type { Progress } from "../core/ports/progress.js";
import { isHealthyAndReady } from "../deploy/verify-app.js";
import type { MarathonClient } from "../marathon/client.js";
import { createEventChecker } from "../marathon/event-schemas.js";
import { eventFromFrame } from "../marathon/event-stream.js";
import { createSseParser, SseFrameTooLargeError } from "../marathon/sse-parser.js";
import type { AppDefinition, AppStatus, DeploymentFailedEvent, DeploymentInfoEvent, DeploymentResult, DeploymentStepEvent, DeploymentSuccessEvent, MarathonEvent, Task } from "../marathon/types.js";
import { formatDiff } from "../plan/diff-app.js";
import { replayObservations, type InstanceState, type Observation, type PolledInstance } from "./replay-counts.js";
import type { ReportData, ReportEvent, ReportEventKind, ReportPhase, ReportPlan, ReportVerdict, ReportVersion, VersionRole } from "./report-data.js";

/** The Marathon calls the recorder looks at; every other member passes through untouched. */
export type ObservedMarathon = Pick<MarathonClient, "getApp" | "findApp" | "putApp" | "rollbackApp" | "getQueue" | "deleteDeployment" | "deleteApp" | "openEventStream">;

export interface ReportRecorderOptions {
  command: "deploy" | "rollback";
  environment: string;
  appId: string;
  clock: Clock;
  /** GitLab CI's predefined variables (commit, pipeline and job links). */
  env: Record<string, string | undefined>;
}

export interface ReportRecorder {
  /** The same client, observed: pass the result to the engine instead of the original. */
  observeMarathon<T extends Partial<ObservedMarathon>>(marathon: T): T;
  /** The same progress port, observed (section starts and ends become phases). */
  observeProgress(progress: Progress): Progress;
  /** The engine's plan, once it is made (the deploy engine's `onPlanned`). */
  planned(planned: PlannedDeploy): void;
  /** Ends the recording and returns the report's data. */
  finish(verdict: ReportVerdict): ReportData;
}


/** Starts recording; the clock's now is the report's start. */
export function createReportRecorder(options: ReportRecorderOptions): ReportRecorder {
  const { clock } = options;
  const appId = absoluteId(options.appId);
  const startedAt = clock.now();
  const observations: Observation[] = [];
  const events: ReportEvent[] = [];
  const phases: ReportPhase[] = [];
  const images = new Map<string, string>();
  const roles = new Map<string, VersionRole>();
  const versionOrder: string[] = [];
  const withChecks = new Map<string, boolean>();
  const deploymentIds = new Set<string>();
  const launchedByEvent = new Set<string>();
  const endedByEvent = new Set<string>();
  /** Rows saying an instance fails its health check; the cause is in the task's check results, which polls see (added at the end). */
  const healthFailureRows = new Map<ReportEvent, string>();
  const healthCauses = new Map<string, string>();
  let lastPollSignature = "";
  let from: string | undefined;
  let firstRead = true;
  let target: string | undefined;
  let targetPutAt: number | undefined;
  let plan: ReportPlan | undefined;
  let plannedImage: string | undefined;
  let diff: string[] = [];
  let lastQueueText = "";

  const seeVersion = (version: string, role: VersionRole = "other") => {
    if (!roles.has(version)) versionOrder.push(version);
    if (!roles.has(version) || role !== "other") roles.set(version, role);
  };
  const noteDefinition = (version: string, definition: Pick<AppDefinition, "container" | "healthChecks">) => {
    const image = definition.container?.docker?.image;
    if (image && !images.has(version)) images.set(version, image);
    if (!withChecks.has(version)) withChecks.set(version, (definition.healthChecks ?? []).length > 0);
  };
  const addEvent = (t: number, kind: ReportEventKind, text: string, version?: string): ReportEvent => {
    const event: ReportEvent = { t, kind, text, ...(version ? { version } : {}) };
    events.push(event);
    return event;
  };

  const onEvent = (event: MarathonEvent) => {
    const parsed = event.timestamp ? Date.parse(event.timestamp) : Number.NaN;
    const t = Number.isFinite(parsed) ? parsed : clock.now();
    switch (event.eventType) {
      case "status_update_event": {
        if (!isOurs(event.appId)) return;
        const { taskId, taskStatus: status, version } = event;
        const key = instanceKey(taskId);
        const where = `task ${taskId} on ${String(event.host)}`;
        const message = event.message ? ` (${event.message})` : "";
        if (STARTING_TASK_STATES.has(status)) {
          if (!launchedByEvent.has(key)) addEvent(t, "launch", `${where} launched`, version);
          launchedByEvent.add(key);
          observations.push({ type: "state", t, key, version, state: "staged" });
        } else if (status === "TASK_RUNNING") {
          observations.push({ type: "state", t, key, version, state: "running" });
        } else if (status === "TASK_KILLING") {
          observations.push({ type: "state", t, key, version, state: "running", healthy: false });
        } else if (isGoneFromView(status)) {
          if (FAILED_TASK_STATES.has(status) || status === "TASK_UNREACHABLE") addEvent(t, "failure", `${where}: ${status}${message}`, version);
          else addEvent(t, "kill", `${where} ${status === "TASK_KILLED" ? "killed" : "finished"}${message}`, version);
          endedByEvent.add(key);
          observations.push({ type: "state", t, key, version, state: "gone" });
        }
        return;
      }
      case "health_status_changed_event": {
        if (!isOurs(event.appId)) return;
        const key = instanceKey(String(event.instanceId ?? event.taskId));
        const alive = event.alive;
        const row = addEvent(t, "health", `instance ${key} ${alive ? "passes its health check" : "fails its health check"}`, event.version);
        if (!alive) healthFailureRows.set(row, key);
        observations.push({ type: "health", t, key, healthy: alive });
        return;
      }
      case "unhealthy_instance_kill_event":
        if (!isOurs(event.appId)) return;
        addEvent(t, "health", `task ${event.taskId} on ${String(event.host)} killed as unhealthy${event.reason ? `: ${event.reason}` : ""}`, event.version);
        return;
      case "deployment_info":
      case "deployment_step_success":
      case "deployment_step_failure":
      case "deployment_success":
      case "deployment_failed":
        onDeploymentEvent(event, t);
        return;
      default:
        return;
    }
  };

  const onDeploymentEvent = (event: DeploymentInfoEvent | DeploymentStepEvent | DeploymentSuccessEvent | DeploymentFailedEvent, t: number) => {
    const { plan } = event;
    const id = "id" in event ? event.id : plan.id;
    const actsOnUs = plan.steps.some((s) => s.actions.some((a) => isOurs(a.app)));
    if (!actsOnUs && !deploymentIds.has(id)) return;
    const actions = ("currentStep" in event ? (event.currentStep?.actions ?? []) : []).map((a) => a.action).join(", ");
    const name = `deployment ${id}`;
    const text: Record<string, string> = {
      deployment_info: `${name}: step started${actions ? ` (${actions})` : ""}`,
      deployment_step_success: `${name}: step done${actions ? ` (${actions})` : ""}`,
      deployment_step_failure: `${name}: step failed${actions ? ` (${actions})` : ""}`,
      deployment_success: `${name}: deployment_success`,
      deployment_failed: `${name}: deployment_failed${event.eventType === "deployment_failed" && event.reason ? ` (${event.reason})` : ""}`,
    };
    addEvent(t, "deployment", text[event.eventType] ?? name, plan.version);
  };

  /** A poll's answer: the tasks as they were when it was asked. */
  const onAppRead = (app: AppStatus | undefined, askedAt: number) => {
    const answeredAt = clock.now();
    if (firstRead) {
      firstRead = false;
      if (app) {
        from = app.version;
        seeVersion(app.version, "previous");
      }
    }
    if (!app || absoluteId(app.id) !== appId) return;
    noteDefinition(app.version, app);
    if (!Array.isArray(app.tasks)) return;
    const instances: PolledInstance[] = app.tasks.map((task) => {
      const state = stateOf(task);
      const cause = (task.healthCheckResults ?? []).map((r) => r.lastFailureCause).find((c): c is string => typeof c === "string" && c.length > 0);
      if (cause) healthCauses.set(instanceKey(task.id), cause);
      return {
        key: instanceKey(task.id),
        taskId: task.id,
        host: task.host,
        version: task.version,
        state,
        healthy: state === "running" && isHealthyAndReady(task, app),
        launchedDuringRun: task.stagedAt !== null && Date.parse(task.stagedAt) >= startedAt,
      };
    });
    const failure = app.lastTaskFailure;
    if (failure && Date.parse(failure.timestamp) >= startedAt && !endedByEvent.has(instanceKey(failure.taskId))) {
      addEvent(answeredAt, "failure", `task ${failure.taskId} on ${failure.host}: ${failure.state}${failure.message ? ` (${failure.message})` : ""}`, failure.version);
      endedByEvent.add(instanceKey(failure.taskId));
    }
    // Polls repeat the same answer while nothing changes; keep one of each.
    const signature = instances.map((i) => `${i.key}:${i.state}:${i.healthy}`).join(",");
    if (signature === lastPollSignature) return;
    lastPollSignature = signature;
    observations.push({ type: "poll", t: askedAt, answeredAt, instances });
  };

  /** `sentAt`: Marathon may act on a PUT before its answer arrives, so the deployment's stretch starts when it was sent. */
  const onPut = (result: DeploymentResult, definition: Pick<AppDefinition, "container" | "healthChecks"> | undefined, restoring: string | undefined, sentAt: number) => {
    if (result.deploymentId) deploymentIds.add(result.deploymentId);
    const rollingBack = phases.some((p) => p.id === "rollback" && p.end === undefined);
    const isRestore = restoring !== undefined || rollingBack || options.command === "rollback";
    seeVersion(result.version, isRestore ? "restored" : target === undefined ? "target" : "other");
    if (definition) noteDefinition(result.version, definition);
    const restoredImage = restoring ? images.get(restoring) : undefined;
    if (restoredImage && !images.has(result.version)) images.set(result.version, restoredImage);
    const restoredChecks = restoring ? withChecks.get(restoring) : undefined;
    if (restoredChecks !== undefined && !withChecks.has(result.version)) withChecks.set(result.version, restoredChecks);
    if (!isRestore && target === undefined) {
      target = result.version;
      targetPutAt = sentAt;
    } else if (options.command === "rollback") target ??= result.version;
    addEvent(sentAt, isRestore ? "rollback" : "deployment", `${isRestore ? `restoring${restoring ? ` version ${restoring}` : ""}: ` : ""}PUT sent; Marathon answered version ${result.version} (deployment ${result.deploymentId || "none"})`, result.version);
  };

  const observeMarathon = <T extends Partial<ObservedMarathon>>(marathon: T): T => {
    const overrides: Partial<ObservedMarathon> = {};
    const { getApp, findApp, putApp, rollbackApp, getQueue, deleteDeployment, openEventStream } = marathon;
    if (getApp) {
      overrides.getApp = async (id, opts) => {
        const askedAt = clock.now();
        const app = await getApp.call(marathon, id, opts);
        onAppRead(app, askedAt);
        return app;
      };
    }
    if (findApp) {
      overrides.findApp = async (id, opts) => {
        const askedAt = clock.now();
        const app = await findApp.call(marathon, id, opts);
        onAppRead(app, askedAt);
        return app;
      };
    }
    if (putApp) {
      overrides.putApp = async (app, opts) => {
        const sentAt = clock.now();
        const result = await putApp.call(marathon, app, opts);
        onPut(result, app, undefined, sentAt);
        return result;
      };
    }
    if (rollbackApp) {
      overrides.rollbackApp = async (id, version, opts) => {
        const sentAt = clock.now();
        const result = await rollbackApp.call(marathon, id, version, opts);
        onPut(result, undefined, version, sentAt);
        return result;
      };
    }
    if (getQueue) {
      overrides.getQueue = async (opts) => {
        const queue = await getQueue.call(marathon, opts);
        const text = explainQueue(queue, appId).join("; ");
        // Marathon repeats the same reasons every poll; a row per change is enough.
        if (text && text !== lastQueueText) addEvent(clock.now(), "queue", text);
        lastQueueText = text;
        return queue;
      };
    }
    if (deleteDeployment) {
      overrides.deleteDeployment = async (id, opts) => {
        const result = await deleteDeployment.call(marathon, id, opts);
        addEvent(clock.now(), "rollback", `cancelled deployment ${id}`);
        return result;
      };
    }
    if (openEventStream) {
      overrides.openEventStream = async (opts) => {
        const connection = await openEventStream.call(marathon, opts);
        return { ...connection, body: teeEvents(connection.body, onEvent) };
      };
    }
    // The client's other members (close, urls, getAppVersions, ...) are reached through the prototype, untouched.
    return Object.assign(Object.create(marathon) as T, overrides);
  };

  const observeProgress = (progress: Progress): Progress => ({
    start(id, title) {
      const at = clock.now();
      phases.push({ id, title, start: at });
      if (id === "rollback") addEvent(at, "rollback", `rollback started: ${title}`);
      progress.start(id, title);
    },
    line: (text) => progress.line(text),
    update: (text) => progress.update(text),
    end(id) {
      const at = clock.now();
      const phase = phases.findLast((p) => p.id === id && p.end === undefined);
      if (phase) phase.end = at;
      if (id === "rollback") addEvent(at, "rollback", "rollback ended");
      progress.end(id);
    },
    settle: () => progress.settle(),
  });

  const planned = (p: PlannedDeploy) => {
    const { steps, kind, verdict, minHealthy, zeroDowntime, instances: count, strategy, strategySource, reasons, warnings } = p.plan;
    plan = { kind, verdict, minHealthy, zeroDowntime, instances: count, strategy, strategySource, reasons, warnings, steps };
    diff = formatDiff(p.changes);
    if (p.running) noteDefinition(p.running.version, p.running);
    plannedImage = p.target.container?.docker?.image;
  };

  const finish = (verdict: ReportVerdict): ReportData => {
    const replayed = replayObservations(observations, { launchedByEvent, endedByEvent, healthyWhenRunning: (version) => withChecks.get(version) === false });
    for (const version of replayed.versions) seeVersion(version);
    for (const [row, key] of healthFailureRows) {
      const cause = healthCauses.get(key);
      if (cause) row.text = `${row.text}: ${cause}`;
    }
    healthFailureRows.clear();
    const endedAt = Math.max(clock.now(), replayed.samples.at(-1)?.t ?? startedAt);
    for (const phase of phases) phase.end ??= endedAt;
    if (target && plannedImage && !images.has(target)) images.set(target, plannedImage);
    const versionOf = (version: string | undefined): ReportVersion | undefined => {
      if (!version) return undefined;
      const image = images.get(version);
      return { version, role: roles.get(version) ?? "other", ...(image ? { image } : {}) };
    };
    const deployPhase = phases.find((p) => p.id === "deploy");
    const rollbackPhase = phases.find((p) => p.id === "rollback");
    const floorUntil = rollbackPhase?.start ?? deployPhase?.end ?? endedAt;
    const fromVersion = versionOf(from);
    const toVersion = versionOf(target);
    return {
      command: options.command,
      environment: options.environment,
      appId,
      startedAt,
      endedAt,
      ...(fromVersion ? { from: fromVersion } : {}),
      ...(toVersion ? { to: toVersion } : {}),
      versions: versionOrder.map((v) => versionOf(v) as ReportVersion),
      ci: provenanceFrom(options.env),
      verdict,
      ...(plan ? { plan } : {}),
      diff,
      samples: replayed.samples,
      ...(plan && targetPutAt !== undefined ? { floor: { value: plan.minHealthy, from: targetPutAt, until: Math.max(targetPutAt, floorUntil) } } : {}),
      phases,
      events: [...events, ...replayed.rows].map((e, i) => ({ e, i })).sort((a, b) => a.e.t - b.e.t || a.i - b.i).map(({ e }) => e),
    };
  };

  function isOurs(id: unknown): boolean {
    return typeof id === "string" && absoluteId(id) === appId;
  }

  return { observeMarathon, observeProgress, planned, finish };
}

/** Commit, ref, pipeline and job links from GitLab CI's predefined variables, when present. */
function provenanceFrom(env: Record<string, string | undefined>): ReportData["ci"] {
  const commit = env.CI_COMMIT_SHA;
  const project = env.CI_PROJECT_URL;
  return {
    ...(commit ? { commit } : {}),
    ...(commit && project ? { commitUrl: `${project}/-/commit/${commit}` } : {}),
    ...(env.CI_COMMIT_REF_NAME ? { ref: env.CI_COMMIT_REF_NAME } : {}),
    ...(env.CI_PIPELINE_URL ? { pipelineUrl: env.CI_PIPELINE_URL } : {}),
    ...(env.CI_JOB_URL ? { jobUrl: env.CI_JOB_URL } : {}),
  };
}

/**
 * Passes the event stream's bytes through unchanged while parsing a copy. An
 * error or a close on either side reaches the other (pipeline destroys both),
 * so the engine's stream handling (gaps, reconnects) sees exactly what it would
 * have seen; the engine learns of a failure from `tap`, so the pipeline's own
 * callback has nothing left to do.
 */
function teeEvents(body: Readable, onEvent: (event: MarathonEvent) => void): Readable {
  // The report reads only what the engine would trust: the same schemas, so an invalid frame (a gap for the engine) is no report line either.
  const checkEvent = createEventChecker();
  const parser = createSseParser((frame) => {
    const event = eventFromFrame(frame);
    const reading = event && checkEvent(event);
    if (reading?.kind === "event") onEvent(reading.event);
  });
  // The engine's own parser drops the connection at a frame over the bound; the copy stops parsing there.
  let overBound = false;
  const tap = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      if (!overBound) {
        try {
          parser.push(chunk);
        } catch (error) {
          if (!(error instanceof SseFrameTooLargeError)) throw error;
          overBound = true;
        }
      }
      done(null, chunk);
    },
  });
  pipeline(body, tap, () => undefined);
  return tap;
}

function stateOf(task: Task): InstanceState {
  if (task.state === undefined) return task.startedAt ? "running" : "staged";
  if (STARTING_TASK_STATES.has(task.state)) return "staged";
  if (isGoneFromView(task.state)) return "gone";
  return "running";
}

/** Ended, or unreachable: not terminal for Mesos (the agent may return), but for the report the instance is lost from view, a failure row. */
function isGoneFromView(state: string): boolean {
  return TERMINAL_TASK_STATES.has(state) || state === "TASK_UNREACHABLE";
}

/** Marathon 1.4+ task ids are `<instance id>._app.<n>`; health events name the instance. */
function instanceKey(taskId: string): string {
  return taskId.replace(/\._app\.\d+$/, "");
}

function absoluteId(id: string): string {
  return id.startsWith("/") ? id : `/${id}`;
}
