// Twin of src/sim/offer-matching.ts (placement constraints, kept twice on purpose: src/sim/README.md "Twins"); cross-checked by test/deploy-definition.test.ts and test/traefik-per-agent-deploy.test.ts.
/**
 * Marathon placement constraints evaluated against agent snapshots. Marathon
 * counts every instance of the app, whatever its version, when it checks
 * UNIQUE, MAX_PER and CLUSTER, so old instances block new ones on their agent
 * (the MA#689 trap with hostname:UNIQUE).
 */
import type { Constraint } from "../marathon/types.js";
import type { AgentCapacity } from "./types.js";

/** A parsed constraint. */
export interface ParsedConstraint {
  field: string;
  operator: string;
  value?: string;
}

/** Turns Marathon's `[field, OP, value?]` into a record. */
export function parseConstraint(constraint: Constraint): ParsedConstraint {
  const [field = "", operator = "", value] = constraint;
  return value === undefined ? { field, operator: operator.toUpperCase() } : { field, operator: operator.toUpperCase(), value: String(value) };
}

/** The value an agent has for a constraint field (`hostname` or an attribute); undefined when it has none. */
export function agentFieldValue(agent: AgentCapacity, field: string): string | undefined {
  if (field === "hostname" || field === "@hostname") return agent.hostname;
  const value = agent.attributes[field];
  return value === undefined ? undefined : String(value);
}

/** Marathon matches LIKE/UNLIKE against the whole value. */
function fullMatch(pattern: string, value: string): boolean {
  try {
    return new RegExp(`^(?:${pattern})$`).test(value);
  } catch {
    return false;
  }
}

/**
 * Whether an agent can ever host the app under a constraint, ignoring where
 * other instances run (LIKE, UNLIKE, IS, CLUSTER with a value; and the field
 * existing at all for the dynamic operators).
 */
export function staticallyAllows(constraint: ParsedConstraint, agent: AgentCapacity): boolean {
  const value = agentFieldValue(agent, constraint.field);
  switch (constraint.operator) {
    case "UNLIKE":
      return value === undefined || constraint.value === undefined || !fullMatch(constraint.value, value);
    case "LIKE":
      return value !== undefined && (constraint.value === undefined || fullMatch(constraint.value, value));
    case "IS":
      return value !== undefined && value === constraint.value;
    case "CLUSTER":
      return value !== undefined && (constraint.value === undefined || constraint.value === "" || value === constraint.value);
    default:
      // UNIQUE, MAX_PER, GROUP_BY need the field to exist on the agent.
      return value !== undefined;
  }
}

/**
 * Whether one more instance may go on the agent given how many of the app's
 * instances (any version) run per field value. GROUP_BY is treated as always
 * satisfiable: it only spreads, it never blocks progress on its own.
 */
export function dynamicallyAllows(constraint: ParsedConstraint, agent: AgentCapacity, countsByValue: ReadonlyMap<string, number>): boolean {
  const value = agentFieldValue(agent, constraint.field);
  if (value === undefined) return false;
  const here = countsByValue.get(value) ?? 0;
  switch (constraint.operator) {
    case "UNIQUE":
      return here === 0;
    case "MAX_PER":
      return here < Number(constraint.value ?? "1");
    case "CLUSTER":
      if (constraint.value !== undefined && constraint.value !== "") return true;
      // CLUSTER without a value: every instance on the value the first one took.
      for (const [v, n] of countsByValue) if (n > 0 && v !== value) return false;
      return true;
    default:
      return true;
  }
}

/** True for operators whose verdict depends on where other instances run. */
export function isDynamic(constraint: ParsedConstraint): boolean {
  return constraint.operator === "UNIQUE" || constraint.operator === "MAX_PER" || (constraint.operator === "CLUSTER" && !constraint.value);
}

/** Words for the agents a constraint selects: "type:staging", "hostname like web-.*". */
export function describeConstraint(constraint: ParsedConstraint): string {
  switch (constraint.operator) {
    case "IS":
    case "CLUSTER":
      return constraint.value ? `${constraint.field}:${constraint.value}` : `one ${constraint.field} for all instances`;
    case "LIKE":
      // A plain word as a LIKE pattern reads better as the value it selects.
      return constraint.value !== undefined && /^[\w-]+$/.test(constraint.value) ? `${constraint.field}:${constraint.value}` : `${constraint.field} like ${constraint.value ?? ".*"}`;
    case "UNLIKE":
      return `${constraint.field} not like ${constraint.value ?? ""}`;
    case "UNIQUE":
      return `${constraint.field}:UNIQUE`;
    case "MAX_PER":
      return `${constraint.field}:MAX_PER ${constraint.value ?? "1"}`;
    default:
      return `${constraint.field}:${constraint.operator}${constraint.value ? ` ${constraint.value}` : ""}`;
  }
}
