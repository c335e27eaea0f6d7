/**
 * What a Mesos agent can still offer, from its `/master/slaves` record. Pure:
 * the Mesos client fetches, this computes (the planner consumes it).
 *
 * Mesos reports totals (`resources`), the part not reserved for any role
 * (`unreserved_resources`), per-role reservations (`reserved_resources`) and
 * what tasks use (`used_resources`). With `used_resources_full` (Mesos 1.x) the
 * use is attributed to the pool it came from; without it the use is taken from
 * every pool (conservative: free capacity is never overstated).
 */
import type { MesosAgent, MesosResources } from "../marathon/types.js";

/** An inclusive range of port numbers, `[begin, end]`. */
export type PortRange = [number, number];

/** Scalar resources and port ranges of one pool. */
export interface ResourcePool {
  cpus: number;
  mem: number;
  disk: number;
  gpus: number;
  /** Inclusive ranges, sorted and merged. */
  ports: PortRange[];
}

/** One agent's free capacity. */
export interface AgentFreeResources {
  id: string;
  hostname: string;
  /** Inactive (deactivated, draining) agents get no new tasks. */
  active: boolean;
  /** Mesos attributes, for constraints (`type:staging`, `rack:1`). */
  attributes: Record<string, string | number>;
  /** Free resources not reserved for any role (role `*`). */
  unreserved: ResourcePool;
  /** Free resources reserved for each role, by role. */
  reserved: Record<string, ResourcePool>;
  /** Roles with a reservation on this agent, sorted. */
  roles: string[];
  /** Everything the agent has, used or not. */
  total: ResourcePool;
}

/** One entry of `used_resources_full` (Mesos' Resource protobuf as JSON); only the fields read here. */
interface FullResource {
  name: string;
  scalar?: { value: number };
  ranges?: { range: { begin: number; end: number }[] };
  role?: string;
  reservations?: { role?: string }[];
}

/**
 * Parses Mesos' range text: "[31000-31999, 32001-32100]", "[31000-31000]", "[]".
 * Ranges come back sorted, with overlapping or adjacent ranges merged. Text that
 * holds no range (undefined, "", garbage) gives no ranges.
 */
export function parseRanges(text: string | undefined): PortRange[] {
  if (!text) return [];
  // A hand-rolled scan, not a regex: planning reads this text for every agent of a large cluster.
  const ranges: PortRange[] = [];
  const n = text.length;
  let i = 0;
  while (i < n) {
    let c = text.charCodeAt(i);
    if (c < 48 || c > 57) {
      i++;
      continue;
    }
    let begin = 0;
    for (; i < n && c >= 48 && c <= 57; c = text.charCodeAt(++i)) begin = begin * 10 + (c - 48);
    while (c === 32) c = text.charCodeAt(++i);
    if (c !== 45) continue; // "-"
    c = text.charCodeAt(++i);
    while (c === 32) c = text.charCodeAt(++i);
    if (c < 48 || c > 57) continue;
    let end = 0;
    for (; i < n && c >= 48 && c <= 57; c = text.charCodeAt(++i)) end = end * 10 + (c - 48);
    if (begin <= end) ranges.push([begin, end]);
  }
  return mergeRanges(ranges);
}

/** Formats ranges the way Mesos does: "[31000-31999, 32001-32100]". */
export function formatRanges(ranges: readonly PortRange[]): string {
  return `[${ranges.map(([b, e]) => `${b}-${e}`).join(", ")}]`;
}

/** How many ports the ranges hold. */
export function countRangeValues(ranges: readonly PortRange[]): number {
  return ranges.reduce((sum, [b, e]) => sum + (e - b + 1), 0);
}

/** Sorts and merges overlapping or adjacent ranges. */
function mergeRanges(ranges: readonly PortRange[]): PortRange[] {
  let inOrder = true;
  for (let k = 1; k < ranges.length && inOrder; k++) inOrder = (ranges[k - 1] as PortRange)[0] <= (ranges[k] as PortRange)[0];
  const sorted = inOrder ? ranges : [...ranges].sort((a, b) => a[0] - b[0]);
  const merged: PortRange[] = [];
  for (const [b, e] of sorted) {
    const last = merged[merged.length - 1];
    if (last && b <= last[1] + 1) last[1] = Math.max(last[1], e);
    else merged.push([b, e]); // a copy: callers' ranges are never modified
  }
  return merged;
}

/** The ports in `from` that are not in `remove`. */
export function subtractRanges(from: readonly PortRange[], remove: readonly PortRange[]): PortRange[] {
  return subtractMerged(mergeRanges(from), mergeRanges(remove));
}

/** subtractRanges for inputs already sorted and merged (what parseRanges returns). */
function subtractMerged(from: readonly PortRange[], cuts: readonly PortRange[]): PortRange[] {
  if (cuts.length === 0) return from.map(([b, e]): PortRange => [b, e]);
  const out: PortRange[] = [];
  for (const [begin, end] of from) {
    let cursor = begin;
    for (const [cb, ce] of cuts) {
      if (ce < cursor || cb > end) continue;
      if (cb > cursor) out.push([cursor, cb - 1]);
      cursor = Math.max(cursor, ce + 1);
      if (cursor > end) break;
    }
    if (cursor <= end) out.push([cursor, end]);
  }
  return out;
}

