/**
 * What one instance of an app asks Mesos for, with Marathon's defaults
 * (cpus 1, mem 128, disk 0; a host-networked app with no ports gets one).
 */
import type { AppDefinition } from "../marathon/types.js";
import type { ResourceAmounts } from "./types.js";

export interface InstanceNeeds {
  resources: ResourceAmounts;
  /** Host ports that must be exactly these numbers (requirePorts, or fixed hostPort mappings). */
  fixedPorts: number[];
}

/** Resources and host ports one instance of `app` needs. */
export function instanceNeeds(app: AppDefinition): InstanceNeeds {
  const fixedPorts: number[] = [];
  let ports = 0;
  const mappings = app.container?.portMappings ?? app.container?.docker?.portMappings;
  const mode = app.networks?.[0]?.mode ?? (app.container?.docker?.network === "BRIDGE" ? "container/bridge" : "host");
  if (mode === "host") {
    const definitions = app.portDefinitions ?? (app.ports ? app.ports.map((port) => ({ port })) : [{ port: 0 }]);
    ports = definitions.length;
    if (app.requirePorts) for (const d of definitions) if (d.port > 0) fixedPorts.push(d.port);
  } else if (mappings) {
    for (const m of mappings) {
      if (m.hostPort === undefined) continue;
      ports++;
      if (m.hostPort > 0) fixedPorts.push(m.hostPort);
    }
  }
  return {
    resources: { cpus: app.cpus ?? 1, mem: app.mem ?? 128, disk: app.disk ?? 0, ports },
    fixedPorts,
  };
}
