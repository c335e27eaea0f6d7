/**
 * Which old instances the Marathon a plan is for counts before a restart's immediate
 * kills, in the planner's terms and words. Pure.
 */
import { countedByMesosHealth, countsOnlyMesosHealth, isMesosRunCheck, marathonRunChecks, type CountedInstances } from "./restart-counting.js";
import type { AppDefinition } from "../marathon/types.js";

export interface RestartRule {
  /** What R holds of the running instances: all, those Mesos reports healthy, or none. */
  counts: CountedInstances;
  /** "Marathon 1.11", or the assumption made when /v2/info gave no version. */
  release: string;
  /** One sentence for the plan: which release, which rule, which checks. */
  words: string;
  /** The running definition's Marathon-run checks ("HTTP", "TCP", "readiness"). */
  marathonChecks: string[];
}

/**
 * The rule for a restart of `running` on the Marathon that reported `version`
 * (undefined: unknown, and the stricter 1.10+ rule is assumed). It is the running
 * definition's checks that matter: the old instances are the ones counted.
 */
export function restartRuleFor(version: string | undefined, running: Pick<AppDefinition, "healthChecks" | "readinessChecks">): RestartRule {
  const m = /^v?(\d+)\.(\d+)/.exec((version ?? "").trim());
  const release = m ? `Marathon ${m[1]}.${m[2]}` : `Marathon (version ${version === undefined ? "not reported" : `"${version}" not understood`}; 1.10+ assumed)`;
  const marathonChecks = marathonRunChecks(running);
  if (!countsOnlyMesosHealth(version)) {
    return { counts: "all", release, words: `${release}: every running instance counts for immediate kills`, marathonChecks };
  }
  const counts = countedByMesosHealth(running);
  const mesosChecks = [...new Set((running.healthChecks ?? []).map((hc) => hc.protocol ?? "HTTP").filter(isMesosRunCheck))];
  const words =
    counts === "none"
      ? `${release}: instances checked by Marathon (${marathonChecks.join(", ")}) do not count for immediate kills`
      : counts === "healthy"
        ? `${release}: only instances Mesos reports healthy (${mesosChecks.join(", ")}) count for immediate kills`
        : `${release}: instances without health or readiness checks all count for immediate kills`;
  return { counts, release, words, marathonChecks };
}

/** What would make the old instances count: the Mesos-run form of each Marathon-run check. */
export function mesosCheckFix(rule: RestartRule): string {
  const health = rule.marathonChecks.filter((p) => p !== "readiness");
  if (health.length === 0) return "add a MESOS_HTTP or MESOS_TCP health check";
  return `switch the ${health.join(" and ")} check${health.length === 1 ? "" : "s"} to ${health.map((p) => `MESOS_${p}`).join(" and ")}`;
}
