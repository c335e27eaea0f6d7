/**
 * The deploy engine: plan, preflight, record the previous version, PUT, follow
 * to a verified end; on failure or timeout cancel, redeploy the previous
 * version and wait for it (DESIGN.md "Behaviours that matter"). Every outcome
 * that is not verified success ends in a typed error with the exit code a CI
 * job needs: 1 failed and rolled back, 3 refused, 4 timed out and rolled back,
 * 5 a person must look.
 */
import type { Clock } from "../core/ports/clock.js";
import type { Output } from "../core/ports/output.js";
import { resolveSecretPlaceholders } from "../core/secret-placeholders.js";
import { DeploymentFailedError, DeploymentTimedOutError, MdeployError, PreflightRefusedError } from "../errors.js";
import { MarathonAuthError, type MarathonClient } from "../marathon/client.js";
import type { AppDefinition, AppStatus, DeploymentResult } from "../marathon/types.js";
import { formatDiff } from "../plan/diff-app.js";
import type { StrategyMode } from "../plan/types.js";
import { absoluteId, applyWrite, describeApp, needsPerson, waitForDeployments } from "./apply-write.js";
import { defaultTimeoutMs } from "./default-timeout.js";
import { formatDotenvReport, urlFromLabels } from "./dotenv-report.js";
import { startEventWatch, type EventWatch } from "./event-watch.js";
import { isTransientReadFailure, messageOf } from "./failure-kinds.js";
import type { FollowOutcome } from "./follow-deployment.js";
import { follow } from "./follow-with-progress.js";
import { formatPlan, planDeploy, type MesosAgentsSource, type PlannedDeploy } from "./plan-deploy.js";
import type { Progress } from "../core/ports/progress.js";
import { ROLLBACK_OF_LABEL } from "./replan-version.js";
import { restoreVersion, type RestoreOutcome } from "./restore-version.js";
import { DEFAULT_INTERRUPT_GRACE_MS, startRunLimits, type Interrupts, type OnInterrupt, type RunLimits } from "./run-limits.js";
import { countTasks, isVerified, servingVersion } from "./verify-app.js";
import { isUnchangedRedeploy } from "./app-provenance.js";
import { unchangedRedeploy } from "./unchanged-redeploy.js";
import type { DeployResult } from "./deploy-result.js";
import { formatVersion, summarizeVersion } from "./version-display.js";

/** The Marathon calls a deploy makes. */
export type DeployMarathon = Pick<
  MarathonClient,
  "findApp" | "getApp" | "putApp" | "rollbackApp" | "restartApp" | "getAppVersion" | "getAppVersions" | "getDeployments" | "deleteDeployment" | "deleteApp" | "getQueue" | "openEventStream" | "getInfo"
>;

/** A preflight check run after planning and before the PUT (the registry tag check plugs in here). Throws to refuse. */
export type PreflightHook = (app: AppDefinition) => Promise<string | undefined>;

export interface DeployAppOptions {
  environment: string;
  /** The rendered (or artifact) definition; secret placeholders still in it. */
  app: AppDefinition;
  strategy: StrategyMode;
  /** Deployment timeout; default derived from the app's health checks. */
  timeoutMs?: number;
  /** How long a 409 waits for the other deployment. */
  lockTimeoutMs: number;
  /** Cancel a deployment holding the lock (`?force=true`). Never the default. */
  force: boolean;
  /** Environment for secret placeholders. */
  env: Record<string, string | undefined>;
  /** Secret variables mdeploy.yml lets be empty (`allowEmpty: true`); any other empty one is refused. */
  emptySecretsAllowed?: readonly string[];
  /** Where to write the dotenv report; undefined = none. */
  dotenvPath?: string;
  /** MDEPLOY_URL; default from the app's Traefik Host rule. */
  url?: string;
  /** The environment's floor of healthy instances during the upgrade (mdeploy.yml `minHealthy`). */
  minHealthy?: number;
  /** On SIGINT/SIGTERM: cancel and restore the previous version (default), or leave our deployment running. */
  onInterrupt?: OnInterrupt;
  /** How long the restore after a first signal may take (default 20 s). */
  interruptGraceMs?: number;
}