/** Whether a port lies in the ranges. */
export function rangesInclude(ranges: readonly PortRange[], port: number): boolean {
  return ranges.some(([b, e]) => port >= b && port <= e);
}

/** An agent's free resources, unreserved and per reserved role. */
export function freeResources(agent: MesosAgent): AgentFreeResources {
  const reservedByRole = Object.entries(agent.reserved_resources ?? {}).filter(([role]) => role !== "*");
  const unreservedTotal = poolOf(agent.unreserved_resources ?? (reservedByRole.length === 0 ? agent.resources : subtractAll(agent.resources, reservedByRole)));
  const full = (agent as MesosAgent & { used_resources_full?: unknown }).used_resources_full;
  const usedByRole = Array.isArray(full) ? poolsByRole(full as FullResource[]) : undefined;
  const allUsed = poolOf(agent.used_resources);

  const reserved: Record<string, ResourcePool> = {};
  for (const [role, amounts] of reservedByRole) {
    reserved[role] = minus(poolOf(amounts), usedByRole ? (usedByRole.get(role) ?? emptyPool()) : allUsed);
  }
  return {
    id: agent.id,
    hostname: agent.hostname,
    active: agent.active,
    attributes: { ...agent.attributes },
    unreserved: minus(unreservedTotal, usedByRole ? (usedByRole.get("*") ?? emptyPool()) : allUsed),
    reserved,
    roles: reservedByRole.map(([role]) => role).sort(),
    total: poolOf(agent.resources),
  };
}

/**
 * What an app with these `acceptedResourceRoles` (Marathon's default: `["*"]`)
 * could use on the agent: the sum of the matching pools.
 */
export function poolForRoles(free: AgentFreeResources, acceptedResourceRoles: readonly string[] = ["*"]): ResourcePool {
  let pool = emptyPool();
  for (const role of new Set(acceptedResourceRoles)) {
    const part = role === "*" ? free.unreserved : free.reserved[role];
    if (part) pool = plus(pool, part);
  }
  return pool;
}

function emptyPool(): ResourcePool {
  return { cpus: 0, mem: 0, disk: 0, gpus: 0, ports: [] };
}

function poolOf(r: MesosResources | undefined): ResourcePool {
  if (!r) return emptyPool();
  return { cpus: r.cpus ?? 0, mem: r.mem ?? 0, disk: r.disk ?? 0, gpus: r.gpus ?? 0, ports: parseRanges(r.ports) };
}

function subtractAll(total: MesosResources, parts: [string, MesosResources][]): MesosResources {
  let pool = poolOf(total);
  for (const [, part] of parts) pool = minus(pool, poolOf(part));
  return { cpus: pool.cpus, mem: pool.mem, disk: pool.disk, gpus: pool.gpus, ports: formatRanges(pool.ports) };
}

// Mesos scalars are fixed-point with three decimals; rounding keeps 0.1 + 0.2 from leaking into plans.
const round = (n: number): number => Math.round(n * 1000) / 1000;

function minus(a: ResourcePool, b: ResourcePool): ResourcePool {
  return {
    cpus: Math.max(0, round(a.cpus - b.cpus)),
    mem: Math.max(0, round(a.mem - b.mem)),
    disk: Math.max(0, round(a.disk - b.disk)),
    gpus: Math.max(0, round(a.gpus - b.gpus)),
    ports: subtractMerged(a.ports, b.ports),
  };
}

function plus(a: ResourcePool, b: ResourcePool): ResourcePool {
  return {
    cpus: round(a.cpus + b.cpus),
    mem: round(a.mem + b.mem),
    disk: round(a.disk + b.disk),
    gpus: round(a.gpus + b.gpus),
    ports: mergeRanges([...a.ports, ...b.ports]),
  };
}

/** Sums `used_resources_full` entries per role ("*" for unreserved). */
function poolsByRole(resources: readonly FullResource[]): Map<string, ResourcePool> {
  const byRole = new Map<string, ResourcePool>();
  for (const r of resources) {
    // Reservation refinement (Mesos 1.4+) lists reservations, the last being the current role.
    const role = r.reservations && r.reservations.length > 0 ? (r.reservations[r.reservations.length - 1]?.role ?? "*") : (r.role ?? "*");
    const pool = byRole.get(role) ?? emptyPool();
    if (r.name === "ports" && r.ranges) pool.ports = mergeRanges([...pool.ports, ...r.ranges.range.map((x): PortRange => [x.begin, x.end])]);
    else if ((r.name === "cpus" || r.name === "mem" || r.name === "disk" || r.name === "gpus") && r.scalar) pool[r.name] = round(pool[r.name] + r.scalar.value);
    byRole.set(role, pool);
  }
  return byRole;
}
