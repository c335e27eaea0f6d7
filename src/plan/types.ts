/**
 * Values the upgrade planner reads and returns. All plain, serializable data:
 * `mdeploy plan` prints an UpgradePlan, tests assert on it, deploy acts on it.
 */
import type { UpgradeStrategy } from "../marathon/types.js";

/** The resources one instance needs, or an agent has free. `ports` counts host ports. */
export interface ResourceAmounts {
  cpus: number;
  mem: number;
  disk: number;
  ports: number;
}

/** One Mesos agent as the planner sees it: what is free now, after everything running (including the app's old instances). */
export interface AgentCapacity {
  id: string;
  hostname: string;
  /** Mesos attributes (text or scalar), used by constraints. */
  attributes: Record<string, string | number>;
  /** Free unreserved resources (role `*`). */
  free: ResourceAmounts;
  /** Free resources reserved for a role, by role name. */
  reserved?: Record<string, ResourceAmounts>;
  /** Totals (unreserved plus reserved), to tell "full" from "too small". */
  total: ResourceAmounts;
  /** Free host port ranges, inclusive, for apps that ask for fixed host ports. */
  freePortRanges?: [number, number][];
  /** Every host port range the agent offers, used or not (its `--resources=ports:`), to tell "not offered" from "taken". */
  portRanges?: [number, number][];
  /** An inactive or draining agent gets no new tasks. */
  active: boolean;
}

/** Free capacity of the cluster at one moment. */
export interface ClusterSnapshot {
  agents: AgentCapacity[];
}

/** `--strategy`: capacity-aware choice, or the template's own (Marathon's default when it has none). */
export type StrategyMode = "auto" | "template";

/** Where the strategy in a plan came from. */
export type StrategySource = "template" | "marathon-default" | "auto";

/** What Marathon will do with the PUT. */
export type PlanKind = "create" | "restart" | "scale" | "unchanged";

/** One predicted moment of the rolling upgrade. */
export interface PlanStep {
  /** What happens, in words ("stop 1 old instance on staging-1"). */
  action: string;
  /** Old-version instances still running after the step. */
  oldRunning: number;
  /** New-version instances running (healthy or starting) after the step. */
  newRunning: number;
  /** Instances counted healthy after the step (old ones are assumed healthy). */
  healthy: number;
}

/** Peak cluster use by the app during the upgrade (old and new instances together). */
export interface PeakUse {
  instances: number;
  cpus: number;
  mem: number;
  disk: number;
}

/** The planner's verdict for one deploy. */
export interface UpgradePlan {
  appId: string;
  kind: PlanKind;
  instances: { from: number; to: number };
  /** The upgradeStrategy mdeploy will send with the PUT. */
  strategy: UpgradeStrategy;
  strategySource: StrategySource;
  /** True when the deployment can finish with the free capacity there is. */
  feasible: boolean;
  /** True when at least one healthy instance runs at every predicted moment (always true for a new app). */
  zeroDowntime: boolean;
  /** The fewest healthy instances at any predicted moment. */
  minHealthy: number;
  /** One line for a person: what will happen or why it cannot. */
  verdict: string;
  /** Why the strategy was lowered, or what blocks the upgrade (each a sentence). */
  reasons: string[];
  /** What is missing, in words, when not feasible. */
  shortfall?: string;
  steps: PlanStep[];
  peak: PeakUse;
  /**
   * Which old instances the Marathon counts before a restart's immediate kills, in
   * words ("Marathon 1.11: instances checked by Marathon (HTTP) do not count for
   * immediate kills"); set for restarts of a running app.
   */
  restartRule?: string;
  /** Traps in the app definition worth a warning (mem 0, UNIQUE without a spare agent, ...). */
  warnings: string[];
}
