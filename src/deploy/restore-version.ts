/**
 * The one restore, shared by deploy's automatic rollback and `mdeploy
 * rollback`: cancel our open deployment, put an earlier version back with a
 * strategy that can finish, wait for it to verify. It never restores over a
 * version someone else deployed after the one it replaces (another job's
 * verified deploy stays), and it never throws for the cluster's state: every
 * way out says what runs and what is open.
 */
import type { Clock } from "../core/ports/clock.js";
import { MdeployError } from "../errors.js";
import { MarathonApiError, type MarathonClient } from "../marathon/client.js";
import type { AppDefinition, AppStatus, DeploymentResult } from "../marathon/types.js";
import { applyWrite, describeApp, type PreparedWrite } from "./apply-write.js";
import type { EventWatch } from "./event-watch.js";
import { isTransientReadFailure, messageOf } from "./failure-kinds.js";
import { follow } from "./follow-with-progress.js";
import { marathonVersion, type MesosAgentsSource } from "./plan-deploy.js";
import type { Progress } from "../core/ports/progress.js";
import { definitionOfVersion, replanVersion, START_BESIDE_OLD, storedDefinition, strategyWithoutCapacity } from "./replan-version.js";
import { countTasks } from "./verify-app.js";

/** The Marathon calls a restore makes. */
export type RestoreMarathon = Pick<
  MarathonClient,
  "findApp" | "getApp" | "putApp" | "rollbackApp" | "restartApp" | "getAppVersion" | "getDeployments" | "deleteDeployment" | "getQueue" | "getInfo"
>;

export interface RestoreDeps {
  marathon: RestoreMarathon;
  mesos?: MesosAgentsSource;
  clock: Clock;
  progress: Progress;
}

export interface RestoreInput {
  environment: string;
  appId: string;
  /** The version to put back. */
  version: string;
  /** The version being replaced: if the app moves past it, someone else deployed and nothing is restored over them. */
  replacing: string;
  /** Our deployment, still open: cancelled first. */
  cancel?: string;
  /** Labels added to the restored definition. */
  labels?: Record<string, string>;
  /** Cancel a deployment of someone else holding the app. */
  force: boolean;
  /** Without Mesos: a strategy that frees room first (after a stuck deploy), or the version's own stored strategy (a person's `mdeploy rollback`). */
  withoutCapacity: "free-room-first" | "marathon-rollback";
  /** Absolute time (clock) the restore must be verified by. */
  deadline: number;
  /** How long a 409 may wait, at most (seconds, for messages). */
  lockSeconds: number;
  watch: EventWatch;
  /** Stops the restore at once (second signal, the command's time is up). */
  signal?: AbortSignal;
}

export type RestoreOutcome =
  | { kind: "restored"; result: DeploymentResult; app: AppStatus; summary: string }
  /** Someone else changed or deleted the app; `finish` is the one command for a person. */
  | { kind: "superseded"; reason: string; facts: string[]; finish: string }
  | { kind: "unfinished"; problem: string; facts: string[] };

/** Restores `input.version` and verifies it; see the module comment. */
export async function restoreVersion(input: RestoreInput, deps: RestoreDeps): Promise<RestoreOutcome> {
  const { marathon, progress } = deps;
  let lastSeen: AppStatus | undefined;
  const unfinished = async (problem: string, extra: string[] = []): Promise<RestoreOutcome> => ({ kind: "unfinished", problem, facts: [...extra, await describeState(input, deps, lastSeen)] });
  const stoppedBecause = () => `stopped (${String(input.signal?.reason ?? "")}) before it finished`;
  try {
    if (input.cancel) {
      const problem = await cancelDeployment(input.cancel, input, deps);
      if (problem) return await unfinished(problem);
    }
    let definition: AppDefinition | undefined;
    const readApp = () => marathon.findApp(input.appId, { embed: ["app.tasks", "app.readiness", "app.deployments"], ...(input.signal ? { signal: input.signal } : {}) });
    // Deleted by someone else: its versions went with it, and mdeploy does not recreate what a person removed.
    const deleted: PreparedWrite = { kind: "stop", reason: `someone deleted ${input.appId}; mdeploy does not recreate it`, current: undefined };
    const prepare = async (afterWait: boolean): Promise<PreparedWrite> => {
      // Planning may wait for room; the app is read after it, right before the write, so a
      // version another job deployed meanwhile is seen.
      if (!definition || afterWait) {
        if (!(await readApp())) return deleted;
        definition = await restoreDefinition(input, deps);
      }
      const current = await readApp();
      lastSeen = current;
      if (!current) return deleted;
      if (current.version !== input.replacing && current.version > input.replacing) {
        return { kind: "stop", reason: `another deployment changed ${input.appId} to version ${current.version} after ${input.replacing}; mdeploy does not restore over it`, current };
      }
      return { kind: "write", before: current, definition };
    };
    const write = await applyWrite(
      { environment: input.environment, appId: input.appId, prepare, force: input.force, lockDeadline: input.deadline, lockSeconds: input.lockSeconds, watch: input.watch, ...(input.signal ? { signal: input.signal } : {}) },
      deps,
    );
    if (write.kind === "stop") {
      if (!write.current) return { kind: "superseded", reason: write.reason, facts: [`runs: nothing; ${input.appId} no longer exists`], finish: `mdeploy deploy ${input.environment} (only if the app should exist again)` };
      return { kind: "superseded", reason: write.reason, facts: [describeApp(write.current)], finish: someoneElses(input.environment) };
    }
    const put = write.result;
    progress.line(`  restoring version ${input.version} as ${put.version}${write.how === "restart" ? " (restart)" : ""} (deployment ${put.deploymentId || "already finished"})`);
    const outcome = await follow(deps, input.watch, input.appId, put, input.deadline, input.signal);
    if (outcome.kind === "success") {
      const c = countTasks(outcome.app, outcome.version);
      return { kind: "restored", result: put, app: outcome.app, summary: `previous version ${input.version} is back (as ${outcome.version}): ${c.healthyNew}/${c.instances} healthy` };
    }
    if (input.signal?.aborted) return await unfinished(`the restore was ${stoppedBecause()}`, outcome.details);
    if (outcome.kind === "superseded") return { kind: "superseded", reason: `another deployment replaced the restore (version ${outcome.byVersion})`, facts: outcome.details, finish: someoneElses(input.environment) };
    const problem = outcome.kind === "timeout" ? "the restore did not finish in time" : `the restore failed: ${outcome.reason}`;
    return await unfinished(problem, outcome.details);
  } catch (error) {
    // Our own stop ends whatever call was in flight; its error is that stop.
    if (input.signal?.aborted) return await unfinished(`the restore was ${stoppedBecause()}`);
    if (error instanceof MdeployError) return await unfinished(`cannot restore version ${input.version}: ${error.message}`);
    throw error;
  }
}

