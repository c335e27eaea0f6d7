import { isActive } from "./instance.js";
import type { MarathonEngine } from "./marathon-engine.js";
import type { ApiReply } from "./api-types.js";

/**
 * The Mesos master endpoints a client needs to compute free capacity per agent:
 * `/master/slaves` and `/master/state` (plus `/health` and `/version`).
 */
export function handleMesos(engine: MarathonEngine, method: string, url: URL, selfHostPort: string): ApiReply {
  const path = url.pathname.replace(/\/+$/, "");
  if (method !== "GET") return { status: 405, body: { message: "Method not allowed" } };
  switch (path) {
    case "/master/slaves":
    case "/slaves":
      return { status: 200, body: { slaves: engine.agents.map((a) => a.toMesos()), recovered_slaves: [] } };
    case "/master/state":
    case "/state":
    case "/master/state.json":
      return { status: 200, body: state(engine, selfHostPort) };
    case "/health":
    case "/master/health":
      return { status: 200, text: "" };
    case "/version":
      return { status: 200, body: { version: "1.11.0", build_user: "mdeploy-sim" } };
    default:
      return { status: 404, text: "" };
  }
}

function state(engine: MarathonEngine, selfHostPort: string): Record<string, unknown> {
  const now = engine.clock.now() / 1000;
  const tasks = engine.visibleApps().flatMap((app) =>
    [...app.instances.values()].filter(isActive).map((i) => ({
      id: i.taskId,
      name: app.id.slice(1).split("/").reverse().join("."),
      framework_id: engine.frameworkId,
      executor_id: "",
      slave_id: i.agent.id,
      state: i.state,
      resources: { ...i.resources, ...(i.ports.length > 0 ? { ports: `[${i.ports.map((p) => `${p}-${p}`).join(", ")}]` } : {}) },
      statuses: [{ state: i.state, timestamp: now }],
    })),
  );
  const used = { cpus: 0, mem: 0, disk: 0, gpus: 0 };
  for (const a of engine.agents) {
    used.cpus += a.used.cpus;
    used.mem += a.used.mem;
    used.disk += a.used.disk;
    used.gpus += a.used.gpus;
  }
  return {
    version: "1.11.0",
    id: engine.masterId,
    pid: `master@${selfHostPort}`,
    hostname: selfHostPort.split(":")[0],
    leader: `master@${selfHostPort}`,
    leader_info: { id: engine.masterId, hostname: selfHostPort.split(":")[0], port: Number(selfHostPort.split(":")[1]) },
    start_time: now,
    elected_time: now,
    activated_slaves: engine.agents.length,
    deactivated_slaves: 0,
    flags: {},
    slaves: engine.agents.map((a) => a.toMesos()),
    frameworks: [
      {
        id: engine.frameworkId,
        name: "marathon",
        hostname: "127.0.0.1",
        active: true,
        role: "*",
        used_resources: used,
        offered_resources: { cpus: 0, mem: 0, disk: 0, gpus: 0 },
        tasks,
        completed_tasks: [],
      },
    ],
    completed_frameworks: [],
    unregistered_frameworks: [],
  };
}
