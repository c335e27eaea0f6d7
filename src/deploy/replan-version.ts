/**
 * Going back to an earlier version safely. `PUT {"version": v}` brings back
 * that version's upgradeStrategy too, and Marathon replaces every instance on a
 * rollback, so a version deployed with the default (1, 1) walks straight into
 * the 497 MB trap on the way back. Instead mdeploy fetches that definition,
 * plans it against the capacity there is now, and PUTs it with the strategy
 * that can finish.
 */
import type { MarathonClient } from "../marathon/client.js";
import type { AppDefinition } from "../marathon/types.js";
import { snapshotFromAgents } from "../plan/cluster-snapshot.js";
import { planUpgrade } from "../plan/plan-upgrade.js";
import type { MesosAgentsSource } from "./plan-deploy.js";
import type { Progress } from "./progress.js";

export interface ReplanDeps {
  marathon: Pick<MarathonClient, "getAppVersion" | "findApp">;
  mesos: MesosAgentsSource;
  progress: Progress;
}

/**
 * The label an automatic rollback puts on the definition it restores, naming the
 * version that failed, so `mdeploy rollback` later never picks the failed one.
 */
export const ROLLBACK_OF_LABEL = "MDEPLOY_ROLLBACK_OF";

/** Fields of GET /v2/apps/{id}/versions/{v} that are state, not definition. */
const STATE_FIELDS = ["version", "versionInfo", "tasksStaged", "tasksRunning", "tasksHealthy", "tasksUnhealthy", "deployments", "tasks", "lastTaskFailure", "readinessCheckResults", "taskStats", "tasksStats", "ports"];

/**
 * The definition of `version` with a capacity-aware upgradeStrategy (the most
 * permissive one when nothing fits yet), or undefined when Marathon or Mesos
 * cannot be read (then Marathon's own rollback is the fallback).
 */
export async function replanVersion(deps: ReplanDeps, appId: string, version: string, labels: Record<string, string> = {}): Promise<AppDefinition | undefined> {
  try {
    const [definition, current, agents] = await Promise.all([deps.marathon.getAppVersion(appId, version), deps.marathon.findApp(appId, { embed: ["app.tasks"] }), deps.mesos.getAgents()]);
    const target: AppDefinition = { ...definition, labels: { ...definition.labels, ...labels } };
    for (const field of STATE_FIELDS) delete target[field];
    delete target.upgradeStrategy;
    const plan = planUpgrade({ cluster: snapshotFromAgents(agents), running: current, target, mode: "auto" });
    if (!plan.feasible) {
      // Failing instances of the bad version hold the room until Marathon's health checks kill them;
      // the most permissive strategy lets the restore start the moment they are gone.
      deps.progress.line(`  rollback: ${plan.shortfall ?? "no room yet"}; restoring with minimumHealthCapacity 0 so it starts as soon as the failing instances are gone`);
      return { ...target, upgradeStrategy: { minimumHealthCapacity: 0, maximumOverCapacity: 1 } };
    }
    for (const reason of plan.reasons) deps.progress.line(`  rollback: ${reason}`);
    return { ...target, upgradeStrategy: plan.strategy };
  } catch {
    return undefined;
  }
}
