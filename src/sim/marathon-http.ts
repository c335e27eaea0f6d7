/**
 * How one HTTP request to a simulated Marathon node is answered: `/_sim/routing`,
 * then injected faults, authentication, the wait for a leader and a standby's proxying
 * (LeaderProxyFilter), the event stream, and finally the REST layer (marathon-api.ts).
 * Used by startSimulator (index.ts), which binds it to every node (marathon-nodes.ts).
 */
import { request as httpRequest, type IncomingMessage, type ServerResponse } from "node:http";
import type { ClusterSpec } from "./cluster-spec.js";
import type { AnswerAfterApplying, FaultState } from "./faults.js";
import { writeReply } from "./http-server.js";
import type { Leadership } from "./leadership.js";
import type { ApiReply } from "./api-types.js";
import type { MarathonApi } from "./marathon-api.js";
import type { MarathonNode, MarathonRequestHandler } from "./marathon-nodes.js";
import type { TrafficView } from "./traffic-feed.js";

const MAX_BODY = 10 * 1024 * 1024;
/** The routing table (src/sim/traffic.ts) as JSON, on every Marathon port of the simulator. */
const ROUTING_PATH = "/_sim/routing";
/** Real time a request waits for a leader before 502. */
const LEADER_WAIT_MS = 2_500;

/** The open `/v2/events` streams, so a fault, a leader change or close() can end them all. */
export class EventStreams {
  private readonly open = new Set<() => void>();

  /** Remembers a stream's `close`; the returned function forgets it. */
  register(close: () => void): () => void {
    this.open.add(close);
    return () => this.open.delete(close);
  }

  closeAll(): void {
    for (const close of [...this.open]) close();
    this.open.clear();
  }
}

/** What the handler answers from. */
export interface MarathonHttpContext {
  api: MarathonApi;
  faults: FaultState;
  leadership: Leadership;
  streams: EventStreams;
  traffic: TrafficView;
  credentials: ClusterSpec["credentials"];
  /** True once the simulator is closing: requests stop waiting for a leader. */
  closed(): boolean;
}

/** The request handler of every Marathon node. */
export function marathonRequestHandler(context: MarathonHttpContext): MarathonRequestHandler {
  const { api, faults, leadership, streams, traffic, credentials } = context;
  const expectedAuth = credentials ? `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString("base64")}` : undefined;
  return async (index, req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    // The simulator's own view, not Marathon's API: no faults, auth or leader proxying.
    // Marathon serves nothing under /_sim, so the path cannot shadow one of its routes.
    if (url.pathname === ROUTING_PATH) {
      writeReply(res, req.method === "GET" || req.method === "HEAD" ? { status: 200, body: traffic.routing() } : { status: 405, body: { message: `${ROUTING_PATH} answers GET only` } }, req.method === "HEAD");
      return;
    }
    const decision = faults.decide("marathon", url.pathname, req.method ?? "GET");
    if (decision.latencyMs > 0) await new Promise((r) => setTimeout(r, decision.latencyMs));
    if (decision.kind === "reset") {
      req.socket.resetAndDestroy();
      return;
    }
    if (decision.kind === "fail") {
      writeReply(res, { status: decision.status, body: { message: decision.message } });
      return;
    }
    if (expectedAuth && req.headers.authorization !== expectedAuth) {
      writeReply(res, { status: 401, body: { message: "Unauthorized" }, headers: { "WWW-Authenticate": 'Basic realm="Mesosphere"' } });
      return;
    }
    const self = leadership.nodes[index] as MarathonNode;
    if (leadership.index < 0 && url.pathname !== "/ping") {
      // Marathon's LeaderProxyFilter retries for about 2.5 s, then answers 502 (1.7+).
      for (let waited = 0; leadership.index < 0 && waited < LEADER_WAIT_MS && !context.closed(); waited += 50) await new Promise((r) => setTimeout(r, 50));
    }
    const leader = leadership.leader();
    if (index !== leadership.index && url.pathname !== "/ping") {
      if (!leader) {
        writeReply(res, { status: 502, body: { message: "Could not determine the current leader" } });
        return;
      }
      if (String(req.headers.via ?? "").includes(self.hostPort)) {
        writeReply(res, { status: 502, body: { message: "Detected proxying loop." } });
        return;
      }
      if (url.pathname === "/v2/events") {
        res.writeHead(302, { Location: `${leader.url}${url.pathname}${url.search}` }).end();
        return;
      }
      proxy(req, res, leader, self);
      return;
    }
    const leaderHeader: Record<string, string> = leader ? { "X-Marathon-Leader": leader.url } : {};
    if (url.pathname === "/v2/events" && req.method === "GET") {
      for (const [k, v] of Object.entries(leaderHeader)) res.setHeader(k, v);
      api.streamEvents(req, res, url, (close) => streams.register(close));
      return;
    }
    const body = await readBody(req);
    if (body === undefined) {
      writeReply(res, { status: 413, body: { message: "Request entity too large" } });
      return;
    }
    let reply: ApiReply;
    try {
      reply = api.handle({ method: req.method ?? "GET", url, body, remoteAddress: req.socket.remoteAddress ?? "127.0.0.1" });
    } catch (error) {
      // A bug in the simulator must not kill it: answer like Marathon's exception mapper.
      reply = { status: 500, body: { message: `Internal simulator error: ${(error as Error).message}` } };
    }
    if (decision.kind === "after") {
      writeAfterApplying(req, res, decision.answer, reply);
      return;
    }
    writeReply(res, { ...reply, headers: { ...leaderHeader, ...(reply.headers ?? {}) } }, req.method === "HEAD");
  };
}