export interface DeployDeps {
  marathon: DeployMarathon;
  mesos?: MesosAgentsSource;
  clock: Clock;
  output: Output;
  progress: Progress;
  preflight?: PreflightHook[];
  writeFile?: (path: string, text: string) => Promise<void>;
  /** Told the plan once it is made, and again when a lock wait makes mdeploy plan again (the deployment report shows it). */
  onPlanned?: (planned: PlannedDeploy) => void;
  /** SIGINT/SIGTERM, from the CLI. */
  interrupts?: Interrupts;
}

/** Deploys and verifies; throws a typed error for every other outcome. */
export async function deployApp(options: DeployAppOptions, deps: DeployDeps): Promise<DeployResult> {
  const { marathon, clock, output, progress } = deps;
  const env = options.environment;
  // Secret values become known to the redactor before anything can print them.
  const app = resolveSecretPlaceholders(options.app, options.env, output.redactor, { environment: env, emptySecretsAllowed: options.emptySecretsAllowed ?? [] });
  const lockSeconds = Math.round(options.lockTimeoutMs / 1000);
  const lockDeadline = clock.now() + options.lockTimeoutMs;
  const beforeSending = <T>(work: Promise<T>): Promise<T> => interruptedBeforeSending(work, env, deps.interrupts);

  progress.start("plan", `${env}: plan ${app.id}`);
  // A deployment in progress changes what runs; plan against the state it leaves behind.
  if (!options.force) await beforeSending(waitForOtherDeployments(app.id, lockDeadline, options, deps));
  let planned = await beforeSending(plan(app, options, deps));
  progress.end("plan");
  // A retried job that changes only mdeploy's own labels (pipeline, commit) sends nothing, but
  // only over an app that is verified as it stands: stale or unhealthy tasks still need the deploy.
  const running = planned.running;
  if (running && isUnchangedRedeploy(running, planned.target) && (running.deployments ?? []).length === 0 && isVerified(running, running.version)) {
    return await unchangedRedeploy(running, planned, options, deps);
  }
  refuseIfInfeasible(planned, options);
  for (const hook of deps.preflight ?? []) {
    const note = await beforeSending(hook(planned.target));
    if (note) progress.line(note);
  }

  const target = planned.target;
  const watch = startEventWatch({ marathon, clock, appId: target.id });
  let limits: RunLimits | undefined;
  try {
    await beforeSending(watch.whenOpen(60_000));
    const running = planned.running;
    progress.start("deploy", `${env}: deploy ${target.id}${running ? ` (previous version ${running.version})` : " (new app)"}`);
    if (deps.interrupts?.first.aborted) throw interruptedBeforePut(env, String(deps.interrupts.first.reason));
    const interruptedWrite = (error: unknown) => {
      // A signal during a lock wait or before a resend: nothing of ours was applied.
      if (deps.interrupts?.first.aborted && !(error instanceof MdeployError)) throw interruptedBeforePut(env, String(deps.interrupts.first.reason));
      throw error;
    };
    const write = await applyWrite(
      {
        environment: env,
        appId: target.id,
        force: options.force,
        lockDeadline,
        lockSeconds,
        watch,
        ...(deps.interrupts ? { signal: deps.interrupts.first } : {}),
        prepare: async (waited) => {
          let afterWait = waited;
          if (!afterWait) {
            // Another job may have deployed since the plan (preflight and the stream take time): what a
            // failure restores must be what runs now, so a changed app is planned again.
            const now = await marathon.findApp(app.id);
            if (now?.version !== planned.running?.version) {
              progress.line(`  ${app.id} changed since planning (now version ${now?.version ?? "(none)"}); planning again`);
              afterWait = true;
            }
          }
          if (afterWait) {
            // What runs after the wait is what a failure restores: plan from it again.
            planned = await planAfterWait(app, options, deps, lockDeadline);
            progress.line(`  planned again against version ${planned.running?.version ?? "(none)"}`);
          }
          return { kind: "write", before: planned.running, definition: planned.target };
        },
      },
      deps,
    ).catch(interruptedWrite);
    if (write.kind === "stop") throw new Error("a deploy's write never stops by itself");
    const put = write.result;
    // The clock starts at the PUT: a lock wait is bounded by --lock-timeout, not --timeout.
    const timeoutMs = options.timeoutMs ?? defaultTimeoutMs(planned.target, planned.plan);
    // The rollback's bound: what the version it restores needs to start and turn healthy once.
    const graceMs = defaultTimeoutMs(write.prepared.before ?? planned.target);
    const interruptGraceMs = options.interruptGraceMs ?? DEFAULT_INTERRUPT_GRACE_MS;
    const start = clock.now();
    limits = startRunLimits(clock, start + timeoutMs, start + timeoutMs + graceMs, interruptGraceMs, deps.interrupts);
    progress.line(
      `  time limit: ${seconds(timeoutMs)} s for the deployment (--timeout), then up to ${seconds(graceMs)} s to roll back; on SIGINT/SIGTERM: ${options.onInterrupt === "leave" ? "leave the deployment running" : `roll back within ${seconds(interruptGraceMs)} s (--interrupt-grace)`}`,
    );
    const previousVersion = await versionBefore(put, write.prepared.before, target.id, deps, limits.follow);
    const ctx: RecoverContext = { env, appId: target.id, put, previousVersion, timeoutMs, limits, watch, options };
    progress.line(`deployment ${put.deploymentId || "(already finished)"} started: version ${put.version}`);
    let outcome: FollowOutcome;
    try {
      outcome = await follow(deps, watch, target.id, put, start + timeoutMs, limits.follow);
    } catch (error) {
      if (!(error instanceof MarathonAuthError)) throw error;
      // Credentials rotated mid-deployment: the deployment is ours and still open; try to restore (the credentials may still work for it).
      outcome = { kind: "failed", reason: `Marathon stopped accepting our credentials while following (${error.message})`, details: [] };
    }
    progress.end("deploy");
    const signal = limits.interruptedBy();
    if (signal) return await interrupted(signal, ctx, deps);
    if (outcome.kind === "success") return await succeeded(outcome, planned, put, previousVersion, options, deps);
    return await recover(outcome, ctx, deps);
  } finally {
    limits?.dispose();
    progress.settle();
    await watch.close();
  }
}

