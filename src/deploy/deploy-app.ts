/**
 * The deploy engine: plan, preflight, record the previous version, PUT, follow
 * to a verified end; on failure or timeout cancel, redeploy the previous
 * version and wait for it (DESIGN.md "Behaviours that matter"). Every outcome
 * that is not verified success ends in a typed error with the exit code a CI
 * job needs: 1 failed and rolled back, 3 refused, 4 timed out and rolled back,
 * 5 a person must look.
 */
import type { Clock } from "../core/clock.js";
import type { Output } from "../cli/output.js";
import { resolveSecretPlaceholders } from "../core/secret-placeholders.js";
import { DeploymentFailedError, DeploymentTimedOutError, NeedsPersonError, PreflightRefusedError, UnreachableError } from "../errors.js";
import { RequestTimedOutError } from "../http/errors.js";
import { MarathonApiError, type MarathonClient } from "../marathon/client.js";
import type { AppDefinition, AppStatus, DeploymentResult } from "../marathon/types.js";
import { changesNeedRestart, diffApps, formatDiff, type AppChange } from "../plan/diff-app.js";
import type { StrategyMode, UpgradePlan } from "../plan/types.js";
import { defaultTimeoutMs } from "./default-timeout.js";
import { formatDotenvReport, urlFromLabels } from "./dotenv-report.js";
import { startEventWatch, type EventWatch } from "./event-watch.js";
import { followDeployment, type FollowOutcome } from "./follow-deployment.js";
import { formatPlan, planDeploy, type MesosAgentsSource, type PlannedDeploy } from "./plan-deploy.js";
import type { Progress } from "./progress.js";
import { replanVersion, ROLLBACK_OF_LABEL } from "./replan-version.js";
import { countTasks } from "./verify-app.js";
import { isUnchangedRedeploy } from "./app-provenance.js";
import { unchangedRedeploy } from "./unchanged-redeploy.js";
import { formatVersion, summarizeVersion, type VersionSummary } from "./version-display.js";

/** The Marathon calls a deploy makes. */
export type DeployMarathon = Pick<
  MarathonClient,
  "findApp" | "getApp" | "putApp" | "rollbackApp" | "getAppVersion" | "getDeployments" | "deleteDeployment" | "deleteApp" | "getQueue" | "openEventStream"
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
  /** Where to write the dotenv report; undefined = none. */
  dotenvPath?: string;
  /** MDEPLOY_URL; default from the app's Traefik Host rule. */
  url?: string;
  /** The environment's floor of healthy instances during the upgrade (mdeploy.yml `minHealthy`). */
  minHealthy?: number;
}

export interface DeployDeps {
  marathon: DeployMarathon;
  mesos?: MesosAgentsSource;
  clock: Clock;
  output: Output;
  progress: Progress;
  preflight?: PreflightHook[];
  writeFile?: (path: string, text: string) => Promise<void>;
  /** Told the plan once it is made (the deployment report shows it). */
  onPlanned?: (planned: PlannedDeploy) => void;
}

/** What a verified deploy returns (and `--json` prints). */
export interface DeployResult {
  environment: string;
  appId: string;
  version: string;
  previousVersion?: string;
  deploymentId: string;
  verifiedBy: "event" | "state";
  plan: UpgradePlan;
  changes: AppChange[];
  url?: string;
  instances: { healthy: number; total: number };
  /** What the version runs and where it came from, and the same for the previous one. */
  runs: VersionSummary;
  previousRuns?: VersionSummary;
  /** True when nothing but mdeploy's labels or the strategy differed, so nothing was sent. */
  unchanged?: boolean;
}

