/**
 * `--strategy blue-green`: the new version comes up complete as `<id>-green`
 * behind a preview Host only, is verified and gated, then the public rule
 * moves to it: green gets the public labels first (both copies serve for a
 * moment), then blue gets `traefik.enable=false` (a standby that runs but gets
 * no traffic), so no moment has the public rule without a healthy backend.
 * Blue stays up for `keepSeconds`, when `mdeploy rollback <env>` puts it back
 * in front; after the window `<id>` gets the new version through the ordinary
 * deploy (the app id users and Traefik rules know stays the same) and the green
 * copy is removed.
 *
 * Traefik reads labels per app, not per task, so a label change moves the
 * traffic of every running task of that app at once; Marathon then restarts
 * the app's tasks for the new labels, which the switch waits for and verifies.
 */
import type { BlueGreenSettings } from "../../config/types.js";
import { resolveSecretPlaceholders } from "../../core/secret-placeholders.js";
import { DeploymentFailedError, DeploymentTimedOutError, MdeployError, PreflightRefusedError, ValidationError } from "../../errors.js";
import type { AppDefinition, AppStatus, UpgradeStrategy } from "../../marathon/types.js";
import { snapshotFromAgents } from "../../plan/cluster-snapshot.js";
import { planUpgrade } from "../../plan/plan-upgrade.js";
import { needsPerson } from "../apply-write.js";
import { isUnchangedRedeploy } from "../app-provenance.js";
import { defaultTimeoutMs } from "../default-timeout.js";
import { isTransientReadFailure, messageOf } from "../failure-kinds.js";
import { deployApp, type DeployAppOptions } from "../deploy-app.js";
import type { DeployResult } from "../deploy-result.js";
import { FREE_ROOM_FIRST, withoutStateFields } from "../replan-version.js";
import { DEFAULT_INTERRUPT_GRACE_MS, startRunLimits, type RunLimits } from "../run-limits.js";
import type { ProgressiveDeps, ProgressiveResult } from "./canary.js";
import { BLUE_GREEN_LABEL, GATES_LABEL, STANDBY_UNTIL_LABEL } from "./copy-labels.js";
import { removeAndWait, stateOf, writeAndVerify, type CopyOutcome } from "./copy-writes.js";
import { runGate, type GateResult } from "./gates.js";
import { formatProgressivePlan, planBlueGreen, type BlueGreenPlan } from "./progressive-plan.js";
import { defaultPreviewHost, previewLabels, sharedServiceProblem, withoutTraffic } from "./traefik-labels.js";

/** How often the keep window looks whether someone switched back. */
const KEEP_POLL_MS = 5_000;