/**
 * What a failure restores: the version stored right before ours. Marathon has no
 * compare-and-set, so another job's PUT can land between our last read and ours;
 * its version, not the one we read, is what ran before us.
 */
async function versionBefore(put: DeploymentResult, app: AppStatus | undefined, appId: string, deps: DeployDeps, signal: AbortSignal): Promise<string | undefined> {
  if (!app) return undefined;
  // A definition that never ran (a cancelled deployment's, over older tasks) is not what a failure restores: what served is.
  const read = servingVersion(app);
  if (read !== app.version) deps.progress.line(`  ${appId} does not run its version ${app.version} (tasks of ${read} serve it); a failure restores ${read}`);
  let versions: string[];
  try {
    versions = await unlessStopped(deps.marathon.getAppVersions(appId), signal);
  } catch (error) {
    // After the PUT every way out must say what runs: a failed look (lost credentials, a stop) ends in the follow, not here.
    if (!signal.aborted && !(error instanceof MdeployError)) throw error;
    deps.progress.line(`  cannot list the app's versions (${messageOf(error)}); a failure restores version ${read}, read before the PUT`);
    return read;
  }
  const before = versions.filter((v) => v < put.version).sort().at(-1);
  if (!before || before <= app.version) return read;
  deps.progress.line(`  version ${before} was deployed by someone else after mdeploy read the app; a failure restores it, not ${read}`);
  return before;
}

/** A call that takes no signal, given up (not cancelled: its answer is dropped) when `signal` stops the command. */
async function unlessStopped<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  let onAbort = (): void => undefined;
  const stopped = new Promise<never>((_resolve, reject) => {
    onAbort = () => reject(new Error(`stopped: ${String(signal.reason)}`));
    if (signal.aborted) onAbort();
    else signal.addEventListener("abort", onAbort, { once: true });
  });
  work.catch(() => undefined);
  stopped.catch(() => undefined);
  try {
    return await Promise.race([work, stopped]);
  } finally {
    signal.removeEventListener("abort", onAbort);
  }
}

/** Plans, prints the plan, and refuses what cannot finish. */
async function plan(app: AppDefinition, options: DeployAppOptions, deps: DeployDeps): Promise<PlannedDeploy> {
  const planned = await planDeploy(app, options.strategy, { marathon: deps.marathon, mesos: deps.mesos, redact: deps.output.redactor.redact }, options.minHealthy);
  deps.onPlanned?.(planned);
  for (const line of formatDiff(planned.changes)) deps.progress.line(`  ${line}`);
  for (const line of formatPlan(planned, options.environment)) deps.progress.line(line);
  return planned;
}