/** Deploys and verifies; throws a typed error for every other outcome. */
export async function deployApp(options: DeployAppOptions, deps: DeployDeps): Promise<DeployResult> {
  const { marathon, clock, output, progress } = deps;
  const env = options.environment;
  // Secret values become known to the redactor before anything can print them.
  const app = resolveSecretPlaceholders(options.app, options.env, output.redactor);

  progress.start("plan", `${env}: plan ${app.id}`);
  // A deployment in progress changes what runs; plan against the state it leaves behind.
  if (!options.force) await waitForOtherDeployments(app.id, clock.now() + options.lockTimeoutMs, options, deps);
  const planned = await planDeploy(app, options.strategy, { marathon, mesos: deps.mesos, redact: output.redactor.redact }, options.minHealthy);
  const { plan, running, target, changes } = planned;
  deps.onPlanned?.(planned);
  for (const line of formatDiff(changes)) progress.line(`  ${line}`);
  for (const line of formatPlan(planned, env)) progress.line(line);
  progress.end("plan");
  if (running && isUnchangedRedeploy(running, target)) return await unchangedRedeploy(running, planned, options, deps);
  if (!plan.feasible) {
    throw new PreflightRefusedError(`${env}: refused before any change: ${plan.verdict}`, [...plan.reasons.slice(1), ...plan.warnings.map((w) => `warning: ${w}`), "nothing was sent to Marathon"]);
  }
  for (const hook of deps.preflight ?? []) {
    const note = await hook(target);
    if (note) progress.line(note);
  }

  const previousVersion = running?.version;
  const watch = startEventWatch({ marathon, clock, appId: target.id });
  try {
    await watch.whenOpen(60_000);
    progress.start("deploy", `${env}: deploy ${target.id}${previousVersion ? ` (previous version ${previousVersion})` : " (new app)"}`);
    const put = await putWithLock(target, running, options, deps, watch);
    progress.line(`deployment ${put.deploymentId || "(already finished)"} started: version ${put.version}`);
    const timeoutMs = options.timeoutMs ?? defaultTimeoutMs(target, plan);
    const outcome = await follow(deps, watch, target.id, put, clock.now() + timeoutMs);
    progress.end("deploy");
    if (outcome.kind === "success") {
      const version = outcome.version;
      const counts = countTasks(outcome.app, version);
      const url = options.url ?? urlFromLabels(target.labels);
      progress.line(`${env}: ${target.id} version ${formatVersion(summarizeVersion(version, target))} verified: ${counts.healthyNew}/${counts.instances} healthy${outcome.verifiedBy === "state" ? " (deployment_success not seen while the event stream was down; verified from the app's state)" : ""}`);
      if (options.dotenvPath && deps.writeFile) {
        await deps.writeFile(options.dotenvPath, output.redactor.redact(formatDotenvReport({ version, previousVersion, deploymentId: put.deploymentId, url })));
      }
      return {
        environment: env,
        appId: target.id,
        version,
        ...(previousVersion ? { previousVersion } : {}),
        deploymentId: put.deploymentId,
        verifiedBy: outcome.verifiedBy,
        plan,
        changes,
        ...(url ? { url } : {}),
        instances: { healthy: counts.healthyNew, total: counts.instances },
        runs: summarizeVersion(version, target),
        ...(running ? { previousRuns: summarizeVersion(running.version, running) } : {}),
      };
    }
    return await recover(outcome, { env, appId: target.id, put, previousVersion, timeoutMs }, deps, watch);
  } finally {
    progress.settle();
    await watch.close();
  }
}

/** Follows one PUT's deployment with progress lines (also used by `mdeploy rollback`). */
export function follow(deps: Pick<DeployDeps, "marathon" | "clock" | "progress">, watch: EventWatch, appId: string, put: DeploymentResult, deadline: number): Promise<FollowOutcome> {
  const { progress } = deps;
  let lastWaiting = "";
  return followDeployment({
    marathon: deps.marathon,
    clock: deps.clock,
    watch,
    appId,
    deploymentId: put.deploymentId,
    version: put.version,
    deadline,
    onNote: (line) => progress.line(`  ${line}`),
    onProgress: ({ counts, step, waiting }) => {
      const stepText = step ? `step ${step.current}/${step.total} ${step.actions.join(", ")}: ` : "";
      progress.update(`  ${stepText}${counts.healthyNew}/${counts.instances} new healthy, ${counts.runningNew} new running, ${counts.runningOld} old running`);
      // Queue reasons repeat while nothing changes; say them once per change.
      const text = waiting.join("; ");
      if (text && text !== lastWaiting) progress.line(`  waiting: ${text}`);
      if (text) lastWaiting = text;
    },
  });
}

