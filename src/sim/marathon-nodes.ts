/**
 * The simulated Marathon instances (the leader and its standbys) as HTTP servers:
 * one server per node, bound one after the other, each answering through the shared
 * request handler of marathon-http.ts. Used by startSimulator (index.ts); leadership.ts
 * says which node leads.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { closeServer, listen, trackSockets, writeReply } from "./http-server.js";

/** One Marathon instance of the simulator: its server and where it listens. */
export interface MarathonNode {
  server: Server;
  url: string;
  hostPort: string;
}

/** Answers one request that reached the node at `index` (0 = the first leader). */
export type MarathonRequestHandler = (index: number, req: IncomingMessage, res: ServerResponse) => Promise<void>;

export interface MarathonNodeOptions {
  /** The leader and the standbys. */
  count: number;
  /** Port of the first node (0 = any free port); standbys always take free ports. */
  port: number;
  host: string;
  /** Every accepted socket goes here, so close() can destroy the ones still open. */
  sockets: Set<Socket>;
  handle: MarathonRequestHandler;
}

/**
 * Binds `count` Marathon servers, appending each to `nodes` as soon as it listens (the
 * handler reads `nodes`). When one cannot listen, the ones already bound are closed
 * and the {@link SimulatorListenError} is thrown.
 */
export async function bindMarathonNodes(nodes: MarathonNode[], options: MarathonNodeOptions): Promise<void> {
  const { count, host, sockets, handle } = options;
  for (let i = 0; i < count; i++) {
    const server = createServer((req, res) => {
      handle(i, req, res).catch((error: unknown) => {
        if (!res.headersSent) writeReply(res, { status: 500, body: { message: String(error) } });
        else res.destroy();
      });
    });
    trackSockets(server, sockets);
    const port = await listen(server, i === 0 ? options.port : 0, host).catch(async (error: unknown) => {
      await closeMarathonNodes(nodes);
      throw error;
    });
    nodes.push({ server, url: `http://${host}:${port}`, hostPort: `${host}:${port}` });
  }
}

export function closeMarathonNodes(nodes: MarathonNode[]): Promise<void[]> {
  return Promise.all(nodes.map((n) => closeServer(n.server)));
}