/** The command for a person when someone else's version runs. */
function someoneElses(environment: string): string {
  return `mdeploy status ${environment} (someone else's version runs; mdeploy did not restore over it)`;
}

/** What to send: the old definition planned against today's capacity, or (no Mesos) one of the fallbacks. */
async function restoreDefinition(input: RestoreInput, deps: RestoreDeps): Promise<AppDefinition> {
  const settleMs = Math.max(0, (input.deadline - deps.clock.now()) / 3);
  const replanned = deps.mesos ? await replanVersion({ ...deps, mesos: deps.mesos }, input.appId, input.version, input.labels ?? {}, settleMs) : undefined;
  if (replanned) return replanned;
  if (!deps.mesos && input.withoutCapacity === "marathon-rollback") {
    // That version as stored, its strategy included, as Marathon's own rollback (PUT {"version"}) would
    // bring it back, plus our labels: a {"version"} body cannot carry MDEPLOY_ROLLBACK_OF, and without
    // that label a second plain rollback would go forward again to the version just left.
    const stored = await storedDefinition(deps.marathon, input.appId, input.version);
    return { ...stored, labels: { ...stored.labels, ...input.labels } };
  }
  const stored = await definitionOfVersion(deps.marathon, input.appId, input.version, input.labels ?? {});
  // The instances running now come from the definition that got stuck and from the one restored.
  const [release, running] = await Promise.all([marathonVersion(deps.marathon), deps.marathon.findApp(input.appId)]);
  const strategy = strategyWithoutCapacity(release, [running, stored]);
  if (strategy === START_BESIDE_OLD) {
    deps.progress.line(`  rollback: capacity not ${deps.mesos ? "readable" : "checked (no MESOS_URL)"}: restoring with minimumHealthCapacity 0, maximumOverCapacity 1: Marathon ${release ?? "(version not reported; 1.10+ assumed)"} stops no instance checked only by Marathon before a new one is healthy, so the old version comes up beside what runs; it needs room for it`);
  } else if (!deps.mesos) {
    deps.progress.line("  rollback: capacity not checked (no MESOS_URL): restoring with minimumHealthCapacity 0, maximumOverCapacity 0 so old instances make room first, not with the strategy that just got stuck");
  }
  return { ...stored, upgradeStrategy: { ...strategy } };
}

/** Cancels our deployment (`force`: no revert deployment of Marathon's own); undefined when done or already gone. */
async function cancelDeployment(id: string, input: RestoreInput, deps: RestoreDeps): Promise<string | undefined> {
  const signal = input.signal ? { signal: input.signal } : {};
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const open = (await deps.marathon.getDeployments(signal)).some((d) => d.id === id);
      if (!open) return undefined;
      await deps.marathon.deleteDeployment(id, { force: true });
      deps.progress.line(`  cancelled deployment ${id}`);
      return undefined;
    } catch (error) {
      if (error instanceof MarathonApiError && error.status === 404) return undefined;
      if (!isTransientReadFailure(error) || attempt === 2) return `cannot cancel deployment ${id}: ${messageOf(error)}`;
      deps.progress.line(`  cannot cancel deployment ${id} yet (${messageOf(error)}); trying again`);
      await deps.clock.sleep(1_000, input.signal);
    }
  }
  return `cannot cancel deployment ${id}`;
}

/** The app's state in words, read now if possible, else the last read. */
async function describeState(input: RestoreInput, deps: RestoreDeps, lastSeen: AppStatus | undefined): Promise<string> {
  if (!input.signal?.aborted) {
    try {
      return describeApp(await deps.marathon.getApp(input.appId, { embed: ["app.tasks", "app.deployments"], ...(input.signal ? { signal: input.signal } : {}) }));
    } catch (error) {
      if (!(error instanceof MdeployError) && !input.signal?.aborted) throw error;
      const why = input.signal?.aborted ? "stopped" : messageOf(error);
      return lastSeen ? `${describeApp(lastSeen)} (last read; now: ${why})` : `state unknown: cannot read the app (${why})`;
    }
  }
  return lastSeen ? `${describeApp(lastSeen)} (last read before the stop)` : "state unknown: the app was not read before the stop";
}