/** How often the plan after a lock wait is made again while the other job's instances still hold the room. */
const REPLAN_EVERY_MS = 2_000;

/**
 * Plans again after waiting for another deployment. Right after it ended, its
 * instances may still hold the room (a job between cancelling and restoring),
 * so an infeasible plan is made again until the lock deadline before refusing.
 */
async function planAfterWait(app: AppDefinition, options: DeployAppOptions, deps: DeployDeps, lockDeadline: number): Promise<PlannedDeploy> {
  for (let attempt = 0; ; attempt++) {
    const planned = await planDeploy(app, options.strategy, { marathon: deps.marathon, mesos: deps.mesos, redact: deps.output.redactor.redact }, options.minHealthy);
    // A deployment that started meanwhile (the other job's rollback) is a transient too: plan from where it ends.
    const settled = (planned.running?.deployments ?? []).length === 0;
    if ((planned.plan.feasible && settled) || deps.clock.now() >= lockDeadline || attempt >= 10_000) {
      deps.onPlanned?.(planned);
      for (const line of formatPlan(planned, options.environment)) deps.progress.line(line);
      return refuseIfInfeasible(planned, options);
    }
    if (attempt === 0) deps.progress.line(`  ${settled ? planned.plan.verdict : `deployment ${planned.running?.deployments.map((d) => d.id).join(", ")} started meanwhile`}; the other job may still be clearing up: planning again until the lock wait ends`);
    await deps.clock.sleep(REPLAN_EVERY_MS, deps.interrupts?.first);
  }
}

function refuseIfInfeasible(planned: PlannedDeploy, options: DeployAppOptions): PlannedDeploy {
  const upgrade = planned.plan;
  if (!upgrade.feasible) {
    throw new PreflightRefusedError(`${options.environment}: refused before any change: ${upgrade.verdict}`, [...upgrade.reasons.slice(1), ...upgrade.warnings.map((w) => `warning: ${w}`), "nothing was sent to Marathon"]);
  }
  return planned;
}

async function succeeded(outcome: Extract<FollowOutcome, { kind: "success" }>, planned: PlannedDeploy, put: DeploymentResult, previousVersion: string | undefined, options: DeployAppOptions, deps: DeployDeps): Promise<DeployResult> {
  const { target, plan: upgrade, changes } = planned;
  const version = outcome.version;
  const counts = countTasks(outcome.app, version);
  const url = options.url ?? urlFromLabels(target.labels);
  deps.progress.line(`${options.environment}: ${target.id} version ${formatVersion(summarizeVersion(version, target))} verified: ${counts.healthyNew}/${counts.instances} healthy${outcome.verifiedBy === "state" ? " (deployment_success not seen while the event stream was down; verified from the app's state)" : ""}`);
  if (options.dotenvPath && deps.writeFile) {
    await deps.writeFile(options.dotenvPath, deps.output.redactor.redact(formatDotenvReport({ version, previousVersion, deploymentId: put.deploymentId, url })));
  }
  return {
    environment: options.environment,
    appId: target.id,
    version,
    ...(previousVersion ? { previousVersion } : {}),
    deploymentId: put.deploymentId,
    verifiedBy: outcome.verifiedBy,
    plan: upgrade,
    changes,
    ...(url ? { url } : {}),
    instances: { healthy: counts.healthyNew, total: counts.instances },
    runs: summarizeVersion(version, target),
    ...(planned.running ? { previousRuns: summarizeVersion(planned.running.version, planned.running) } : {}),
  };
}

function seconds(ms: number): number {
  return Math.round(ms / 1000);
}

/** Runs work that comes before the PUT; a first signal meanwhile ends the command with nothing changed. */
async function interruptedBeforeSending<T>(work: Promise<T>, env: string, interrupts: Interrupts | undefined): Promise<T> {
  if (!interrupts) return work;
  if (interrupts.first.aborted) throw interruptedBeforePut(env, String(interrupts.first.reason));
  let onAbort = (): void => undefined;
  const stopped = new Promise<never>((_resolve, reject) => {
    onAbort = () => reject(interruptedBeforePut(env, String(interrupts.first.reason)));
    interrupts.first.addEventListener("abort", onAbort, { once: true });
  });
  // The work may still settle after the signal; its result no longer matters.
  work.catch(() => undefined);
  try {
    return await Promise.race([work, stopped]);
  } finally {
    interrupts.first.removeEventListener("abort", onAbort);
  }
}