/**
 * PUT with Marathon's lock in mind: a 409 waits for the deployments holding the
 * lock (up to --lock-timeout), `--force` cancels them only when asked, and a PUT
 * that timed out is followed by a read of the app before anything else.
 */
async function putWithLock(target: AppDefinition, running: AppStatus | undefined, options: DeployAppOptions, deps: DeployDeps, watch: EventWatch): Promise<DeploymentResult> {
  const { marathon, clock, progress } = deps;
  const lockDeadline = clock.now() + options.lockTimeoutMs;
  let retriedAfterTimeout = false;
  for (let attempt = 0; attempt < 50; attempt++) {
    try {
      // partialUpdate=false: the artifact is the whole definition, so a field removed from the
      // template goes away in Marathon too (a partial PUT would keep the old value).
      return await marathon.putApp(target, { partialUpdate: false, ...(options.force ? { force: true } : {}) });
    } catch (error) {
      if (error instanceof RequestTimedOutError) {
        progress.line(`  ${error.message}; reading the app to see whether it was applied`);
        const applied = await readAfterTimedOutPut(target, running, marathon, watch);
        if (applied) {
          progress.line(`  the PUT was applied (version ${applied.version}); following it`);
          return applied;
        }
        if (retriedAfterTimeout) throw new UnreachableError(`${options.environment}: Marathon did not answer the PUT twice and the app is unchanged`, ["nothing was changed; re-run the job when Marathon answers"]);
        retriedAfterTimeout = true;
        progress.line("  the PUT was not applied; sending it again");
        continue;
      }
      if (error instanceof MarathonApiError && error.status === 409 && !options.force) {
        const ids = error.lockingDeploymentIds;
        progress.line(`  ${target.id} is locked by deployment ${ids.join(", ") || "(unknown)"}; waiting up to ${Math.round(options.lockTimeoutMs / 1000)} s for it (--force would cancel it)`);
        const freed = await waitForDeployments(ids, target.id, lockDeadline, deps);
        if (!freed) {
          throw new DeploymentTimedOutError(`${options.environment}: ${target.id} stayed locked by deployment ${ids.join(", ")} for ${Math.round(options.lockTimeoutMs / 1000)} s; nothing was changed`, [
            "wait for that deployment (mdeploy status shows it), or re-run with --force to cancel it",
          ]);
        }
        continue;
      }
      throw error;
    }
  }
  throw new UnreachableError(`${options.environment}: gave up after repeated lock conflicts on ${target.id}; nothing was changed`);
}

/** After a PUT without an answer: applied when the app now carries our definition at a new version. */
async function readAfterTimedOutPut(target: AppDefinition, running: AppStatus | undefined, marathon: DeployMarathon, watch: EventWatch): Promise<DeploymentResult | undefined> {
  const now = await marathon.findApp(target.id, { embed: ["app.deployments"] });
  if (!now || now.version === running?.version) return undefined;
  const changes = diffApps(now, target);
  if (changesNeedRestart(changes) || changes.some((c) => c.path === "instances")) return undefined;
  let deploymentId = now.deployments?.[0]?.id;
  if (!deploymentId) {
    const deployments = await marathon.getDeployments();
    deploymentId = deployments.find((d) => d.affectedApps.includes(target.id) && d.version === now.version)?.id;
  }
  // A quick deployment may already be over: its events still name it.
  deploymentId ??= watch.events.map((e) => e as { id?: unknown; plan?: { id?: unknown; version?: unknown } }).find((e) => e.plan?.version === now.version && typeof e.plan.id === "string")?.plan?.id as string | undefined;
  return { deploymentId: deploymentId ?? "", version: now.version };
}

