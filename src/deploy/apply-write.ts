/**
 * The one way mdeploy changes an app, shared by deploy, its automatic rollback
 * and `mdeploy rollback`: Marathon's lock, ambiguous answers and definitions
 * that change nothing are handled here, the same for all of them.
 *
 * - 409 (locked by another deployment): wait for it (up to the lock deadline),
 *   then prepare again from the app as it is now, so what is sent and what
 *   would be restored is what ran after the wait. `--force` cancels it instead
 *   and says which deployment it cancelled.
 * - An answer that "may have applied" (no answer, reset, proxy 502/503/504, a
 *   2xx with an empty, cut or non-JSON body): read the app back; follow what
 *   is really there, or send again when nothing was applied. A refused
 *   connection (nothing sent) is sent again too. Bounded.
 * - A definition equal to the running one while tasks of an older
 *   configuration still run: Marathon would plan nothing, so the app is
 *   restarted (POST /v2/apps/{id}/restart) to replace them.
 */
import type { Clock } from "../core/ports/clock.js";
import { DeploymentTimedOutError, NeedsPersonError, UnreachableError } from "../errors.js";
import { MarathonApiError, type MarathonClient } from "../marathon/client.js";
import type { AppDefinition, AppStatus, DeploymentResult } from "../marathon/types.js";
import { diffApps } from "../plan/diff-app.js";
import type { EventWatch } from "./event-watch.js";
import { isTransientReadFailure, messageOf, verdictOfWriteFailure } from "./failure-kinds.js";
import type { Progress } from "../core/ports/progress.js";
import { countTasks, isVerified } from "./verify-app.js";

/** The Marathon calls a write makes. */
export type WriteMarathon = Pick<MarathonClient, "findApp" | "putApp" | "rollbackApp" | "restartApp" | "getDeployments">;

export interface WriteDeps {
  marathon: WriteMarathon;
  clock: Clock;
  progress: Progress;
}

/** What to send, prepared from the app as it is at this moment. */
export type PreparedWrite =
  | {
      kind: "write";
      /** The app when this was prepared (undefined: it does not exist yet). */
      before: AppStatus | undefined;
      /** The whole definition the app should have afterwards. */
      definition: AppDefinition;
      /** Marathon's own rollback (`PUT {"version": v}`) instead of sending the definition. */
      rollbackTo?: string;
    }
  /** Nothing is to be sent (someone else's deployment took over): the reason, for the caller. */
  | { kind: "stop"; reason: string; current: AppStatus | undefined };

export interface WriteInput {
  environment: string;
  appId: string;
  /** Called before the first attempt (`afterWait` false) and again after every wait for another deployment. */
  prepare(afterWait: boolean): Promise<PreparedWrite>;
  force: boolean;
  /** Absolute time on the clock until which a 409 waits for the other deployment. */
  lockDeadline: number;
  /** For messages: the lock wait in seconds. */
  lockSeconds: number;
  /** Events of the app (a quick deployment may be over before the read-back). */
  watch?: EventWatch;
  signal?: AbortSignal;
}

export type WriteOutcome =
  | { kind: "sent"; result: DeploymentResult; prepared: Extract<PreparedWrite, { kind: "write" }>; how: "put" | "rollback" | "restart" }
  | { kind: "stop"; reason: string; current: AppStatus | undefined };

/** How many times one write is sent when answers say nothing was applied. */
const MAX_SENDS = 3;
/** Wait before sending again after "nothing applied" (a leader election takes a moment). */
const RESEND_DELAY_MS = 2_000;