function interruptedBeforePut(env: string, signal: string): DeploymentFailedError {
  return new DeploymentFailedError(`${env}: interrupted by ${signal} before anything was sent to Marathon; nothing was changed`);
}

/** Before planning: wait (up to --lock-timeout) for deployments of the app started by someone else. */
async function waitForOtherDeployments(appId: string, deadline: number, options: DeployAppOptions, deps: DeployDeps): Promise<void> {
  const id = absoluteId(appId);
  const busy = (await deps.marathon.getDeployments()).filter((d) => d.affectedApps.includes(id));
  if (busy.length === 0) return;
  const ids = busy.map((d) => d.id);
  const lockSeconds = Math.round(options.lockTimeoutMs / 1000);
  deps.progress.line(`  ${id} is locked by deployment ${ids.join(", ")}; waiting up to ${lockSeconds} s for it (--force would cancel it)`);
  if (!(await waitForDeployments(ids, id, deadline, deps, deps.interrupts?.first))) {
    throw new DeploymentTimedOutError(`${options.environment}: ${id} stayed locked by deployment ${ids.join(", ")} for ${lockSeconds} s; nothing was changed`, [
      "wait for that deployment (mdeploy status shows it), or re-run with --force to cancel it",
    ]);
  }
}

interface RecoverContext {
  env: string;
  appId: string;
  put: DeploymentResult;
  previousVersion: string | undefined;
  timeoutMs: number;
  limits: RunLimits;
  watch: EventWatch;
  options: DeployAppOptions;
}

/** The one command that finishes the job when mdeploy could not. */
function finishCommand(ctx: Pick<RecoverContext, "env" | "appId" | "previousVersion">): string {
  return ctx.previousVersion ? `mdeploy rollback ${ctx.env} --to ${ctx.previousVersion} --force` : `curl -X DELETE "$MARATHON_URL/v2/apps${absoluteId(ctx.appId)}?force=true"`;
}

/** A signal came while following: leave the deployment, or restore within the interrupt grace. */
async function interrupted(signal: string, ctx: RecoverContext, deps: DeployDeps): Promise<never> {
  const { progress } = deps;
  const open = ctx.put.deploymentId || "(already finished)";
  if (ctx.options.onInterrupt === "leave") {
    progress.line(`${ctx.env}: interrupted by ${signal}; leaving deployment ${open} of version ${ctx.put.version} running (--on-interrupt leave)`);
    throw needsPerson(
      `${ctx.env}: interrupted by ${signal}; deployment ${open} (version ${ctx.put.version} of ${ctx.appId}) is still open and was left running, as --on-interrupt leave asks`,
      [`runs: version ${ctx.previousVersion ?? "(none)"} until deployment ${open} replaces it with ${ctx.put.version}; mdeploy status ${ctx.env} shows how far it got`],
      `${finishCommand(ctx)} (to undo it), or wait for it to finish`,
    );
  }
  progress.line(`${ctx.env}: interrupted by ${signal}; cancelling deployment ${open} and restoring version ${ctx.previousVersion ?? "(none: removing the new app)"} (up to ${seconds(ctx.options.interruptGraceMs ?? DEFAULT_INTERRUPT_GRACE_MS)} s; a second signal stops at once)`);
  const restored = await rollBack(ctx, deps);
  const headline = `${ctx.env}: interrupted by ${signal} while deploying ${ctx.appId} version ${ctx.put.version}`;
  if (restored.kind === "restored") throw new DeploymentFailedError(`${headline}; deployment ${open} cancelled and rolled back`, [restored.summary]);
  throw unfinishedRestore(headline, restored, ctx);
}

