/**
 * The Marathon + Mesos simulator: a Marathon 1.10/1.11 REST API (leader plus
 * optional standbys) and a Mesos master over a simulated cluster, on a virtual clock.
 *
 * ```ts
 * const sim = await startSimulator({ cluster: defaultCluster(), seed: 7 });
 * // sim.marathonUrl, sim.mesosUrl: point adapters or `mdeploy deploy` at them
 * await sim.clock.runUntil(() => sim.state.deployments().length === 0, { maxMs: 600_000 });
 * sim.timeline.samples("/click-count"); // healthy/active counts per moment
 * await sim.close();
 * ```
 *
 * Public API used by other areas:
 * - {@link startSimulator}(options) -> {@link Simulator}: `marathonUrl` (leader), `marathonUrls`
 *   (leader + standbys), `mesosUrl`, `clock`, `faults` (latency, failNext, resetNext,
 *   answerAfterApplying, beforeNext, dropEventStreams, changeLeader, agentDown/agentUp, clear), `timeline` (samples, extremes,
 *   forApp; "routing" entries), `traffic` (routing, history, shareOf: the Traefik routing table of
 *   src/sim/traffic.ts, also `GET /_sim/routing`), `state` (app, apps, tasks, deployments, queue, agents, healthyCount, queueReason,
 *   events), `onEvent(listener)`, `apply(request)` (an in-process API call), `close()`.
 * - {@link VirtualClock}: `now()`, `sleep(ms, signal)` (the Clock interface of src/core/clock.ts), step mode
 *   `advance(ms)` / `runUntil(predicate, { maxMs })`, speed mode `setSpeed(n)`.
 * - {@link defaultCluster}(): agents svc (2 cpus, 8 GB), staging and production (t2.micro:
 *   1 cpu, 497 MB), attribute `type`; images `*click-count*` (needs 280 MB), `*:broken` (never
 *   healthy), `*:crash` (exits at start), `*:oom`, `*:slow`.
 * - {@link loadClusterFile}(path): YAML cluster file, validated; throws ConfigError.
 */
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import type { Deployment, MarathonEvent, MesosAgent, QueueItem, Task } from "../marathon/types.js";
import { defaultCluster, type ClusterSpec } from "./cluster-spec.js";
import { FaultState, type AnswerAfterApplying, type FaultInjector } from "./faults.js";
import { isActive, taskJson } from "./instance.js";
import { MarathonApi, type ApiReply } from "./marathon-api.js";
import { MarathonEngine } from "./marathon-engine.js";
import { appJson, deploymentJson, mainRejectReason, parseEmbeds, queueJson } from "./marathon-json.js";
import { handleMesos } from "./mesos-api.js";
import { createSeededRandom } from "./seeded-random.js";
import type { Timeline } from "./timeline.js";
import { attachTraffic, type TrafficView } from "./traffic-feed.js";
import { VirtualClock } from "./virtual-clock.js";

export { VirtualClock, DEFAULT_CLOCK_START } from "./virtual-clock.js";
export type { VirtualClockOptions, TimerHandle } from "./virtual-clock.js";
export { defaultCluster, resolveBehaviour } from "./cluster-spec.js";
export type { AgentSpec, ClusterSpec, ImageBehaviour, MarathonSimSettings, RestartCounts } from "./cluster-spec.js";
export { loadClusterFile, parseClusterFile } from "./cluster-file.js";
export type { AnswerAfterApplying, FaultInjector, FaultScope, FaultTarget } from "./faults.js";
export { Timeline } from "./timeline.js";
export type { TimelineEntry, TimelineKind, TimelineSample } from "./timeline.js";
export { computeRestartStrategy, restartLaunchCount } from "./restart-strategy.js";
export { computeRouting, summarizeRouting, shareIn, normalizeName } from "./traffic.js";
export type { Route, RoutedServer, RouteShare, RouteSummary, RoutingTable, ServerSelector, TrafficApp, TrafficSettings, TrafficTask } from "./traffic.js";
export type { RuleChange, TrafficView } from "./traffic-feed.js";