/** Sends the prepared write with the lock, read-back and restart rules above. */
export async function applyWrite(input: WriteInput, deps: WriteDeps): Promise<WriteOutcome> {
  const { marathon, clock, progress } = deps;
  let sends = 0;
  let afterWait = false;
  for (let attempt = 0; attempt < 50; attempt++) {
    const prepared = await input.prepare(afterWait);
    if (prepared.kind === "stop") return prepared;
    const how = chooseHow(prepared);
    if (how === "restart" && prepared.before) {
      const c = countTasks(prepared.before, prepared.before.version);
      progress.line(`  ${input.appId}: the definition is unchanged but the app does not run it (${c.healthyNew}/${c.instances} healthy of it, ${c.runningOld} task(s) of an older configuration); Marathon would plan nothing, so mdeploy restarts the app`);
    }
    if (input.force) {
      const holding = (await marathon.getDeployments()).filter((d) => d.affectedApps.includes(absoluteId(input.appId)));
      if (holding.length > 0) progress.line(`  --force: cancelling deployment ${holding.map((d) => `${d.id} (version ${d.version})`).join(", ")} that holds ${input.appId}`);
    }
    sends++;
    try {
      const force = input.force ? { force: true } : {};
      const result =
        how === "restart"
          ? await marathon.restartApp(input.appId, force)
          : how === "rollback"
            ? await marathon.rollbackApp(input.appId, prepared.rollbackTo as string, force)
            : await marathon.putApp(prepared.definition, { partialUpdate: false, ...force });
      return { kind: "sent", result, prepared, how };
    } catch (error) {
      if (error instanceof MarathonApiError && error.status === 409 && !input.force) {
        const ids = error.lockingDeploymentIds;
        progress.line(`  ${input.appId} is locked by deployment ${ids.join(", ") || "(unknown)"}; waiting up to ${input.lockSeconds} s for it (--force would cancel it)`);
        if (!(await waitForDeployments(ids, input.appId, input.lockDeadline, deps, input.signal))) {
          throw new DeploymentTimedOutError(`${input.environment}: ${input.appId} stayed locked by deployment ${ids.join(", ") || "(unknown)"} for ${input.lockSeconds} s; nothing was changed`, [
            "wait for that deployment (mdeploy status shows it), or re-run with --force to cancel it",
          ]);
        }
        progress.line(`  the other deployment ended; reading ${input.appId} again and planning from what runs now`);
        afterWait = true;
        continue;
      }
      const verdict = verdictOfWriteFailure(error);
      if (verdict === undefined || verdict === "refused") throw error;
      if (verdict === "may-have-applied") {
        progress.line(`  ${messageOf(error)}; the change may have been applied: reading ${input.appId} back`);
        const applied = await readBack(prepared, how, input, deps);
        if (applied) {
          progress.line(`  the ${how === "restart" ? "restart" : "PUT"} was applied (version ${applied.version}${applied.deploymentId ? `, deployment ${applied.deploymentId}` : ""}); following it`);
          return { kind: "sent", result: applied, prepared, how };
        }
      } else {
        progress.line(`  ${messageOf(error)}; nothing was sent`);
      }
      if (sends >= MAX_SENDS) {
        throw new UnreachableError(`${input.environment}: Marathon did not take the change to ${input.appId} after ${sends} attempts, and the app is unchanged`, [
          `last answer: ${messageOf(error)}`,
          "nothing was changed; re-run the job when Marathon answers",
        ]);
      }
      progress.line(`  nothing was applied; sending it again in ${RESEND_DELAY_MS / 1000} s`);
      await clock.sleep(RESEND_DELAY_MS, input.signal);
      afterWait = false;
    }
  }
  throw new UnreachableError(`${input.environment}: gave up after repeated lock conflicts on ${input.appId}; nothing was changed`);
}

/**
 * PUT the definition, Marathon's own rollback, or a restart: when the definition
 * changes nothing, no deployment runs, and the app does not verify (tasks of an
 * older configuration left by a cancelled deployment, or too few), a PUT would be
 * an empty plan that never verifies.
 */
function chooseHow(prepared: Extract<PreparedWrite, { kind: "write" }>): "put" | "rollback" | "restart" {
  const before = prepared.before;
  if (before && (before.deployments ?? []).length === 0 && changesNothing(before, prepared.definition) && !isVerified(before, before.version)) return "restart";
  return prepared.rollbackTo ? "rollback" : "put";
}

