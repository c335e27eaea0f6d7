/**
 * `mdeploy rollback <env>` while a canary or a blue/green copy exists: the
 * copy is what a person wants gone, not the stable app's previous version.
 * A canary is removed and the stable app scaled back to the instances it had
 * (the canary's label says how many). A green copy after the switch: the
 * standby blue goes back into Traefik first (its label change moves the public
 * rule at once), is verified, and only then the green copy is removed, so the
 * public rule always has a healthy backend. This is also the one command an
 * exit 5 of a canary or blue/green deploy names.
 */
import { needsPerson } from "../apply-write.js";
import { defaultTimeoutMs } from "../default-timeout.js";
import { DEFAULT_INTERRUPT_GRACE_MS, startRunLimits } from "../run-limits.js";
import { withoutStateFields } from "../replan-version.js";
import { countTasks } from "../verify-app.js";
import { restoreStable, type ProgressiveDeps } from "./canary.js";
import type { AppStatus } from "../../marathon/types.js";
import { BLUE_GREEN_LABEL, CANARY_STABLE_INSTANCES_LABEL, ownCopies, STANDBY_UNTIL_LABEL } from "./copy-labels.js";
import { removeAndWait, stateOf, writeAndVerify, type CopyDeps } from "./copy-writes.js";
import { CANARY_SUFFIX, GREEN_SUFFIX } from "./progressive-plan.js";
import { withTrafficAgain } from "./traefik-labels.js";

/** What the undo did. */
export interface ProgressiveUndoResult {
  environment: string;
  appId: string;
  /** The copy that was removed. */
  removed: string;
  undid: "canary" | "blue-green";
  version: string;
  instances: { healthy: number; total: number };
}

export interface UndoInput {
  environment: string;
  appId: string;
  timeoutMs?: number;
  interruptGraceMs?: number;
}

/** The canary or green copy of `appId` that exists now, if any (what `rollback` undoes first). */
export async function progressiveCopyOf(appId: string, marathon: Pick<CopyDeps["marathon"], "findApp">): Promise<string | undefined> {
  const [canary, green] = await copiesOf(appId, marathon);
  return canary?.id ?? green?.id;
}

/** The canary and green copies of `appId` that mdeploy made (see {@link ownCopies}): a rollback never deletes someone's app named like one. */
async function copiesOf(appId: string, marathon: Pick<CopyDeps["marathon"], "findApp">): Promise<[AppStatus | undefined, AppStatus | undefined]> {
  const [canary, green] = await Promise.all([marathon.findApp(`${appId}${CANARY_SUFFIX}`), marathon.findApp(`${appId}${GREEN_SUFFIX}`)]);
  return ownCopies(appId, canary, green);
}

/** Undoes a canary or blue/green in progress; undefined when there is none (the ordinary rollback applies). */
export async function undoProgressive(input: UndoInput, deps: CopyDeps & Pick<ProgressiveDeps, "interrupts">): Promise<ProgressiveUndoResult | undefined> {
  const { marathon, clock, progress } = deps;
  const env = input.environment;
  const canaryId = `${input.appId}${CANARY_SUFFIX}`;
  const greenId = `${input.appId}${GREEN_SUFFIX}`;
  const [[canary, green], stable] = await Promise.all([copiesOf(input.appId, marathon), marathon.findApp(input.appId, { embed: ["app.tasks"] })]);
  if (!canary && !green) return undefined;
  if (!stable) throw needsPerson(`${env}: ${input.appId} does not exist, but ${canary ? canaryId : greenId} does: mdeploy does not guess which copy should serve`, [await stateOf(canary ? canaryId : greenId, deps)], `mdeploy deploy ${env} --strategy auto (makes ${input.appId} again), then remove the copy`);
  const timeoutMs = input.timeoutMs ?? 2 * defaultTimeoutMs(stable);
  const start = clock.now();
  const limits = startRunLimits(clock, start + timeoutMs, start + timeoutMs, input.interruptGraceMs ?? DEFAULT_INTERRUPT_GRACE_MS, deps.interrupts);
  // A first signal leaves the interrupt grace to finish, as the ordinary rollback does.
  const stopLimits = limits;
  try {
    if (canary) {
      const instances = Number(canary.labels?.[CANARY_STABLE_INSTANCES_LABEL]) || (stable.instances ?? 1) + (canary.instances ?? 0);
      progress.line(`${env}: canary ${canaryId} found: removing it and scaling ${input.appId} back to ${instances}`);
      const restored = await restoreStable(env, input.appId, canaryId, instances, stable, stopLimits, deps);
      if (restored.kind === "unfinished") throw needsPerson(`${env}: undoing the canary of ${input.appId} did not finish: ${restored.problem}`, restored.facts, `mdeploy rollback ${env}`);
      return await resultOf(input, canaryId, "canary", deps);
    }
    if (stable.labels?.[BLUE_GREEN_LABEL] === "standby") {
      progress.line(`${env}: ${greenId} serves ${input.appId}'s public rule; putting ${input.appId} back in front, then removing ${greenId}`);
      const back = await writeAndVerify(
        {
          environment: env,
          appId: input.appId,
          make: (now) => {
            const current = withoutStateFields(now ?? stable);
            const labels = withTrafficAgain(current.labels ?? {});
            delete labels[BLUE_GREEN_LABEL];
            delete labels[STANDBY_UNTIL_LABEL];
            return { ...current, labels };
          },
          deadline: stopLimits.cleanupDeadline(),
          signal: stopLimits.cleanup,
        },
        deps,
      );
      if (back.kind !== "verified") {
        throw needsPerson(`${env}: putting ${input.appId} back in front did not finish: ${back.reason}`, [await stateOf(input.appId, deps), await stateOf(greenId, deps), `${greenId} still serves the public rule`], `mdeploy rollback ${env}`);
      }
    } else if (green?.labels?.[BLUE_GREEN_LABEL] === "live") progress.line(`${env}: ${greenId} is left over after ${input.appId} took the new version; removing it (${input.appId} keeps serving)`);
    else progress.line(`${env}: ${greenId} was never switched to; removing it (${input.appId} kept serving)`);
    const removed = await removeAndWait(greenId, stopLimits.cleanupDeadline(), stopLimits.cleanup, deps);
    if (removed.kind !== "removed") throw needsPerson(`${env}: ${input.appId} serves again, but removing ${greenId} did not finish: ${removed.reason}`, [await stateOf(greenId, deps)], `mdeploy rollback ${env}`);
    return await resultOf(input, greenId, "blue-green", deps);
  } finally {
    limits.dispose();
  }
}

async function resultOf(input: UndoInput, removed: string, undid: "canary" | "blue-green", deps: Pick<ProgressiveDeps, "marathon" | "progress">): Promise<ProgressiveUndoResult> {
  const app = await deps.marathon.getApp(input.appId, { embed: ["app.tasks", "app.readiness"] });
  const counts = countTasks(app, app.version);
  deps.progress.line(`${input.environment}: ${removed} removed; ${input.appId} serves alone: ${counts.healthyNew}/${counts.instances} healthy`);
  return { environment: input.environment, appId: input.appId, removed, undid, version: app.version, instances: { healthy: counts.healthyNew, total: counts.instances } };
}
