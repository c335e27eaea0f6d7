// Twin of src/mesos/free-resources.ts (port ranges, kept twice on purpose: src/sim/README.md "Twins"); cross-checked by test/traefik-per-agent-deploy.test.ts and test/marathon-client-sim.test.ts.
import type { MesosAgent, MesosResources } from "../marathon/types.js";
import type { AgentSpec } from "./cluster-spec.js";
import { formatPortRanges, parsePortRanges } from "./cluster-spec.js";
import type { OfferedAgent } from "./offer-matching.js";

export interface ScalarResources {
  cpus: number;
  mem: number;
  disk: number;
  gpus: number;
}

/** One simulated Mesos agent and what is allocated on it. */
export class AgentState implements OfferedAgent {
  readonly id: string;
  readonly hostname: string;
  readonly attributes: Record<string, string | number>;
  readonly role: string;
  readonly ip: string;
  readonly total: ScalarResources;
  readonly used: ScalarResources = { cpus: 0, mem: 0, disk: 0, gpus: 0 };
  readonly portRanges: [number, number][];
  private readonly usedPorts = new Set<number>();
  readonly registeredAt: number;
  /** false while the agent is disconnected (a fault): it makes no offers. */
  active = true;

  constructor(spec: AgentSpec, id: string, ip: string, registeredAt: number) {
    this.id = id;
    this.hostname = spec.hostname;
    this.attributes = { ...(spec.attributes ?? {}) };
    this.role = spec.role ?? "*";
    this.ip = ip;
    this.total = { cpus: spec.cpus, mem: spec.mem, disk: spec.disk ?? 0, gpus: spec.gpus ?? 0 };
    this.portRanges = parsePortRanges(spec.ports ?? "[31000-32000]") ?? [];
    this.registeredAt = registeredAt;
  }

  get free(): ScalarResources {
    return {
      cpus: round(this.total.cpus - this.used.cpus),
      mem: round(this.total.mem - this.used.mem),
      disk: round(this.total.disk - this.used.disk),
      gpus: round(this.total.gpus - this.used.gpus),
    };
  }

  pickPorts(request: readonly number[]): number[] | undefined {
    const picked: number[] = [];
    const taken = (p: number) => this.usedPorts.has(p) || picked.includes(p);
    for (const wanted of request) {
      if (wanted > 0) {
        if (!this.inRange(wanted) || taken(wanted)) return undefined;
        picked.push(wanted);
        continue;
      }
      let found: number | undefined;
      for (const [lo, hi] of this.portRanges) {
        for (let p = lo; p <= hi; p++) {
          if (!taken(p)) {
            found = p;
            break;
          }
        }
        if (found !== undefined) break;
      }
      if (found === undefined) return undefined;
      picked.push(found);
    }
    return picked;
  }

  allocate(resources: ScalarResources, ports: readonly number[]): void {
    this.used.cpus = round(this.used.cpus + resources.cpus);
    this.used.mem = round(this.used.mem + resources.mem);
    this.used.disk = round(this.used.disk + resources.disk);
    this.used.gpus = round(this.used.gpus + resources.gpus);
    for (const p of ports) this.usedPorts.add(p);
  }

  release(resources: ScalarResources, ports: readonly number[]): void {
    this.used.cpus = round(Math.max(0, this.used.cpus - resources.cpus));
    this.used.mem = round(Math.max(0, this.used.mem - resources.mem));
    this.used.disk = round(Math.max(0, this.used.disk - resources.disk));
    this.used.gpus = round(Math.max(0, this.used.gpus - resources.gpus));
    for (const p of ports) this.usedPorts.delete(p);
  }

  /** The `/master/slaves` entry. */
  toMesos(): MesosAgent & Record<string, unknown> {
    const total = this.resourcesJson(this.total, formatPortRanges(this.portRanges));
    const used = this.resourcesJson(this.used, formatPortRanges(collapse([...this.usedPorts])));
    const zero = this.resourcesJson({ cpus: 0, mem: 0, disk: 0, gpus: 0 }, undefined);
    const reserved = this.role === "*" ? {} : { [this.role]: total };
    return {
      id: this.id,
      pid: `slave(1)@${this.ip}:5051`,
      hostname: this.hostname,
      port: 5051,
      registered_time: this.registeredAt / 1000,
      resources: total,
      used_resources: used,
      offered_resources: zero,
      reserved_resources: reserved,
      unreserved_resources: this.role === "*" ? total : zero,
      attributes: { ...this.attributes },
      active: this.active,
      version: "1.11.0",
      capabilities: ["MULTI_ROLE", "HIERARCHICAL_ROLE", "RESERVATION_REFINEMENT"],
    };
  }

  private inRange(port: number): boolean {
    return this.portRanges.some(([lo, hi]) => port >= lo && port <= hi);
  }

  private resourcesJson(r: ScalarResources, ports: string | undefined): MesosResources {
    const out: MesosResources = { cpus: r.cpus, mem: r.mem, disk: r.disk, gpus: r.gpus };
    if (ports !== undefined && ports !== "[]") out.ports = ports;
    return out;
  }
}

/** Sums of cpus like 0.1 + 0.2 are kept at Mesos' three-decimal precision. */
function round(n: number): number {
  return Math.round(n * 1000) / 1000;
}

function collapse(ports: number[]): [number, number][] {
  const sorted = ports.sort((a, b) => a - b);
  const ranges: [number, number][] = [];
  for (const p of sorted) {
    const last = ranges[ranges.length - 1];
    if (last && last[1] === p - 1) last[1] = p;
    else ranges.push([p, p]);
  }
  return ranges;
}
