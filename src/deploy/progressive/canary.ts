/**
 * `--strategy canary`: the new version runs as `<id>-canary` in the stable
 * app's Traefik service, so traffic splits by running instances. Each step
 * starts canary instances first, then stops as many stable ones (the public
 * rule never loses a backend), then the gate decides. After the last step the
 * stable app gets the new definition through the ordinary deploy (planned,
 * verified, rolled back on failure) and the canary is removed.
 *
 * Every way out: verified success; the canary removed and the stable app back
 * at its instances, verified (exit 1, 4 after the time limit); or exit 5 naming
 * what runs and `mdeploy rollback <env>`, which finishes the clean-up.
 */
import type { CanarySettings } from "../../config/types.js";
import { resolveSecretPlaceholders } from "../../core/secret-placeholders.js";
import { DeploymentFailedError, DeploymentTimedOutError, MdeployError, PreflightRefusedError, ValidationError } from "../../errors.js";
import type { AppDefinition, AppStatus } from "../../marathon/types.js";
import { snapshotFromAgents } from "../../plan/cluster-snapshot.js";
import { needsPerson } from "../apply-write.js";
import { isUnchangedRedeploy } from "../app-provenance.js";
import { defaultTimeoutMs } from "../default-timeout.js";
import { deployApp, type DeployAppOptions, type DeployDeps } from "../deploy-app.js";
import type { DeployResult } from "../deploy-result.js";
import { withoutStateFields } from "../replan-version.js";
import { DEFAULT_INTERRUPT_GRACE_MS, startRunLimits, type RunLimits } from "../run-limits.js";
import { isVerified } from "../verify-app.js";
import { CANARY_OF_LABEL, CANARY_STABLE_INSTANCES_LABEL, CANARY_STEPS_LABEL, GATES_LABEL } from "./copy-labels.js";
import { removeAndWait, stateOf, writeAndVerify, type CopyDeps, type CopyOutcome } from "./copy-writes.js";
import { runGate, type GateFetch, type GateResult } from "./gates.js";
import { formatProgressivePlan, planCanary, type CanaryPlan, type CanaryStep } from "./progressive-plan.js";
import { sharedServiceProblem } from "./traefik-labels.js";

/** What the progressive engines need beyond a deploy's. */
export interface ProgressiveDeps extends DeployDeps {
  /** How gates reach HTTP probes and Prometheus (global fetch by default). */
  fetch?: GateFetch;
}

/** A step as it went: the counts, and the gate's checks. */
export interface StepRecord {
  step: CanaryStep;
  gate: GateResult;
}

/** A verified progressive deploy: the stable app's deploy result and what led to it. */
export interface ProgressiveResult extends DeployResult {
  progressive: { strategy: "canary"; plan: CanaryPlan; steps: StepRecord[] } | { strategy: "blue-green"; greenId: string; gate: GateResult; switchedAt: string };
}

