/**
 * What the simulator keeps per app: its versions, its instances, its launch queue
 * entry, and the instance ids it may launch again. The engine (marathon-engine.ts)
 * holds the records; the instance lifecycle (instance-lifecycle.ts) updates them as
 * tasks end; marathon-json.ts shows them in the REST API's shapes.
 */
import type { AppDefinition, TaskFailure } from "../marathon/types.js";
import type { AgentState, ScalarResources } from "./cluster-state.js";
import type { Instance } from "./instance.js";
import { emptyOfferStats, type QueuedApp } from "./offer-round.js";

/** Everything the simulator knows about one app. */
export interface AppRecord extends QueuedApp {
  id: string;
  versions: Map<string, AppDefinition>;
  versionOrder: string[];
  instances: Map<string, Instance>;
  failures: number;
  lastTaskFailure: TaskFailure | null;
  /** Removed from the API (DELETE) but still stopping its instances. */
  deleted: boolean;
  /**
   * Instances whose task ended while Marathon still wanted them running: the next
   * launches reuse their instance ids with the next task incarnation (1.8+).
   */
  relaunch: InstanceReuse[];
  /**
   * Reservations of stopped resident instances (persistent volumes): their resources stay
   * taken on the agent, and the next launches of the app go there with the same instance id.
   */
  reservations: Reservation[];
}

/** An instance id launched again, with the incarnation of its last task. */
export interface InstanceReuse {
  instanceId: string;
  incarnation: number;
}

export interface Reservation extends InstanceReuse {
  agent: AgentState;
  resources: ScalarResources;
  ports: number[];
}

/** A new app's record: no versions or instances yet, nothing queued. */
export function newAppRecord(id: string, def: AppDefinition): AppRecord {
  return {
    id,
    def,
    versions: new Map(),
    versionOrder: [],
    instances: new Map(),
    pending: 0,
    queueSince: null,
    delayUntil: 0,
    failures: 0,
    stats: emptyOfferStats(),
    lastTaskFailure: null,
    deleted: false,
    relaunch: [],
    reservations: [],
    agentCounts: new Map(),
    stuckAt: -1,
  };
}
