/**
 * Going back to an earlier version safely. `PUT {"version": v}` brings back
 * that version's upgradeStrategy too, and Marathon replaces every instance on a
 * rollback, so a version deployed with the default (1, 1) walks straight into
 * the 497 MB trap on the way back. Instead mdeploy fetches that definition,
 * plans it against the capacity there is now, and PUTs it with the strategy
 * that can finish.
 */
import type { Clock } from "../core/ports/clock.js";
import type { MarathonClient } from "../marathon/client.js";
import { isTransientReadFailure, messageOf } from "./failure-kinds.js";
import type { AppDefinition } from "../marathon/types.js";
import { countedByMesosHealth, countsOnlyMesosHealth } from "../plan/restart-counting.js";
import { snapshotFromAgents } from "../plan/cluster-snapshot.js";
import { planUpgrade } from "../plan/plan-upgrade.js";
import { marathonVersion, type MesosAgentsSource } from "./plan-deploy.js";
import type { Progress } from "../core/ports/progress.js";

export interface ReplanDeps {
  marathon: Pick<MarathonClient, "getAppVersion" | "findApp" | "getInfo">;
  mesos: MesosAgentsSource;
  progress: Progress;
  clock: Clock;
}

/**
 * The label an automatic rollback puts on the definition it restores, naming the
 * version that failed, so `mdeploy rollback` later never picks the failed one.
 */
export const ROLLBACK_OF_LABEL = "MDEPLOY_ROLLBACK_OF";

/** Fields of GET /v2/apps/{id}/versions/{v} that are state, not definition. */
const STATE_FIELDS = ["version", "versionInfo", "tasksStaged", "tasksRunning", "tasksHealthy", "tasksUnhealthy", "deployments", "tasks", "lastTaskFailure", "readinessCheckResults", "taskStats", "tasksStats", "ports"];

/**
 * What a restore sends when capacity cannot be planned (no MESOS_URL, or Mesos
 * cannot be read): stop old instances before starting new ones, so a restore
 * never waits for room that the stuck deployment holds.
 */
export const FREE_ROOM_FIRST = { minimumHealthCapacity: 0, maximumOverCapacity: 0 } as const;

/**
 * The fallback when Marathon would stop nothing first: on 1.10+ instances checked
 * only by Marathon (HTTP, TCP, readiness) do not count for a restart's immediate
 * kills, so {@link FREE_ROOM_FIRST} would neither stop nor start anything. Starting
 * the whole new set beside the old one is the only way such a restore can move; it
 * needs room, which without Mesos nobody could check.
 */
export const START_BESIDE_OLD = { minimumHealthCapacity: 0, maximumOverCapacity: 1 } as const;

/**
 * Which fallback strategy a restore without capacity planning sends, given the
 * Marathon release and the definitions the running instances were launched from.
 */
export function strategyWithoutCapacity(release: string | undefined, launchedFrom: ReadonlyArray<Pick<AppDefinition, "healthChecks" | "readinessChecks"> | undefined>): typeof FREE_ROOM_FIRST | typeof START_BESIDE_OLD {
  const stopsNothingFirst = countsOnlyMesosHealth(release) && launchedFrom.some((def) => def !== undefined && countedByMesosHealth(def) === "none");
  return stopsNothingFirst ? START_BESIDE_OLD : FREE_ROOM_FIRST;
}

/** The stored definition of `version`, without its state fields and upgradeStrategy, with `labels` added. */
export async function definitionOfVersion(marathon: Pick<MarathonClient, "getAppVersion">, appId: string, version: string, labels: Record<string, string> = {}): Promise<AppDefinition> {
  const definition = await storedDefinition(marathon, appId, version);
  const target: AppDefinition = { ...definition, labels: { ...definition.labels, ...labels } };
  delete target.upgradeStrategy;
  return target;
}

/**
 * The stored definition of `version` as it was, strategy and labels included:
 * what Marathon's own rollback (`PUT {"version": v}`) makes the app, so what a
 * read-back after an ambiguous answer compares with.
 */
export async function storedDefinition(marathon: Pick<MarathonClient, "getAppVersion">, appId: string, version: string): Promise<AppDefinition> {
  return withoutStateFields(await marathon.getAppVersion(appId, version));
}

/** A definition (stored, or the app as GET /v2/apps/{id} shows it) without the fields that are state. */
export function withoutStateFields(app: AppDefinition): AppDefinition {
  const definition: AppDefinition = { ...app };
  for (const field of STATE_FIELDS) delete definition[field];
  return definition;
}

/**
 * The definition of `version` with a capacity-aware upgradeStrategy, or
 * undefined when Marathon or Mesos cannot be read for a passing reason (the
 * caller then restores with {@link FREE_ROOM_FIRST}, and this says so). Other
 * errors (wrong credentials, a version that does not exist) surface.
 *
 * Marathon 1.10+ counts only healthy old instances when it decides what to stop,
 * so a new instance still in its grace period that holds the only room would
 * block the restore for good. While the plan says nothing fits, this waits (up
 * to `settleMs`) for such instances to turn healthy or fail, then plans again;
 * after that it sends the most permissive strategy.
 */
export async function replanVersion(deps: ReplanDeps, appId: string, version: string, labels: Record<string, string> = {}, settleMs = 0): Promise<AppDefinition | undefined> {
  try {
    const target = await definitionOfVersion(deps.marathon, appId, version, labels);
    const release = await marathonVersion(deps.marathon);
    const deadline = deps.clock.now() + settleMs;
    for (let attempt = 0; attempt < 10_000; attempt++) {
      const [current, agents] = await Promise.all([deps.marathon.findApp(appId, { embed: ["app.tasks"] }), deps.mesos.getAgents()]);
      const plan = planUpgrade({ cluster: snapshotFromAgents(agents), running: current, target, mode: "auto", ...(release !== undefined ? { marathonVersion: release } : {}) });
      if (plan.feasible) {
        for (const reason of plan.reasons) deps.progress.line(`  rollback: ${reason}`);
        return { ...target, upgradeStrategy: plan.strategy };
      }
      if (deps.clock.now() >= deadline) {
        deps.progress.line(`  rollback: ${plan.shortfall ?? "no room yet"}; restoring with minimumHealthCapacity 0 so it starts as soon as room frees up`);
        return { ...target, upgradeStrategy: { minimumHealthCapacity: 0, maximumOverCapacity: 1 } };
      }
      if (attempt === 0) deps.progress.line(`  rollback: ${plan.shortfall ?? "no room yet"}; waiting for instances still starting to turn healthy or fail`);
      await deps.clock.sleep(Math.min(2_000, Math.max(0, deadline - deps.clock.now())));
    }
    return undefined;
  } catch (error) {
    if (!isTransientReadFailure(error)) throw error;
    deps.progress.line(`  rollback: cannot plan against today's capacity (${messageOf(error)}); restoring with minimumHealthCapacity 0, maximumOverCapacity 0 (old instances make room first)`);
    return undefined;
  }
}