/** Deploys `options.app` as a canary; see the module comment. */
export async function deployCanary(options: DeployAppOptions, settings: CanarySettings, deps: ProgressiveDeps): Promise<DeployResult | ProgressiveResult> {
  const { marathon, clock, progress } = deps;
  const env = options.environment;
  const app = resolveSecretPlaceholders(options.app, options.env, deps.output.redactor, { environment: env, emptySecretsAllowed: options.emptySecretsAllowed ?? [] });
  const stable = await marathon.findApp(app.id, { embed: ["app.tasks", "app.deployments"] });
  if (!stable || isUnchangedRedeploy(stable, app)) {
    progress.line(stable ? `${env}: ${app.id} already runs this definition; nothing to canary` : `${env}: ${app.id} is not deployed yet: a first deploy has no stable version to compare with, so it is a rolling one`);
    return deployApp(options, deps);
  }
  const problem = sharedServiceProblem(app.labels, app.id);
  if (problem) throw new ValidationError(`${env}: strategy canary: ${problem}`, ["nothing was sent to Marathon"]);
  const instances = stable.instances ?? 1;
  const cluster = deps.mesos ? snapshotFromAgents(await deps.mesos.getAgents()) : undefined;
  const plan = planCanary(app, instances, settings, cluster);
  for (const line of formatProgressivePlan(plan, env)) progress.line(line);
  await refuseUnlessReady(stable, plan, app, options, deps);

  const canaryFor = (step: CanaryStep): AppDefinition => ({
    ...app,
    id: plan.canaryId,
    instances: step.canary,
    labels: {
      ...app.labels,
      [CANARY_OF_LABEL]: app.id,
      [CANARY_STABLE_INSTANCES_LABEL]: String(instances),
      [CANARY_STEPS_LABEL]: plan.steps.map((s) => `${s.asked}=${s.canary}/${s.stable}`).join(","),
      [GATES_LABEL]: plan.gates.join("; "),
    },
  });
  for (const hook of deps.preflight ?? []) {
    const note = await hook(canaryFor(plan.steps[0] ?? { index: 1, asked: "", canary: 1, stable: instances, share: 0 }));
    if (note) progress.line(note);
  }

  const perStepMs = defaultTimeoutMs(app) + settings.windowSeconds * 1000;
  const timeoutMs = options.timeoutMs ?? (plan.steps.length + 1) * perStepMs;
  const start = clock.now();
  const interruptGraceMs = options.interruptGraceMs ?? DEFAULT_INTERRUPT_GRACE_MS;
  const limits = startRunLimits(clock, start + timeoutMs, start + timeoutMs + defaultTimeoutMs(stable), interruptGraceMs, deps.interrupts);
  const leave = options.onInterrupt === "leave";
  progress.line(`  time limit: ${Math.round(timeoutMs / 1000)} s for the canary (--timeout), then up to ${Math.round(defaultTimeoutMs(stable) / 1000)} s to clean up; on SIGINT/SIGTERM: ${leave ? "leave the canary as it is (exit 5)" : `remove the canary within ${Math.round(interruptGraceMs / 1000)} s`}`);
  const ctx: CanaryContext = { env, app, stable, plan, limits, deps, records: [], leave };
  let stableNow = instances;
  try {
    for (const step of plan.steps) {
      progress.start(`canary-step-${step.index}`, `${env}: canary step ${step.index}/${plan.steps.length} (${step.asked}): ${plan.canaryId} ${step.canary}, ${app.id} ${step.stable}`);
      const started = await writeAndVerify({ environment: env, appId: plan.canaryId, make: () => canaryFor(step), deadline: start + timeoutMs, signal: limits.follow }, deps);
      if (started.kind !== "verified") return await abort(ctx, `step ${step.index}: the canary did not verify`, started);
      if (stableNow !== step.stable) {
        const scaled = await writeAndVerify({ environment: env, appId: app.id, make: (now) => scaledTo(now ?? stable, step.stable), deadline: start + timeoutMs, signal: limits.follow }, deps);
        if (scaled.kind !== "verified") return await abort(ctx, `step ${step.index}: scaling ${app.id} to ${step.stable} did not verify`, scaled);
        stableNow = step.stable;
      }
      progress.line(`  step ${step.index}: ${plan.canaryId} ${step.canary}, ${app.id} ${step.stable} healthy: ${step.share}% of ${app.id}'s traffic on the new version; gate:`);
      let gate: GateResult;
      try {
        gate = await runGate(plan.canaryId, step.canary, settings, { marathon, clock, ...(deps.fetch ? { fetch: deps.fetch } : {}) }, limits.follow, start + timeoutMs);
      } catch (error) {
        if (!limits.follow.aborted) throw error;
        return await abort(ctx, `step ${step.index}: stopped during the gate`, { kind: "stopped", reason: String(limits.follow.reason) });
      }
      for (const check of gate.checks) progress.line(`    ${check.passed ? "pass" : "FAIL"}: ${check.name}: ${check.detail}`);
      ctx.records.push({ step, gate });
      progress.end(`canary-step-${step.index}`);
      if (gate.timedOut) return await abort(ctx, `step ${step.index}: stopped during the gate`, { kind: "stopped", reason: "deadline" }, true);
      if (!gate.passed) {
        const failed = gate.checks.find((c) => !c.passed);
        return await abort(ctx, `step ${step.index}: gate failed`, { kind: "failed", reason: `${failed?.name ?? "gate"}: ${failed?.detail ?? "failed"}`, details: [] });
      }
    }
  } catch (error) {
    // An abort's verdict or a bug: either way the timers stop here (disposing twice is harmless).
    limits.dispose();
    throw error;
  } finally {
    progress.settle();
  }
  return await promote(ctx, options);
}

interface CanaryContext {
  env: string;
  app: AppDefinition;
  /** The stable app as it was before the first step. */
  stable: AppStatus;
  plan: CanaryPlan;
  limits: RunLimits;
  deps: ProgressiveDeps;
  records: StepRecord[];
  /** `--on-interrupt leave`: a signal leaves the canary and the stable app as they are. */
  leave: boolean;
}