/** Deploys `options.app` blue/green; see the module comment. */
export async function deployBlueGreen(options: DeployAppOptions, settings: BlueGreenSettings, deps: ProgressiveDeps): Promise<DeployResult | ProgressiveResult> {
  const { marathon, clock, progress } = deps;
  const env = options.environment;
  const app = resolveSecretPlaceholders(options.app, options.env, deps.output.redactor, { environment: env, emptySecretsAllowed: options.emptySecretsAllowed ?? [] });
  const blue = await marathon.findApp(app.id, { embed: ["app.tasks", "app.deployments"] });
  if (!blue || isUnchangedRedeploy(blue, app)) {
    progress.line(blue ? `${env}: ${app.id} already runs this definition; nothing to switch to` : `${env}: ${app.id} is not deployed yet: a first deploy has nothing to switch from, so it is a rolling one`);
    return deployApp(options, deps);
  }
  const problem = sharedServiceProblem(app.labels, app.id) ?? sharedServiceProblem(blue.labels, `the running ${app.id}`);
  if (problem) throw new ValidationError(`${env}: strategy blue-green: ${problem}`, ["nothing was sent to Marathon"]);
  const previewHost = settings.previewHost ?? defaultPreviewHost(app.labels);
  if (!previewHost) throw new ValidationError(`${env}: strategy blue-green: no Host in ${app.id}'s Traefik rules to make a preview host from; set blueGreen.previewHost in mdeploy.yml`, ["nothing was sent to Marathon"]);
  const instances = app.instances ?? blue.instances ?? 1;
  const cluster = deps.mesos ? snapshotFromAgents(await deps.mesos.getAgents()) : undefined;
  const plan = planBlueGreen(app, instances, settings, previewHost, cluster);
  for (const line of formatProgressivePlan(plan, env)) progress.line(line);
  if (plan.room && !plan.room.fits) throw new PreflightRefusedError(`${env}: refused before any change: ${plan.room.verdict}`, ["blue/green runs two complete copies at once: free capacity, or deploy with --strategy canary or auto", "nothing was sent to Marathon"]);
  const leftover = await marathon.findApp(plan.greenId);
  const leftoverPart = leftover?.labels?.[BLUE_GREEN_LABEL];
  if (leftover && leftoverPart !== "preview" && leftoverPart !== "live") throw new PreflightRefusedError(`${env}: ${plan.greenId} exists and is not a blue/green copy of ${app.id} (no ${BLUE_GREEN_LABEL} label): an app of its own that blue/green must not take over; nothing was sent`, [`deploy ${app.id} with --strategy rolling, or give the other app another id`]);
  if (leftover) throw new PreflightRefusedError(`${env}: ${plan.greenId} already exists (version ${leftover.version}): a blue/green copy from an earlier run; nothing was sent`, [`mdeploy rollback ${env} puts ${app.id} back in front and removes it`]);
  if ((blue.deployments ?? []).length > 0) throw new PreflightRefusedError(`${env}: ${app.id} has deployment ${(blue.deployments ?? []).map((d) => d.id).join(", ")} running; blue/green starts from a settled app; nothing was sent`, ["wait for it (mdeploy status shows it) and run the job again"]);

  const greenLabels = { [BLUE_GREEN_LABEL]: "preview", [GATES_LABEL]: plan.gates.join("; ") };
  const green: AppDefinition = { ...app, id: plan.greenId, instances, labels: { ...previewLabels(app.labels ?? {}, previewHost), ...greenLabels } };
  for (const hook of deps.preflight ?? []) {
    const note = await hook(green);
    if (note) progress.line(note);
  }

  const timeoutMs = options.timeoutMs ?? 3 * defaultTimeoutMs(app) + settings.windowSeconds * 1000;
  const start = clock.now();
  const interruptGraceMs = options.interruptGraceMs ?? DEFAULT_INTERRUPT_GRACE_MS;
  const limits = startRunLimits(clock, start + timeoutMs, start + timeoutMs + defaultTimeoutMs(blue), interruptGraceMs, deps.interrupts);
  const leave = options.onInterrupt === "leave";
  progress.line(`  time limit: ${Math.round(timeoutMs / 1000)} s up to the switch (--timeout); on SIGINT/SIGTERM before it: ${leave ? `leave ${plan.greenId} as it is (exit 5)` : `remove ${plan.greenId} within ${Math.round(interruptGraceMs / 1000)} s`}`);
  const ctx: GreenContext = { env, app, blue, plan, limits, deps, leave };
  const deadline = start + timeoutMs;

  let left: CopyOutcome;
  let gate: GateResult;
  let switchedAt: string;
  let until: string;
  try {
    progress.start("green", `${env}: start ${plan.greenId} (${instances} instances) on Host ${previewHost}`);
    const started = await writeAndVerify({ environment: env, appId: plan.greenId, make: () => green, deadline, signal: limits.follow }, deps);
    progress.end("green");
    if (started.kind !== "verified") return await abortGreen(ctx, `${plan.greenId} did not verify`, started);
    progress.line(`  ${plan.greenId}: ${instances}/${instances} healthy on ${previewHost}; gate:`);
    try {
      gate = await runGate(plan.greenId, instances, settings, { marathon, clock, ...(deps.fetch ? { fetch: deps.fetch } : {}) }, limits.follow, deadline);
    } catch (error) {
      if (!limits.follow.aborted) throw error;
      return await abortGreen(ctx, "stopped during the gate", { kind: "stopped", reason: String(limits.follow.reason) });
    }
    for (const check of gate.checks) progress.line(`    ${check.passed ? "pass" : "FAIL"}: ${check.name}: ${check.detail}`);
    if (gate.timedOut) return await abortGreen(ctx, "stopped during the gate", { kind: "stopped", reason: "deadline" }, true);
    if (!gate.passed) {
      const failed = gate.checks.find((c) => !c.passed);
      return await abortGreen(ctx, "gate failed", { kind: "failed", reason: `${failed?.name ?? "gate"}: ${failed?.detail ?? "failed"}`, details: [] });
    }

    // The switch: green joins the public service, then blue leaves it; each waits for its restart to verify.
    progress.start("switch", `${env}: switch ${app.id}'s public rule to ${plan.greenId}`);
    const live: AppDefinition = { ...app, id: plan.greenId, instances, labels: { ...app.labels, [BLUE_GREEN_LABEL]: "live", [GATES_LABEL]: plan.gates.join("; ") } };
    const liveStrategy = await restartStrategy(plan.greenId, live, deps);
    const joined = await writeAndVerify({ environment: env, appId: plan.greenId, make: () => ({ ...live, upgradeStrategy: liveStrategy }), deadline, signal: limits.follow }, deps);
    if (joined.kind !== "verified") return await abortGreen(ctx, `${plan.greenId} did not verify with the public labels`, joined);
    switchedAt = new Date(clock.now()).toISOString();
    until = new Date(clock.now() + settings.keepSeconds * 1000).toISOString();
    const standbyOf = (now: AppStatus | undefined): AppDefinition => {
      const current = withoutStateFields(now ?? blue);
      return { ...current, labels: withoutTraffic({ ...(current.labels ?? {}), [BLUE_GREEN_LABEL]: "standby", [STANDBY_UNTIL_LABEL]: until }) };
    };
    const standbyStrategy = await restartStrategy(app.id, standbyOf(blue), deps);
    left = await writeAndVerify({ environment: env, appId: app.id, make: (now) => ({ ...standbyOf(now), upgradeStrategy: standbyStrategy }), deadline: limits.cleanupDeadline(), signal: limits.cleanup }, deps);
  } finally {
    // Every way out of the run-up (an abort's verdict, a bug) stops the timers; the keep window has its own bounds.
    limits.dispose();
  }
  progress.end("switch");
  if (left.kind !== "verified") {
    throw needsPerson(`${env}: ${plan.greenId} serves ${app.id}'s public rule (verified), but taking ${app.id} out of it did not finish: ${left.reason}`, [await stateOf(app.id, deps), await stateOf(plan.greenId, deps), "both copies may be serving the public rule"], `mdeploy rollback ${env} (puts ${app.id} back alone)`);
  }
  progress.line(`${env}: switched: ${plan.greenId} serves ${app.id}'s public rule; ${app.id} is on standby until ${until} (mdeploy rollback ${env} switches back)`);

  await keepWindow(ctx, settings.keepSeconds * 1000);
  return await finish(ctx, options, gate, switchedAt);
}