/** Cancels, rolls back, waits, and throws the error that tells CI what happened. */
async function recover(outcome: Exclude<FollowOutcome, { kind: "success" }>, ctx: RecoverContext, deps: DeployDeps): Promise<never> {
  const { progress } = deps;
  const what =
    outcome.kind === "timeout" ? `did not finish within ${seconds(ctx.timeoutMs)} s` : outcome.kind === "superseded" ? "was replaced by another deployment" : `failed: ${outcome.reason}`;
  const headline = `${ctx.env}: ${ctx.appId} version ${ctx.put.version} ${what}`;
  progress.line(headline);

  if (outcome.kind === "superseded") {
    throw needsPerson(`${headline}; mdeploy did not roll back over someone else's deployment`, [
      ...outcome.details,
      `runs: version ${outcome.byVersion}, deployed by someone else; our deployment ${ctx.put.deploymentId || "(none)"} is no longer open`,
    ], `mdeploy status ${ctx.env} (to see whether version ${outcome.byVersion} verified)`);
  }

  progress.start("rollback", `${ctx.env}: roll back ${ctx.appId}`);
  const restored = await rollBack(ctx, deps);
  progress.end("rollback");
  if (restored.kind !== "restored") throw unfinishedRestore(headline, restored, ctx, outcome.details);
  const details = [...outcome.details, restored.summary];
  if (outcome.kind === "timeout") throw new DeploymentTimedOutError(`${headline}; rolled back`, details);
  throw new DeploymentFailedError(`${headline}; rolled back`, details);
}

/** How the automatic rollback ended. */
type RollbackOutcome = { kind: "restored"; summary: string } | Exclude<RestoreOutcome, { kind: "restored" }>;

/** The exit-5 error for a restore that did not finish (or met someone else's deployment). */
function unfinishedRestore(headline: string, restored: Exclude<RollbackOutcome, { kind: "restored" }>, ctx: RecoverContext, details: readonly string[] = []) {
  const why = restored.kind === "superseded" ? restored.reason : restored.problem;
  return needsPerson(
    `${headline}, and the rollback did not finish: ${why}`,
    [...details, ...restored.facts, `our deployment: ${ctx.put.deploymentId || "(none)"} of version ${ctx.put.version} (cancelled unless the state above still lists it)`],
    restored.kind === "superseded" ? restored.finish : finishCommand(ctx),
  );
}

/** Puts the previous version back (the shared restore), or removes an app that did not exist before. */
async function rollBack(ctx: RecoverContext, deps: DeployDeps): Promise<RollbackOutcome> {
  const signal = ctx.limits.cleanup;
  if (!ctx.previousVersion) return removeNewApp(ctx, deps);
  return restoreVersion(
    {
      environment: ctx.env,
      appId: ctx.appId,
      version: ctx.previousVersion,
      replacing: ctx.put.version,
      ...(ctx.put.deploymentId ? { cancel: ctx.put.deploymentId } : {}),
      labels: { [ROLLBACK_OF_LABEL]: ctx.put.version },
      force: false,
      withoutCapacity: "free-room-first",
      deadline: ctx.limits.cleanupDeadline(),
      lockSeconds: seconds(Math.max(0, ctx.limits.cleanupDeadline() - deps.clock.now())),
      watch: ctx.watch,
      signal,
    },
    deps,
  );
}

/** A first deploy that failed: remove the app again and wait until it is gone. */
async function removeNewApp(ctx: RecoverContext, deps: DeployDeps): Promise<RollbackOutcome> {
  const { marathon, clock } = deps;
  const signal = ctx.limits.cleanup;
  const deadline = ctx.limits.cleanupDeadline();
  let last: AppStatus | undefined;
  let unreadable: string | undefined;
  try {
    await marathon.deleteApp(ctx.appId, { force: true });
    for (let i = 0; i < 10_000 && clock.now() < deadline && !signal.aborted; i++) {
      try {
        last = await marathon.findApp(ctx.appId, { embed: ["app.tasks", "app.deployments"], signal });
        if (!last) return { kind: "restored", summary: `${ctx.appId} did not exist before this deploy; it was removed again` };
      } catch (error) {
        // Only a read that can pass is waited out; the app is not assumed gone (or there) meanwhile.
        if (signal.aborted || !isTransientReadFailure(error)) throw error;
        if (unreadable === undefined) deps.progress.line(`  cannot read ${ctx.appId} (${messageOf(error)}); still waiting for its removal`);
        unreadable = messageOf(error);
      }
      await clock.sleep(500, signal);
    }
    return { kind: "unfinished", problem: `${ctx.appId} did not exist before; removing it did not finish in time`, facts: last ? [describeApp(last)] : [] };
  } catch (error) {
    if (signal.aborted) return { kind: "unfinished", problem: `removing ${ctx.appId} was stopped (${String(signal.reason)})`, facts: [] };
    if (!(error instanceof MdeployError)) throw error;
    return { kind: "unfinished", problem: `cannot remove the new app: ${messageOf(error)}`, facts: [] };
  }
}