/** Refuses (exit 3, nothing written) when a canary is left from an earlier run, the stable app is mid-deployment, or the first step has no room. */
async function refuseUnlessReady(stable: AppStatus, plan: CanaryPlan, app: AppDefinition, options: DeployAppOptions, deps: ProgressiveDeps): Promise<void> {
  const env = options.environment;
  const leftover = await deps.marathon.findApp(plan.canaryId, { embed: ["app.tasks"] });
  if (leftover && leftover.labels?.[CANARY_OF_LABEL] !== app.id) {
    throw new PreflightRefusedError(`${env}: ${plan.canaryId} exists and is not a canary of ${app.id} (no ${CANARY_OF_LABEL} label naming it): an app of its own that a canary must not take over; nothing was sent`, [`deploy ${app.id} with --strategy rolling, or give the other app another id`]);
  }
  if (leftover) {
    throw new PreflightRefusedError(`${env}: ${plan.canaryId} already exists (${leftover.tasksRunning ?? 0} running, version ${leftover.version}): a canary from an earlier run; nothing was sent`, [`mdeploy rollback ${env} removes it and scales ${app.id} back`]);
  }
  const running = stable.deployments ?? [];
  if (running.length > 0) throw new PreflightRefusedError(`${env}: ${app.id} has deployment ${running.map((d) => d.id).join(", ")} running; a canary starts from a settled app; nothing was sent`, ["wait for it (mdeploy status shows it) and run the job again"]);
  if (plan.room && !plan.room.fits) throw new PreflightRefusedError(`${env}: refused before any change: ${plan.room.verdict}; nothing was sent`, ["free capacity, or use smaller steps (canary.steps in mdeploy.yml)"]);
}

/** The running app's definition with another instance count: Marathon plans a scale, no restart. */
function scaledTo(app: AppStatus, instances: number): AppDefinition {
  return { ...withoutStateFields(app), instances };
}

/** The last step passed: the stable app gets the new version through the ordinary deploy, then the canary goes. */
async function promote(ctx: CanaryContext, options: DeployAppOptions): Promise<ProgressiveResult> {
  const { env, app, plan, deps, limits } = ctx;
  // The steps were shares of the instances that ran; the new version gets the instances its definition asks for.
  const instances = options.app.instances ?? plan.instances;
  deps.progress.line(`${env}: every gate passed; ${app.id} gets the new version (${instances} instances), then ${plan.canaryId} is removed`);
  let result: DeployResult;
  try {
    result = await deployApp({ ...options, app: { ...options.app, instances } }, deps);
  } catch (error) {
    if (!(error instanceof MdeployError)) throw error;
    if (error.exitCode === 5) {
      limits.dispose();
      throw needsPerson(`${env}: promoting the canary failed and ${app.id}'s rollback did not finish: ${error.message}`, [...error.details.filter((d) => !d.startsWith("to finish the job")), await stateOf(plan.canaryId, deps)], `mdeploy rollback ${env}`);
    }
    return await abort(ctx, "promoting the canary to the stable app failed", { kind: "failed", reason: error.message, details: [...error.details] });
  }
  try {
    const removed = await removeAndWait(plan.canaryId, limits.cleanupDeadline(), limits.cleanup, deps);
    if (removed.kind !== "removed") {
      throw needsPerson(`${env}: ${app.id} runs the new version ${result.version}, verified, but ${plan.canaryId} could not be removed: ${removed.reason}`, [await stateOf(plan.canaryId, deps)], `mdeploy rollback ${env} (removes the canary; ${app.id} keeps its version)`);
    }
    deps.progress.line(`${env}: ${plan.canaryId} removed; ${app.id} version ${result.version} serves all traffic`);
    return { ...result, progressive: { strategy: "canary", plan, steps: ctx.records } };
  } finally {
    limits.dispose();
  }
}

/**
 * A step failed, the time ran out, or a signal came: remove the canary (its
 * room is what the stable app may need), scale the stable app back, verify it.
 */
