/**
 * Traps in an app definition that make deployments hang or hurt neighbours,
 * found before anything is sent (DESIGN.md "Lint traps"; MA#689, MA#3546).
 */
import type { AppDefinition } from "../marathon/types.js";
import { agentFieldValue, describeConstraint, type ParsedConstraint } from "./constraints.js";
import type { AgentCapacity, PlanKind } from "./types.js";

/** Warnings for a person, each one sentence saying what goes wrong and what to do. */
export function lintTraps(
  app: AppDefinition,
  instances: number,
  eligibleAgents: readonly AgentCapacity[],
  constraints: readonly ParsedConstraint[],
  fixedPorts: readonly number[],
  kind: PlanKind,
): string[] {
  const warnings: string[] = [];
  if (app.mem === 0) {
    warnings.push("mem is 0: Mesos reserves no memory for the app, so agents get overcommitted and the OOM killer picks victims; set mem to what the app needs");
  }
  if (app.cpus === 0) {
    warnings.push("cpus is 0: Mesos reserves no CPU for the app; set cpus to a small positive share");
  }
  for (const c of constraints) {
    const perValue = c.operator === "UNIQUE" ? 1 : c.operator === "MAX_PER" ? Number(c.value ?? "1") : undefined;
    if (perValue === undefined) continue;
    const values = new Set(eligibleAgents.map((a) => agentFieldValue(a, c.field)).filter((v) => v !== undefined));
    const room = values.size * perValue;
    const rule = describeConstraint(c);
    if (instances > room) {
      warnings.push(`instances ${instances} is above the ${room} that ${rule} allows on the ${values.size} matching agent${values.size === 1 ? "" : "s"}: ${instances - room} can never start and the deployment would never finish`);
    } else if (instances === room && kind === "restart") {
      warnings.push(`${rule} with ${instances} instance${instances === 1 ? "" : "s"} on ${values.size} matching agent${values.size === 1 ? "" : "s"} leaves no spare agent: each instance must stop before its replacement starts (add an agent or accept lower minimumHealthCapacity)`);
    }
  }
  if (fixedPorts.length > 0 && instances > eligibleAgents.length) {
    warnings.push(`instances ${instances} is above the ${eligibleAgents.length} matching agents: fixed host port${fixedPorts.length === 1 ? "" : "s"} ${fixedPorts.join(", ")} allow one instance per agent`);
  }
  return warnings;
}