export interface SimulatorOptions {
  /** The cluster (default {@link defaultCluster}). */
  cluster?: ClusterSpec;
  /** The clock to run on; default a new step-mode {@link VirtualClock} (or speed mode with `speed`). */
  clock?: VirtualClock;
  /** Simulated seconds per real second (0 = step mode). Applied to `clock` too. */
  speed?: number;
  /** Seed of every id the simulator makes (default 1). */
  seed?: number;
  /** Port of the leading Marathon (default 0 = any free port); standbys always take free ports. */
  port?: number;
  /** Port of the Mesos master (default 0). */
  mesosPort?: number;
  /** Interface to listen on (default 127.0.0.1). */
  host?: string;
}

/** Read access to the simulated cluster, in the REST API's shapes. */
export interface SimulatorState {
  /** `GET /v2/apps/{id}`'s `app`, or undefined. */
  app(appId: string): Record<string, unknown> | undefined;
  apps(): Record<string, unknown>[];
  tasks(appId: string): Task[];
  deployments(): Deployment[];
  queue(): QueueItem[];
  /** `/master/slaves` entries. */
  agents(): MesosAgent[];
  /** Instances of the app that count as healthy for deployments (checks pass, or running without checks). */
  healthyCount(appId: string): number;
  /** Why the app waits: the reject reason of the offers that got furthest in the latest round. */
  queueReason(appId: string): string | undefined;
  /** Every event published so far (bounded). */
  events(): readonly MarathonEvent[];
}

/** A running simulator. */
export interface Simulator {
  /** URL of the current leader. */
  readonly marathonUrl: string;
  /** Leader first at start, then the standbys; stays fixed when leadership moves. */
  readonly marathonUrls: string[];
  readonly mesosUrl: string;
  readonly clock: VirtualClock;
  readonly faults: FaultInjector;
  readonly timeline: Timeline;
  /** The Traefik routing table built from the apps' labels and tasks; also `GET /_sim/routing`. */
  readonly traffic: TrafficView;
  readonly state: SimulatorState;
  /** Subscribe to events in process (same payloads as `/v2/events`). */
  onEvent(listener: (event: MarathonEvent) => void): () => void;
  /**
   * Handles one Marathon API request in process, synchronously, on the leader (no
   * HTTP, no auth, no faults): what another client does at this exact moment.
   * Tests call it from `onEvent` listeners and fault hooks so it cannot race.
   */
  apply(request: { method: string; path: string; body?: unknown }): { status: number; body: unknown };
  close(): Promise<void>;
}

interface MarathonNode {
  server: Server;
  url: string;
  hostPort: string;
}

const MAX_BODY = 10 * 1024 * 1024;
/** The routing table (src/sim/traffic.ts) as JSON, on every Marathon port of the simulator. */
export const ROUTING_PATH = "/_sim/routing";
/** Real time a request waits for a leader before 502. */
const LEADER_WAIT_MS = 2_500;