/** The answer a client gets for a request that was applied but answered badly (faults.answerAfterApplying). */
function writeAfterApplying(req: IncomingMessage, res: ServerResponse, answer: AnswerAfterApplying, reply: ApiReply): void {
  if (answer === "reset") {
    req.socket.resetAndDestroy();
    return;
  }
  if (typeof answer === "number") {
    writeReply(res, { status: answer, body: { message: `${answer === 504 ? "Gateway Timeout" : answer === 502 ? "Bad Gateway" : "Service Unavailable"} (simulated proxy)` } });
    return;
  }
  if (answer === "empty") {
    res.writeHead(reply.status, { "Content-Length": "0" }).end();
    return;
  }
  if (answer === "not-json") {
    writeReply(res, { status: reply.status, text: "<html><body>OK</body></html>" });
    return;
  }
  // "cut": the headers promise the whole body, half of it arrives, then the connection closes.
  const payload = JSON.stringify(reply.body ?? {});
  res.writeHead(reply.status, { "Content-Type": "application/json; charset=utf-8", "Content-Length": String(Buffer.byteLength(payload)) });
  res.write(payload.slice(0, Math.floor(payload.length / 2)), () => res.destroy());
}

function readBody(req: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY) chunks.push(chunk);
    });
    req.on("end", () => resolve(size > MAX_BODY ? undefined : Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

/** A standby forwards the request to the leader, as Marathon's LeaderProxyFilter does. */
function proxy(req: IncomingMessage, res: ServerResponse, leader: MarathonNode, self: MarathonNode): void {
  const target = new URL(req.url ?? "/", leader.url);
  const forward = httpRequest(
    target,
    { method: req.method, headers: { ...req.headers, host: leader.hostPort, via: `1.1 ${self.hostPort}` } },
    (upstream) => {
      res.writeHead(upstream.statusCode ?? 502, upstream.headers);
      upstream.pipe(res);
    },
  );
  forward.on("error", () => {
    if (!res.headersSent) writeReply(res, { status: 502, body: { message: "Could not reach the current leader" } });
    else res.destroy();
  });
  req.pipe(forward);
}

