/**
 * The simulator's reading of which old instances Marathon counts before a restart's
 * immediate kills (TaskReplaceActor `computeRestartStrategy`, see README.md), and
 * which health checks Mesos runs and reports in the task status.
 *
 * Twin: src/plan/restart-counting.ts (the planner's reading). Kept apart on purpose:
 * the simulator is the oracle the planner is tested against, so it must not take
 * the rule from the code under test. Cross-checked by test/deploy-restart-rule.test.ts
 * and test/sim-trap.test.ts.
 */
import type { AppDefinition } from "../marathon/types.js";

/** Check protocols whose result the Mesos agent reports (`healthy` in the task status). */
const REPORTED_BY_MESOS = new Set(["COMMAND", "MESOS_HTTP", "MESOS_HTTPS", "MESOS_TCP"]);

/** True when Mesos runs this check; a check without a protocol is Marathon's HTTP. */
export function isMesosRunCheck(protocol: string | undefined): boolean {
  return protocol !== undefined && REPORTED_BY_MESOS.has(protocol);
}

/**
 * Marathon 1.10 (PR #7115) and later count only `consideredHealthy` instances; so does
 * a version the simulator cannot read (the stricter rule).
 */
export function countsOnlyMesosHealth(version: string | undefined): boolean {
  const [major, minor] = (version ?? "").replace(/^v/, "").split(".").map((part) => Number.parseInt(part, 10));
  if (major === undefined || minor === undefined || Number.isNaN(major) || Number.isNaN(minor)) return true;
  return major * 1000 + minor >= 1010;
}

/**
 * Under 1.10+, what `Instance.consideredHealthy` holds for an instance of `def`: every
 * instance when it has no health and no readiness checks; those Mesos reports healthy
 * when one of its checks is Mesos-run; otherwise none.
 */
export function countedByMesosHealth(def: Pick<AppDefinition, "healthChecks" | "readinessChecks">): "all" | "healthy" | "none" {
  const checks = def.healthChecks ?? [];
  if (checks.length === 0 && (def.readinessChecks?.length ?? 0) === 0) return "all";
  for (const check of checks) if (isMesosRunCheck(check.protocol)) return "healthy";
  return "none";
}
