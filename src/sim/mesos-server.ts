/**
 * The simulated Mesos master as an HTTP server: injected faults first, then the
 * endpoints of mesos-api.ts. Used by startSimulator (index.ts).
 */
import { createServer, type Server } from "node:http";
import type { Socket } from "node:net";
import type { FaultState } from "./faults.js";
import { listen, trackSockets, writeReply } from "./http-server.js";
import type { MarathonEngine } from "./marathon-engine.js";
import { handleMesos } from "./mesos-api.js";

export interface MesosServerOptions {
  engine: MarathonEngine;
  faults: FaultState;
  /** Port to bind (0 = any free port). */
  port: number;
  host: string;
  /** Every accepted socket goes here, so close() can destroy the ones still open. */
  sockets: Set<Socket>;
}

/** A bound Mesos master. */
export interface MesosServer {
  server: Server;
  url: string;
}

/** Binds the Mesos master; rejects with a SimulatorListenError when the port cannot be bound. */
export async function startMesosServer(options: MesosServerOptions): Promise<MesosServer> {
  const { engine, faults, host } = options;
  let mesosHostPort = "";
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    const decision = faults.decide("mesos", url.pathname, req.method ?? "GET");
    const answer = () => {
      if (decision.kind === "reset") return req.socket.resetAndDestroy();
      if (decision.kind === "fail") return writeReply(res, { status: decision.status, body: { message: decision.message } });
      writeReply(res, handleMesos(engine, req.method ?? "GET", url, mesosHostPort));
    };
    if (decision.latencyMs > 0) setTimeout(answer, decision.latencyMs);
    else answer();
  });
  trackSockets(server, options.sockets);
  const port = await listen(server, options.port, host);
  mesosHostPort = `${host}:${port}`;
  return { server, url: `http://${mesosHostPort}` };
}