/** Before planning: wait (up to --lock-timeout) for deployments of the app started by someone else. */
async function waitForOtherDeployments(appId: string, deadline: number, options: DeployAppOptions, deps: DeployDeps): Promise<void> {
  const id = appId.startsWith("/") ? appId : `/${appId}`;
  const busy = (await deps.marathon.getDeployments()).filter((d) => d.affectedApps.includes(id));
  if (busy.length === 0) return;
  const ids = busy.map((d) => d.id);
  deps.progress.line(`  ${id} is locked by deployment ${ids.join(", ")}; waiting up to ${Math.round(options.lockTimeoutMs / 1000)} s for it (--force would cancel it)`);
  if (!(await waitForDeployments(ids, id, deadline, deps))) {
    throw new DeploymentTimedOutError(`${options.environment}: ${id} stayed locked by deployment ${ids.join(", ")} for ${Math.round(options.lockTimeoutMs / 1000)} s; nothing was changed`, [
      "wait for that deployment (mdeploy status shows it), or re-run with --force to cancel it",
    ]);
  }
}

/** Waits until none of `ids` (or, when unknown, no deployment of the app) is running. */
async function waitForDeployments(ids: readonly string[], appId: string, deadline: number, deps: DeployDeps): Promise<boolean> {
  const { marathon, clock } = deps;
  for (let i = 0; i < 100_000 && clock.now() < deadline; i++) {
    const running = await marathon.getDeployments().catch(() => undefined);
    if (running) {
      const blocking = ids.length > 0 ? running.filter((d) => ids.includes(d.id)) : running.filter((d) => d.affectedApps.includes(appId));
      if (blocking.length === 0) return true;
    }
    await clock.sleep(Math.min(1_000, Math.max(0, deadline - clock.now())));
  }
  return false;
}

interface RecoverContext {
  env: string;
  appId: string;
  put: DeploymentResult;
  previousVersion: string | undefined;
  timeoutMs: number;
}

/** Cancels, rolls back, waits, and throws the error that tells CI what happened. */
async function recover(outcome: Exclude<FollowOutcome, { kind: "success" }>, ctx: RecoverContext, deps: DeployDeps, watch: EventWatch): Promise<never> {
  const { progress } = deps;
  const what = outcome.kind === "timeout" ? `did not finish within ${Math.round(ctx.timeoutMs / 1000)} s` : outcome.kind === "superseded" ? "was replaced by another deployment" : `failed: ${outcome.reason}`;
  const headline = `${ctx.env}: ${ctx.appId} version ${ctx.put.version} ${what}`;
  progress.line(headline);

  if (outcome.kind === "superseded") {
    throw new NeedsPersonError(`${headline}; mdeploy did not roll back over someone else's deployment`, [
      ...outcome.details,
      `the app is at version ${outcome.byVersion}; check who deployed it (mdeploy status ${ctx.env}) and whether it is healthy`,
    ]);
  }

  progress.start("rollback", `${ctx.env}: roll back ${ctx.appId}`);
  const rolledBack = await rollBack(ctx, deps, watch);
  progress.end("rollback");
  if (!rolledBack.ok) {
    throw new NeedsPersonError(`${headline}, and the rollback did not finish: ${rolledBack.problem}`, [
      ...outcome.details,
      ...rolledBack.state,
      `to finish by hand: mdeploy rollback ${ctx.env}${ctx.previousVersion ? ` --to ${ctx.previousVersion}` : ""}, then mdeploy status ${ctx.env}`,
    ]);
  }
  const details = [...outcome.details, rolledBack.summary];
  if (outcome.kind === "timeout") throw new DeploymentTimedOutError(`${headline}; rolled back`, details);
  throw new DeploymentFailedError(`${headline}; rolled back`, details);
}

type RollbackResult = { ok: true; summary: string } | { ok: false; problem: string; state: string[] };