async function abort(ctx: CanaryContext, what: string, outcome: Exclude<CopyOutcome, { kind: "verified" }>, outOfTime = false): Promise<never> {
  const { env, app, stable, plan, limits, deps } = ctx;
  const signal = limits.interruptedBy();
  const timedOut = !signal && (outOfTime || limits.follow.aborted);
  const why = signal ? `interrupted by ${signal}` : timedOut ? "the time limit (--timeout) ran out" : outcome.kind === "failed" ? outcome.reason : `stopped (${outcome.reason})`;
  const headline = `${env}: canary of ${app.id} aborted at ${what}: ${why}`;
  deps.progress.line(headline);
  const gates = ctx.records.map((r) => `step ${r.step.index}: gate ${r.gate.passed ? "passed" : "failed"}`);
  if (signal && ctx.leave) {
    limits.dispose();
    throw needsPerson(`${headline}; left as it is (--on-interrupt leave)`, [...gates, await stateOf(app.id, deps), await stateOf(plan.canaryId, deps)], `mdeploy rollback ${env} (removes ${plan.canaryId}, scales ${app.id} back to ${plan.instances})`);
  }
  deps.progress.start("canary-abort", `${env}: remove ${plan.canaryId}, scale ${app.id} back to ${plan.instances}`);
  try {
    const restored = await restoreStable(env, app.id, plan.canaryId, plan.instances, stable, limits, deps);
    const details = [...(outcome.kind === "failed" ? outcome.details : []), ...gates];
    if (restored.kind === "unfinished") throw needsPerson(`${headline}; the clean-up did not finish: ${restored.problem}`, [...details, ...restored.facts], `mdeploy rollback ${env}`);
    const summary = `${plan.canaryId} removed; ${app.id} back at ${plan.instances} instance${plan.instances === 1 ? "" : "s"} of its version, verified`;
    if (timedOut) throw new DeploymentTimedOutError(`${headline}; ${summary}`, details);
    throw new DeploymentFailedError(`${headline}; ${summary}`, details);
  } finally {
    deps.progress.end("canary-abort");
    limits.dispose();
  }
}

/** What putting the stable app back came to. */
export type StableRestore = { kind: "restored" } | { kind: "unfinished"; problem: string; facts: string[] };

/**
 * Removes the canary, scales the stable app back to `instances` and verifies it
 * still runs the configuration it had (`before`). Shared with `mdeploy rollback`.
 */
export async function restoreStable(env: string, appId: string, canaryId: string, instances: number, before: AppStatus | undefined, limits: Pick<RunLimits, "cleanup" | "cleanupDeadline">, deps: CopyDeps): Promise<StableRestore> {
  const facts = async () => [await stateOf(appId, deps), await stateOf(canaryId, deps)];
  // The canary goes to 0 instances first (its room is what the stable app may need) and is deleted only once the
  // stable app is back: while it exists its labels tell a later `mdeploy rollback` that a canary is to be undone.
  const emptyProblem = await scaleToNothing(env, canaryId, limits, deps);
  if (emptyProblem) return { kind: "unfinished", problem: emptyProblem, facts: await facts() };
  const scaled = await writeAndVerify({ environment: env, appId, make: (now) => scaledTo((now ?? before) as AppStatus, instances), deadline: limits.cleanupDeadline(), signal: limits.cleanup }, deps);
  if (scaled.kind !== "verified") return { kind: "unfinished", problem: scaled.kind === "failed" ? scaled.reason : `scaling ${appId} back was stopped (${scaled.reason})`, facts: await facts() };
  const configSince = (app: AppStatus | undefined) => app?.versionInfo?.lastConfigChangeAt ?? app?.version;
  if (before && configSince(scaled.app) !== configSince(before)) {
    return { kind: "unfinished", problem: `${appId} no longer runs the configuration of ${configSince(before)}: someone deployed it meanwhile`, facts: await facts() };
  }
  if (!isVerified(scaled.app, scaled.version)) return { kind: "unfinished", problem: `${appId} does not verify after scaling back`, facts: await facts() };
  const removed = await removeAndWait(canaryId, limits.cleanupDeadline(), limits.cleanup, deps);
  if (removed.kind !== "removed") return { kind: "unfinished", problem: removed.reason, facts: await facts() };
  return { kind: "restored" };
}

/** Scales the copy to 0 instances (a scale, no restart) unless it is gone or empty already; what went wrong, if anything. */
async function scaleToNothing(env: string, appId: string, limits: Pick<RunLimits, "cleanup" | "cleanupDeadline">, deps: CopyDeps): Promise<string | undefined> {
  let before: AppStatus | undefined;
  try {
    before = await deps.marathon.findApp(appId, { signal: limits.cleanup });
  } catch (error) {
    if (limits.cleanup.aborted) return `stopping ${appId} was stopped (${String(limits.cleanup.reason)})`;
    if (error instanceof MdeployError) return `cannot read ${appId}: ${error.message}`;
    throw error;
  }
  if (!before || (before.instances ?? 1) === 0) return undefined;
  const emptied = await writeAndVerify({ environment: env, appId, make: (now) => scaledTo(now ?? before, 0), force: true, deadline: limits.cleanupDeadline(), signal: limits.cleanup }, deps);
  if (emptied.kind === "verified") return undefined;
  return emptied.kind === "failed" ? emptied.reason : `stopping ${appId} was stopped (${emptied.reason})`;
}