/** Marathon plans nothing for a definition equal to the running one (instances aside: a scale keeps old tasks). */
function changesNothing(before: AppStatus, definition: AppDefinition): boolean {
  return diffApps(before, definition).every((c) => c.path === "instances") && (before.instances ?? 1) === (definition.instances ?? 1);
}

/**
 * After an answer that may have applied: the app carries the definition at a
 * version other than the one before, so it was. The deployment id comes from
 * the app, /v2/deployments, or (a deployment already over) the events.
 */
async function readBack(prepared: Extract<PreparedWrite, { kind: "write" }>, how: "put" | "rollback" | "restart", input: WriteInput, deps: WriteDeps): Promise<DeploymentResult | undefined> {
  // Not cancelled by the caller's stop: whether the change was applied must be known either way.
  const now = await deps.marathon.findApp(input.appId, { embed: ["app.deployments"] });
  if (!now || now.version === prepared.before?.version) return undefined;
  if (how === "restart") {
    if ((now.versionInfo?.lastConfigChangeAt ?? now.version) !== now.version) return undefined;
  } else if (!changesNothing(now, prepared.definition)) return undefined;
  let deploymentId = now.deployments?.[0]?.id;
  if (!deploymentId) {
    const deployments = await deps.marathon.getDeployments();
    deploymentId = deployments.find((d) => d.affectedApps.includes(absoluteId(input.appId)) && d.version === now.version)?.id;
  }
  deploymentId ??= (input.watch?.events ?? [])
    .map((e) => e as { plan?: { id?: unknown; version?: unknown } })
    .find((e) => e.plan?.version === now.version && typeof e.plan.id === "string")?.plan?.id as string | undefined;
  return { deploymentId: deploymentId ?? "", version: now.version };
}

/**
 * Waits until none of `ids` (or, when unknown, no deployment of the app) runs.
 * A read that fails for a passing reason is tried again; anything else (wrong
 * credentials) surfaces.
 */
export async function waitForDeployments(ids: readonly string[], appId: string, deadline: number, deps: Pick<WriteDeps, "marathon" | "clock" | "progress">, signal?: AbortSignal): Promise<boolean> {
  const { marathon, clock } = deps;
  const id = absoluteId(appId);
  let noted = false;
  for (let i = 0; i < 100_000 && clock.now() < deadline && !signal?.aborted; i++) {
    try {
      const running = await marathon.getDeployments(signal ? { signal } : {});
      const blocking = ids.length > 0 ? running.filter((d) => ids.includes(d.id)) : running.filter((d) => d.affectedApps.includes(id));
      if (blocking.length === 0) return true;
    } catch (error) {
      if (signal?.aborted || !isTransientReadFailure(error)) throw error;
      if (!noted) deps.progress.line(`  cannot read /v2/deployments (${messageOf(error)}); still waiting`);
      noted = true;
    }
    await clock.sleep(Math.min(1_000, Math.max(0, deadline - clock.now())), signal);
  }
  return false;
}

/** Marathon ids are absolute. */
export function absoluteId(appId: string): string {
  return appId.startsWith("/") ? appId : `/${appId}`;
}

/** What runs and what is open, from the last read of the app, for a person taking over. */
export function describeApp(app: AppStatus): string {
  const versions = new Map<string, number>();
  for (const t of app.tasks ?? []) versions.set(t.version, (versions.get(t.version) ?? 0) + 1);
  const mix = [...versions].map(([v, n]) => `${n} task${n === 1 ? "" : "s"} of ${v}`).join(", ") || "no tasks";
  return `state now: app version ${app.version}, ${app.tasksHealthy ?? 0}/${app.instances ?? 1} healthy, ${mix}; deployments running: ${(app.deployments ?? []).map((d) => d.id).join(", ") || "none"}`;
}

/** The exit-5 error: what runs, what is open, and the one command that finishes the job. */
export function needsPerson(headline: string, facts: readonly string[], finish: string): NeedsPersonError {
  return new NeedsPersonError(headline, [...facts, `to finish the job: ${finish}`]);
}
