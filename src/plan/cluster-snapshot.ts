/**
 * Turns Mesos master agent records (`/master/slaves`) into the planner's
 * snapshot of free capacity, on top of the Mesos adapter's pure free-resource
 * arithmetic. Pure.
 */
import type { MesosAgent } from "../marathon/types.js";
import { countRangeValues, freeResources, type ResourcePool } from "./free-resources.js";
import type { AgentCapacity, ClusterSnapshot, ResourceAmounts } from "./types.js";

/** Free = what Mesos says is neither used nor reserved for another role. */
export function snapshotFromAgents(agents: readonly MesosAgent[]): ClusterSnapshot {
  return { agents: agents.map(agentCapacity) };
}

function agentCapacity(agent: MesosAgent): AgentCapacity {
  const free = freeResources(agent);
  const capacity: AgentCapacity = {
    id: free.id,
    hostname: free.hostname,
    attributes: free.attributes,
    free: amounts(free.unreserved),
    total: amounts(free.total),
    freePortRanges: free.unreserved.ports,
    portRanges: free.total.ports,
    active: free.active,
  };
  if (free.roles.length > 0) {
    capacity.reserved = {};
    for (const role of free.roles) capacity.reserved[role] = amounts(free.reserved[role] as ResourcePool);
  }
  return capacity;
}

function amounts(pool: ResourcePool): ResourceAmounts {
  return { cpus: pool.cpus, mem: pool.mem, disk: pool.disk, ports: countRangeValues(pool.ports) };
}