interface GreenContext {
  env: string;
  app: AppDefinition;
  blue: AppStatus;
  plan: BlueGreenPlan;
  limits: RunLimits;
  deps: ProgressiveDeps;
  /** `--on-interrupt leave`: a signal before the switch leaves green on its preview Host. */
  leave: boolean;
}

/**
 * A restart strategy today's capacity can carry for a copy whose labels change
 * (its own instances make the room); without Mesos, old tasks stop first.
 */
async function restartStrategy(appId: string, target: AppDefinition, deps: ProgressiveDeps): Promise<UpgradeStrategy> {
  if (!deps.mesos) return { ...FREE_ROOM_FIRST };
  try {
    const [now, agents] = await Promise.all([deps.marathon.findApp(appId, { embed: ["app.tasks"] }), deps.mesos.getAgents()]);
    const { upgradeStrategy: _own, ...definition } = target;
    const plan = planUpgrade({ cluster: snapshotFromAgents(agents), ...(now ? { running: now } : {}), target: definition, mode: "auto" });
    return plan.feasible ? plan.strategy : { ...FREE_ROOM_FIRST };
  } catch (error) {
    if (!isTransientReadFailure(error)) throw error;
    deps.progress.line(`  cannot plan ${appId}'s restart against today's capacity (${messageOf(error)}); old tasks stop first`);
    return { ...FREE_ROOM_FIRST };
  }
}

