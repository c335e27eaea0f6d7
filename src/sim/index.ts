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
 * - {@link VirtualClock}: `now()`, `sleep(ms, signal)` (the Clock port of src/core/ports/clock.ts), step mode
 *   `advance(ms)` / `runUntil(predicate, { maxMs })`, speed mode `setSpeed(n)`.
 * - {@link defaultCluster}(): agents svc (2 cpus, 8 GB), staging and production (t2.micro:
 *   1 cpu, 497 MB), attribute `type`; images `*click-count*` (needs 280 MB), `*:broken` (never
 *   healthy), `*:crash` (exits at start), `*:oom`, `*:slow`.
 * - {@link loadClusterFile}(path): YAML cluster file, validated; throws ConfigError.
 */
import type { Socket } from "node:net";
import type { Deployment, UncheckedMarathonEvent, MesosAgent, QueueItem, Task } from "../marathon/types.js";
import { DEFAULT_MARATHON_VERSION, defaultCluster, type ClusterSpec } from "./cluster-spec.js";
import { FaultState, type FaultInjector } from "./faults.js";
import { closeServer } from "./http-server.js";
import { isActive, taskJson } from "./instance.js";
import { Leadership } from "./leadership.js";
import { MarathonApi, type LeaderInfo } from "./marathon-api.js";
import { MarathonEngine } from "./marathon-engine.js";
import { EventStreams, marathonRequestHandler } from "./marathon-http.js";
import { appJson, deploymentJson, mainRejectReason, parseEmbeds, queueJson } from "./marathon-json.js";
import { bindMarathonNodes, closeMarathonNodes } from "./marathon-nodes.js";
import { startMesosServer } from "./mesos-server.js";
import { createSeededRandom } from "./seeded-random.js";
import type { Timeline } from "./timeline.js";
import { attachTraffic, type TrafficView } from "./traffic-feed.js";
import { VirtualClock } from "./virtual-clock.js";

export { VirtualClock, DEFAULT_CLOCK_START } from "./virtual-clock.js";
export type { VirtualClockOptions, TimerHandle } from "./virtual-clock.js";
export { defaultCluster } from "./cluster-spec.js";
export type { AgentSpec, ClusterSpec, ImageBehaviour, MarathonSimSettings, RestartCounts } from "./cluster-spec.js";
export { loadClusterFile, parseClusterFile } from "./cluster-file.js";
export type { AnswerAfterApplying, FaultInjector, FaultScope, FaultTarget } from "./faults.js";
export { Timeline } from "./timeline.js";
export type { TimelineEntry, TimelineKind, TimelineSample } from "./timeline.js";
export type { Route, RoutedServer, RouteShare, RouteSummary, RoutingTable, ServerSelector } from "./traffic.js";
export type { RuleChange, TrafficView } from "./traffic-feed.js";
export { SimulatorListenError } from "./http-server.js";

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
  events(): readonly UncheckedMarathonEvent[];
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
  onEvent(listener: (event: UncheckedMarathonEvent) => void): () => void;
  /**
   * Handles one Marathon API request in process, synchronously, on the leader (no
   * HTTP, no auth, no faults): what another client does at this exact moment.
   * Tests call it from `onEvent` listeners and fault hooks so it cannot race.
   */
  apply(request: { method: string; path: string; body?: unknown }): { status: number; body: unknown };
  close(): Promise<void>;
}

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
  const leadership = new Leadership();
  const streams = new EventStreams();
  const faults = wireFaults(engine, leadership, streams);
  let mesosUrl = "";
  const api = new MarathonApi(engine, leaderInfo(cluster, leadership, faults, () => mesosUrl));
  let closed = false;
  const sockets = new Set<Socket>();
  const handle = marathonRequestHandler({ api, faults, leadership, streams, traffic, credentials: cluster.credentials, closed: () => closed });
  await bindMarathonNodes(leadership.nodes, { count: 1 + Math.max(0, cluster.standbys ?? 0), port: options.port ?? 0, host, sockets, handle });
  const mesos = await startMesosServer({ engine, faults, port: options.mesosPort ?? 0, host, sockets }).catch(async (error: unknown) => {
    await closeMarathonNodes(leadership.nodes);
    throw error;
  });
  mesosUrl = mesos.url;
  return {
    get marathonUrl() {
      return leadership.url;
    },
    marathonUrls: leadership.nodes.map((n) => n.url),
    mesosUrl,
    clock,
    faults: faults.injector,
    timeline: engine.timeline,
    traffic,
    state: stateOf(engine),
    onEvent: (listener) => engine.events.subscribe(listener),
    apply: (request) => applyOnLeader(api, request),
    close: async () => {
      if (closed) return;
      closed = true;
      streams.closeAll();
      if (!options.clock) clock.stop();
      for (const s of sockets) s.destroy();
      await Promise.all([closeMarathonNodes(leadership.nodes), closeServer(mesos.server)]);
    },
  };
}

/** The fault injector's levers on the running simulator: event streams, leadership, agents. */
function wireFaults(engine: MarathonEngine, leadership: Leadership, streams: EventStreams): FaultState {
  return new FaultState(
    () => streams.closeAll(),
    (index) => {
      leadership.change(index);
      // Marathon closes event streams when leadership moves.
      streams.closeAll();
    },
    (hostname, up) => engine.setAgentActive(hostname, up),
  );
}

/** What the REST layer reports about the HA setup (/v2/info, /v2/leader); read at each request. */
function leaderInfo(cluster: ClusterSpec, leadership: Leadership, faults: FaultState, mesosUrl: () => string): LeaderInfo {
  return {
    leaderHostPort: () => leadership.leader()?.hostPort,
    abdicate: () => faults.injector.changeLeader(),
    version: cluster.marathon?.version ?? DEFAULT_MARATHON_VERSION,
    get httpPort() {
      return Number(leadership.nodes[0]?.hostPort.split(":")[1] ?? 8080);
    },
    get mesosUrl() {
      return mesosUrl();
    },
  };
}

/** `sim.state`: the engine read in the REST API's shapes. */
function stateOf(engine: MarathonEngine): SimulatorState {
  const now = () => engine.clock.now();
  return {
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
}

/** `sim.apply`: one API call handled on the leader in process (no HTTP, auth or faults). */
function applyOnLeader(api: MarathonApi, { method, path, body }: { method: string; path: string; body?: unknown }): { status: number; body: unknown } {
  const reply = api.handle({ method, url: new URL(path, "http://localhost"), body: body === undefined ? "" : JSON.stringify(body), remoteAddress: "127.0.0.1" });
  return { status: reply.status, body: reply.body ?? reply.text };
}