/** Starts the simulator: HTTP servers bound, initial apps deploying. */
export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const cluster = options.cluster ?? defaultCluster();
  const clock = options.clock ?? new VirtualClock({ speed: options.speed ?? 0 });
  if (options.clock && options.speed !== undefined) clock.setSpeed(options.speed);
  const host = options.host ?? "127.0.0.1";
  const engine = new MarathonEngine({ cluster, clock, random: createSeededRandom(options.seed ?? 1) });
  // Before any port is bound, so bad initial apps leave nothing running.
  // Attached first so the initial apps' routing is in the timeline too.
  const traffic = attachTraffic(engine);
  engine.deployInitialApps(cluster.apps ?? []);
  const nodes: MarathonNode[] = [];
  let leaderIndex = 0;
  let closed = false;
  const streams = new Set<() => void>();
  const sockets = new Set<Socket>();
  const dropStreams = () => {
    for (const close of [...streams]) close();
    streams.clear();
  };
  const faults = new FaultState(dropStreams, (index) => {
    leaderIndex = index ?? (leaderIndex + 1) % Math.max(1, nodes.length);
    if (leaderIndex >= nodes.length) leaderIndex = -1;
    // Marathon closes event streams when leadership moves.
    dropStreams();
  }, (hostname, up) => engine.setAgentActive(hostname, up));
  let mesosUrl = "";
  const leaderInfo = {
    leaderHostPort: () => (leaderIndex >= 0 ? nodes[leaderIndex]?.hostPort : undefined),
    abdicate: () => faults.injector.changeLeader(),
    version: cluster.marathon?.version ?? "1.11.24",
    get httpPort() {
      return Number(nodes[0]?.hostPort.split(":")[1] ?? 8080);
    },
    get mesosUrl() {
      return mesosUrl;
    },
  };
  const api = new MarathonApi(engine, leaderInfo);
  const credentials = cluster.credentials;
  const expectedAuth = credentials ? `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString("base64")}` : undefined;

  const handleMarathon = async (index: number, req: IncomingMessage, res: ServerResponse) => {
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
    const self = nodes[index] as MarathonNode;
    if (leaderIndex < 0 && url.pathname !== "/ping") {
      // Marathon's LeaderProxyFilter retries for about 2.5 s, then answers 502 (1.7+).
      for (let waited = 0; leaderIndex < 0 && waited < LEADER_WAIT_MS && !closed; waited += 50) await new Promise((r) => setTimeout(r, 50));
    }
    const leader = leaderIndex >= 0 ? nodes[leaderIndex] : undefined;
    if (index !== leaderIndex && url.pathname !== "/ping") {
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
      api.streamEvents(req, res, url, (close) => {
        streams.add(close);
        return () => streams.delete(close);
      });
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

  const count = 1 + Math.max(0, cluster.standbys ?? 0);
  for (let i = 0; i < count; i++) {
    const server = createServer((req, res) => {
      handleMarathon(i, req, res).catch((error: unknown) => {
        if (!res.headersSent) writeReply(res, { status: 500, body: { message: String(error) } });
        else res.destroy();
      });
    });
    trackSockets(server, sockets);
    const port = await listen(server, i === 0 ? (options.port ?? 0) : 0, host).catch(async (error: unknown) => {
      await Promise.all(nodes.map((n) => closeServer(n.server)));
      throw error;
    });
    nodes.push({ server, url: `http://${host}:${port}`, hostPort: `${host}:${port}` });
  }

  const mesosServer = createServer((req, res) => {
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
  trackSockets(mesosServer, sockets);
  const mesosPort = await listen(mesosServer, options.mesosPort ?? 0, host).catch(async (error: unknown) => {
    await Promise.all(nodes.map((n) => closeServer(n.server)));
    throw error;
  });
  const mesosHostPort = `${host}:${mesosPort}`;
  mesosUrl = `http://${mesosHostPort}`;

  const now = () => engine.clock.now();
  const state: SimulatorState = {
    app: (appId) => {
      const app = engine.app(appId);
      return app ? appJson(engine, app, parseEmbeds([], true)) : undefined;
    },
    apps: () => engine.visibleApps().map((a) => appJson(engine, a, parseEmbeds([], false))),
    tasks: (appId) => [...(engine.app(appId)?.instances.values() ?? [])].filter(isActive).map((i) => taskJson(i, now())),
    deployments: () => [...engine.deployments.values()].map((d) => deploymentJson(engine, d)),
    queue: () => queueJson(engine).queue,
    agents: () => engine.agents.map((a) => a.toMesos()),
    healthyCount: (appId) => engine.healthyCount(appId),
    queueReason: (appId) => {
      const app = engine.app(appId);
      return app && app.pending > 0 ? mainRejectReason(app) : undefined;
    },
    events: () => engine.events.history,
  };

  return {
    get marathonUrl() {
      return (leaderIndex >= 0 ? nodes[leaderIndex] : nodes[0])?.url ?? "";
    },
    marathonUrls: nodes.map((n) => n.url),
    mesosUrl,
    clock,
    faults: faults.injector,
    timeline: engine.timeline,
    traffic,
    state,
    onEvent: (listener) => engine.events.subscribe(listener),
    apply: ({ method, path, body }) => {
      const reply = api.handle({ method, url: new URL(path, "http://localhost"), body: body === undefined ? "" : JSON.stringify(body), remoteAddress: "127.0.0.1" });
      return { status: reply.status, body: reply.body ?? reply.text };
    },
    close: async () => {
      if (closed) return;
      closed = true;
      dropStreams();
      if (!options.clock) clock.stop();
      for (const s of sockets) s.destroy();
      await Promise.all([...nodes.map((n) => closeServer(n.server)), closeServer(mesosServer)]);
    },
  };
}

function writeReply(res: ServerResponse, reply: ApiReply, headOnly = false): void {
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

function trackSockets(server: Server, sockets: Set<Socket>): void {
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

function listen(server: Server, port: number, host: string): Promise<number> {
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

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}