/** Waits out the keep window; someone's `mdeploy rollback` meanwhile ends the deploy (exit 1), a signal with exit 5. */
async function keepWindow(ctx: GreenContext, keepMs: number): Promise<void> {
  const { env, app, plan, deps } = ctx;
  const end = deps.clock.now() + keepMs;
  const stop = deps.interrupts?.first;
  for (let look = 0; look < 100_000 && deps.clock.now() < end; look++) {
    try {
      await deps.clock.sleep(Math.min(KEEP_POLL_MS, end - deps.clock.now()), stop);
    } catch (error) {
      if (!stop?.aborted) throw error;
      throw needsPerson(`${env}: interrupted by ${String(stop.reason)} during the keep window: ${plan.greenId} serves ${app.id}'s public rule (verified), ${app.id} runs on standby`, [await stateOf(app.id, deps), await stateOf(plan.greenId, deps)], `mdeploy rollback ${env} (back to ${app.id})`);
    }
    const green = await deps.marathon.findApp(plan.greenId);
    if (green?.labels?.[BLUE_GREEN_LABEL] !== "live") {
      throw new DeploymentFailedError(`${env}: switched back during the keep window (mdeploy rollback): ${app.id} serves its previous version again`, [await stateOf(app.id, deps), await stateOf(plan.greenId, deps)]);
    }
  }
}

/** After the window: `<id>` takes the new version (public labels, verified), then the green copy goes. */
async function finish(ctx: GreenContext, options: DeployAppOptions, gate: GateResult, switchedAt: string): Promise<ProgressiveResult> {
  const { env, app, plan, deps } = ctx;
  deps.progress.line(`${env}: keep window over; ${app.id} gets the new version, then ${plan.greenId} is removed`);
  let result: DeployResult;
  try {
    result = await deployApp({ ...options, app: { ...options.app, instances: plan.instances } }, deps);
  } catch (error) {
    if (!(error instanceof MdeployError)) throw error;
    throw needsPerson(`${env}: ${plan.greenId} serves the new version, but ${app.id} could not take it over: ${error.message}`, [...error.details.filter((d) => !d.startsWith("to finish the job")), await stateOf(app.id, deps), await stateOf(plan.greenId, deps)], `mdeploy rollback ${env} (back to ${app.id}'s previous version)`);
  }
  const graceEnd = deps.clock.now() + defaultTimeoutMs(app);
  const removed = await removeAndWait(plan.greenId, graceEnd, deps.interrupts?.second ?? new AbortController().signal, deps);
  if (removed.kind !== "removed") {
    throw needsPerson(`${env}: ${app.id} runs the new version ${result.version}, verified, but ${plan.greenId} could not be removed: ${removed.reason}`, [await stateOf(plan.greenId, deps)], `mdeploy rollback ${env} (removes ${plan.greenId}; ${app.id} keeps its version)`);
  }
  deps.progress.line(`${env}: ${plan.greenId} removed; ${app.id} version ${result.version} serves the public rule`);
  return { ...result, progressive: { strategy: "blue-green", greenId: plan.greenId, gate, switchedAt } };
}

/** Before the switch: remove the green copy (blue never stopped serving) and say why the deploy ended. */
async function abortGreen(ctx: GreenContext, what: string, outcome: Exclude<CopyOutcome, { kind: "verified" }>, outOfTime = false): Promise<never> {
  const { env, app, plan, limits, deps } = ctx;
  const signal = limits.interruptedBy();
  const timedOut = !signal && (outOfTime || limits.follow.aborted);
  const why = signal ? `interrupted by ${signal}` : timedOut ? "the time limit (--timeout) ran out" : outcome.kind === "failed" ? outcome.reason : `stopped (${outcome.reason})`;
  const headline = `${env}: blue/green of ${app.id} aborted: ${what}: ${why}`;
  deps.progress.line(headline);
  if (signal && ctx.leave) {
    limits.dispose();
    throw needsPerson(`${headline}; left as it is (--on-interrupt leave): ${app.id} serves, ${plan.greenId} only its preview Host`, [await stateOf(app.id, deps), await stateOf(plan.greenId, deps)], `mdeploy rollback ${env} (removes ${plan.greenId})`);
  }
  try {
    const removed = await removeAndWait(plan.greenId, limits.cleanupDeadline(), limits.cleanup, deps);
    const details = outcome.kind === "failed" ? outcome.details : [];
    if (removed.kind !== "removed") throw needsPerson(`${headline}; removing ${plan.greenId} did not finish: ${removed.reason}`, [...details, await stateOf(app.id, deps), await stateOf(plan.greenId, deps)], `mdeploy rollback ${env}`);
    const summary = `${plan.greenId} removed; ${app.id} kept serving throughout`;
    if (timedOut) throw new DeploymentTimedOutError(`${headline}; ${summary}`, details);
    throw new DeploymentFailedError(`${headline}; ${summary}`, details);
  } finally {
    limits.dispose();
  }
}
