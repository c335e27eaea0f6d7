// Twin of src/plan/constraints.ts (placement constraints, kept twice on purpose: src/sim/README.md "Twins"); cross-checked by test/deploy-definition.test.ts and test/traefik-per-agent-deploy.test.ts.
import type { Constraint, OfferRejectReason } from "../marathon/types.js";

/**
 * Matching one Mesos offer against one instance to launch, the way Marathon's
 * offer matcher decides: the first failing check, in the order of Marathon's
 * `NoOfferMatchReason`, is the reason recorded for the offer. Pure.
 */

/** Marathon's order of offer-reject reasons (`NoOfferMatchReason.scala`, 1.10). */
export const REJECT_REASON_ORDER: readonly OfferRejectReason[] = [
  "UnfulfilledRole",
  "UnfulfilledConstraint",
  "NoCorrespondingReservationFound",
  "AgentMaintenance",
  "InsufficientCpus",
  "InsufficientMemory",
  "InsufficientDisk",
  "InsufficientGpus",
  "InsufficientPorts",
  "DeclinedScarceResources",
];

/** What one instance of an app needs. */
export interface LaunchRequirements {
  cpus: number;
  mem: number;
  disk: number;
  gpus: number;
  /** Host ports the instance needs, 0 = any free port. */
  hostPorts: number[];
  /** Roles whose resources the app accepts ("*" = unreserved). */
  acceptedRoles: string[];
  constraints: Constraint[];
}

/** The part of an agent an offer shows. */
export interface OfferedAgent {
  hostname: string;
  attributes: Record<string, string | number>;
  role: string;
  free: { cpus: number; mem: number; disk: number; gpus: number };
  /** Picks host ports for the request, or undefined when they are not free. */
  pickPorts(request: readonly number[]): number[] | undefined;
}

/** Instance counts of the app per value of a constraint field (active instances only). */
export type FieldCounts = (field: string) => ReadonlyMap<string, number>;

export type OfferMatch = { ok: true; ports: number[] } | { ok: false; reason: OfferRejectReason };

/** Floating point sums of cpus (0.1 + 0.2) must not reject an exact fit. */
const EPSILON = 1e-9;

export function matchOffer(req: LaunchRequirements, agent: OfferedAgent, counts: FieldCounts): OfferMatch {
  if (!req.acceptedRoles.includes(agent.role)) return { ok: false, reason: "UnfulfilledRole" };
  for (const constraint of req.constraints) {
    if (!constraintAllows(constraint, agent, counts)) return { ok: false, reason: "UnfulfilledConstraint" };
  }
  if (agent.free.cpus + EPSILON < req.cpus) return { ok: false, reason: "InsufficientCpus" };
  if (agent.free.mem + EPSILON < req.mem) return { ok: false, reason: "InsufficientMemory" };
  if (agent.free.disk + EPSILON < req.disk) return { ok: false, reason: "InsufficientDisk" };
  if (agent.free.gpus + EPSILON < req.gpus) return { ok: false, reason: "InsufficientGpus" };
  const ports = req.hostPorts.length === 0 ? [] : agent.pickPorts(req.hostPorts);
  if (!ports) return { ok: false, reason: "InsufficientPorts" };
  return { ok: true, ports };
}

/** The value an agent has for a constraint field: `hostname` or an attribute. */
export function fieldValue(agent: Pick<OfferedAgent, "hostname" | "attributes">, field: string): string | undefined {
  if (field === "hostname") return agent.hostname;
  const value = agent.attributes[field];
  return value === undefined ? undefined : String(value);
}

/** Marathon's constraint semantics (`Constraints.scala`). */
export function constraintAllows(constraint: Constraint, agent: Pick<OfferedAgent, "hostname" | "attributes">, counts: FieldCounts): boolean {
  const [field, operator, argument] = constraint as [string, string, string | undefined];
  const value = fieldValue(agent, field);
  if (value === undefined) return operator === "UNLIKE";
  const fieldCounts = counts(field);
  const here = fieldCounts.get(value) ?? 0;
  switch (operator) {
    case "UNIQUE":
      return here === 0;
    case "CLUSTER":
      if (argument !== undefined && argument !== "") return value === argument;
      // Without a value, every instance must land on the value the first one chose.
      return fieldCounts.size === 0 || here > 0;
    case "GROUP_BY": {
      const groups = argument === undefined ? 0 : Number.parseInt(argument, 10) || 0;
      // Until every expected group has an instance, only unused values are acceptable;
      // after that, only the values with the fewest instances.
      if (fieldCounts.size < groups || here === 0) return here === 0;
      let min = Number.POSITIVE_INFINITY;
      for (const c of fieldCounts.values()) min = Math.min(min, c);
      return here <= min;
    }
    case "MAX_PER":
      return here < (Number.parseInt(argument ?? "", 10) || 0);
    case "LIKE":
      return fullMatch(argument ?? "", value);
    case "UNLIKE":
      return !fullMatch(argument ?? "", value);
    case "IS":
      return value === argument;
    default:
      return false;
  }
}

const regexCache = new Map<string, RegExp | null>();

function fullMatch(pattern: string, value: string): boolean {
  let re = regexCache.get(pattern);
  if (re === undefined) {
    try {
      re = new RegExp(`^(?:${pattern})$`);
    } catch {
      re = null;
    }
    regexCache.set(pattern, re);
  }
  return re ? re.test(value) : false;
}