/** Cancel our deployment, then put the previous version back (or remove an app that did not exist) and verify it. */
async function rollBack(ctx: RecoverContext, deps: DeployDeps, watch: EventWatch): Promise<RollbackResult> {
  const { marathon, clock, progress } = deps;
  try {
    const deployments = await marathon.getDeployments();
    if (ctx.put.deploymentId && deployments.some((d) => d.id === ctx.put.deploymentId)) {
      await marathon.deleteDeployment(ctx.put.deploymentId, { force: true });
      progress.line(`  cancelled deployment ${ctx.put.deploymentId}`);
    }
  } catch (error) {
    if (!(error instanceof MarathonApiError && error.status === 404)) {
      return { ok: false, problem: `cannot cancel deployment ${ctx.put.deploymentId}: ${(error as Error).message}`, state: await describeState(ctx, deps) };
    }
  }

  if (!ctx.previousVersion) {
    try {
      await marathon.deleteApp(ctx.appId, { force: true });
      const deadline = clock.now() + ctx.timeoutMs;
      while (clock.now() < deadline) {
        if (!(await marathon.findApp(ctx.appId).catch(() => ({}) as AppStatus))) return { ok: true, summary: `${ctx.appId} did not exist before this deploy; it was removed again` };
        await clock.sleep(500);
      }
      return { ok: false, problem: `${ctx.appId} did not exist before; removing it did not finish`, state: await describeState(ctx, deps) };
    } catch (error) {
      return { ok: false, problem: `cannot remove the new app: ${(error as Error).message}`, state: await describeState(ctx, deps) };
    }
  }

  let put: DeploymentResult | undefined;
  const previous = deps.mesos ? await replanVersion({ ...deps, mesos: deps.mesos }, ctx.appId, ctx.previousVersion, { [ROLLBACK_OF_LABEL]: ctx.put.version }, ctx.timeoutMs / 2) : undefined;
  for (let attempt = 0; attempt < 20 && !put; attempt++) {
    try {
      put = previous ? await marathon.putApp(previous, { partialUpdate: false }) : await marathon.rollbackApp(ctx.appId, ctx.previousVersion);
    } catch (error) {
      // Our cancelled deployment may still hold the lock for a moment.
      if (error instanceof MarathonApiError && error.status === 409 && attempt < 19) {
        await clock.sleep(500);
        continue;
      }
      if (error instanceof RequestTimedOutError) {
        const now = await marathon.findApp(ctx.appId, { embed: ["app.deployments"] }).catch(() => undefined);
        if (now && now.version !== ctx.put.version && now.version > ctx.put.version) {
          put = { deploymentId: now.deployments?.[0]?.id ?? "", version: now.version };
          break;
        }
      }
      return { ok: false, problem: `cannot redeploy version ${ctx.previousVersion}: ${(error as Error).message}`, state: await describeState(ctx, deps) };
    }
  }
  if (!put) return { ok: false, problem: `cannot redeploy version ${ctx.previousVersion}: the app stayed locked`, state: await describeState(ctx, deps) };
  progress.line(`  redeploying version ${ctx.previousVersion} as ${put.version} (deployment ${put.deploymentId})`);
  const outcome = await follow(deps, watch, ctx.appId, put, clock.now() + ctx.timeoutMs);
  if (outcome.kind === "success") {
    const c = countTasks(outcome.app, outcome.version);
    return { ok: true, summary: `previous version ${ctx.previousVersion} is back (as ${put.version}): ${c.healthyNew}/${c.instances} healthy` };
  }
  const problem = outcome.kind === "timeout" ? `the rollback did not finish within ${Math.round(ctx.timeoutMs / 1000)} s` : outcome.kind === "failed" ? `the rollback failed: ${outcome.reason}` : "another deployment replaced the rollback";
  return { ok: false, problem, state: [...outcome.details, ...(await describeState(ctx, deps))] };
}

/** The app's state in words, for a person who has to take over. */
async function describeState(ctx: RecoverContext, deps: DeployDeps): Promise<string[]> {
  try {
    const app = await deps.marathon.getApp(ctx.appId, { embed: ["app.tasks", "app.deployments"] });
    const versions = new Map<string, number>();
    for (const t of app.tasks ?? []) versions.set(t.version, (versions.get(t.version) ?? 0) + 1);
    const mix = [...versions].map(([v, n]) => `${n} task${n === 1 ? "" : "s"} of ${v}`).join(", ") || "no tasks";
    return [`state now: app version ${app.version}, ${app.tasksHealthy}/${app.instances ?? 1} healthy, ${mix}; deployments running: ${app.deployments.map((d) => d.id).join(", ") || "none"}`];
  } catch (error) {
    return [`state unknown: cannot read the app (${(error as Error).message})`];
  }
}
