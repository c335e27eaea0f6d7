/**
 * Which old instances a Marathon restart counts before its immediate kills
 * (TaskReplaceActor `computeRestartStrategy`, the R in `kill max(0, R - minHealthy)`),
 * by Marathon release, as the upgrade planner reads it. Pure. The source reading is
 * in src/sim/README.md.
 *
 * Twin: src/sim/restart-counting.ts (the simulator's own reading, kept apart on
 * purpose so the simulator stays an independent oracle); cross-checked by
 * test/deploy-restart-rule.test.ts and test/sim-trap.test.ts.
 */
import type { AppDefinition, HealthCheck } from "../marathon/types.js";

/**
 * Health checks Mesos runs on the agent and reports in the task status (`healthy` in
 * the status update): COMMAND and MESOS_HTTP, MESOS_HTTPS, MESOS_TCP. HTTP, HTTPS and
 * TCP (and a check without a protocol, HTTP by default) are run by Marathon itself.
 */
export function isMesosRunCheck(protocol: string | undefined): boolean {
  return protocol === "COMMAND" || (protocol ?? "HTTP").startsWith("MESOS_");
}

/**
 * True for Marathon 1.10 and later (and for a version that cannot be read: the
 * stricter rule is the safe guess). From 1.10 (PR #7115) R holds only instances
 * `Instance.consideredHealthy`: without health or readiness checks, or reported
 * healthy by Mesos. 1.4 to 1.9 counted every instance Marathon wanted running.
 */
export function countsOnlyMesosHealth(version: string | undefined): boolean {
  const m = /^v?(\d+)\.(\d+)/.exec((version ?? "").trim());
  if (!m) return true;
  const major = Number(m[1]);
  const minor = Number(m[2]);
  return major > 1 || (major === 1 && minor >= 10);
}

/**
 * What Marathon 1.10+ counts of an app's running instances when a restart starts:
 * `all` (no health or readiness checks), `healthy` (those a Mesos-run check reports
 * healthy), or `none` (only Marathon-run checks or readiness checks: their results
 * never reach the instance state R is computed from).
 */
export type CountedInstances = "all" | "healthy" | "none";

/** See {@link CountedInstances}; `def` is the definition the instances were launched from. */
export function countedByMesosHealth(def: Pick<AppDefinition, "healthChecks" | "readinessChecks">): CountedInstances {
  const health: readonly HealthCheck[] = def.healthChecks ?? [];
  if (health.length === 0 && (def.readinessChecks ?? []).length === 0) return "all";
  return health.some((hc) => isMesosRunCheck(hc.protocol)) ? "healthy" : "none";
}

/** The protocols of the checks Marathon runs itself ("HTTP", "TCP", ...; "readiness" for readiness checks), for messages. */
export function marathonRunChecks(def: Pick<AppDefinition, "healthChecks" | "readinessChecks">): string[] {
  const protocols = (def.healthChecks ?? []).map((hc) => hc.protocol ?? "HTTP").filter((p) => !isMesosRunCheck(p));
  if ((def.readinessChecks ?? []).length > 0) protocols.push("readiness");
  return [...new Set(protocols)];
}
