/**
 * Turns Mesos master agent records (`/master/slaves`) into the planner's
 * snapshot of free capacity. Pure: the Mesos adapter fetches, this computes.
 */
import type { MesosAgent, MesosResources } from "../marathon/types.js";
import type { AgentCapacity, ClusterSnapshot, ResourceAmounts } from "./types.js";

/** Free = unreserved total minus what tasks use; reserved pools are offered whole to their role. */
export function snapshotFromAgents(agents: readonly MesosAgent[]): ClusterSnapshot {
  return { agents: agents.map(agentCapacity) };
}

function agentCapacity(agent: MesosAgent): AgentCapacity {
  const unreserved = agent.unreserved_resources ?? agent.resources;
  const totalRanges = parsePortRanges(unreserved.ports);
  const usedRanges = parsePortRanges(agent.used_resources.ports);
  const freePortRanges = subtractRanges(totalRanges, usedRanges);
  const free: ResourceAmounts = {
    cpus: Math.max(0, round(unreserved.cpus - agent.used_resources.cpus)),
    mem: Math.max(0, round(unreserved.mem - agent.used_resources.mem)),
    disk: Math.max(0, round(unreserved.disk - agent.used_resources.disk)),
    ports: countPorts(freePortRanges),
  };
  const reserved: Record<string, ResourceAmounts> = {};
  for (const [role, amounts] of Object.entries(agent.reserved_resources ?? {})) {
    if (role === "*") continue;
    reserved[role] = amountsOf(amounts);
  }
  const capacity: AgentCapacity = {
    id: agent.id,
    hostname: agent.hostname,
    attributes: { ...agent.attributes },
    free,
    total: amountsOf(agent.resources),
    freePortRanges,
    active: agent.active,
  };
  if (Object.keys(reserved).length > 0) capacity.reserved = reserved;
  return capacity;
}

function amountsOf(r: MesosResources): ResourceAmounts {
  return { cpus: r.cpus, mem: r.mem, disk: r.disk, ports: countPorts(parsePortRanges(r.ports)) };
}

/** Parses Mesos' range text "[31000-31005, 31010-32000]". */
export function parsePortRanges(text: string | undefined): [number, number][] {
  if (!text) return [];
  const ranges: [number, number][] = [];
  for (const match of text.matchAll(/(\d+)\s*-\s*(\d+)/g)) ranges.push([Number(match[1]), Number(match[2])]);
  return ranges.sort((a, b) => a[0] - b[0]);
}

function subtractRanges(total: [number, number][], used: [number, number][]): [number, number][] {
  let result = total.map((r) => [...r] as [number, number]);
  for (const [ulo, uhi] of used) {
    const next: [number, number][] = [];
    for (const [lo, hi] of result) {
      if (uhi < lo || ulo > hi) {
        next.push([lo, hi]);
        continue;
      }
      if (ulo > lo) next.push([lo, ulo - 1]);
      if (uhi < hi) next.push([uhi + 1, hi]);
    }
    result = next;
  }
  return result;
}

function countPorts(ranges: [number, number][]): number {
  return ranges.reduce((sum, [lo, hi]) => sum + (hi - lo + 1), 0);
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
