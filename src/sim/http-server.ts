/**
 * The node:http plumbing every server of the simulator shares: writing an answer,
 * binding a port (with {@link SimulatorListenError}), tracking sockets so close() can
 * end them, closing a server. Used by marathon-http.ts, marathon-nodes.ts,
 * mesos-server.ts and startSimulator (index.ts).
 */
import type { Server, ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import type { ApiReply } from "./api-types.js";

export function writeReply(res: ServerResponse, reply: ApiReply, headOnly = false): void {
  const headers: Record<string, string> = { ...(reply.headers ?? {}) };
  let payload = "";
  if (reply.text !== undefined) {
    headers["Content-Type"] = "text/plain; charset=utf-8";
    payload = reply.text;
  } else if (reply.body !== undefined) {
    headers["Content-Type"] = "application/json; charset=utf-8";
    payload = JSON.stringify(reply.body);
  }
  headers["Content-Length"] = String(Buffer.byteLength(payload));
  res.writeHead(reply.status, headers);
  res.end(headOnly ? undefined : payload);
}

export function trackSockets(server: Server, sockets: Set<Socket>): void {
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
}

/** A port of the simulator could not be bound (in use, no permission, bad host). */
export class SimulatorListenError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
    this.name = "SimulatorListenError";
  }
}

export function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", (error: NodeJS.ErrnoException) => {
      reject(new SimulatorListenError(`cannot listen on ${host}:${port}: ${error.code === "EADDRINUSE" ? "address already in use" : (error.code ?? error.message)}`, error.code));
    });
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}
