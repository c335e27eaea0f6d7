import { countsHealthy, isActive } from "./instance.js";
import type { MarathonEngine } from "./marathon-engine.js";
import type { TimelineEntry } from "./timeline.js";
import { computeRouting, shareIn, summarizeRouting, type RouteShare, type RouteSummary, type RoutingTable, type ServerSelector, type TrafficApp, type TrafficSettings } from "./traffic.js";

/** One moment a rule's routing changed. */
export interface RuleChange {
  /** Simulated epoch milliseconds. */
  t: number;
  /** Whether the rule is routed at all at that moment. */
  routed: boolean;
  /** Healthy servers behind the rule (0 when not routed). */
  healthy: number;
  backends: RouteShare[];
}

/** `sim.traffic`: the Traefik routing table of the simulated cluster, now and over time. */
export interface TrafficView {
  /** The table Traefik would build right now. */
  routing(): RoutingTable;
  /** Each change of one rule's routing recorded in the timeline, oldest first. */
  history(rule: string): RuleChange[];
  /** Current fraction (0..1) of the rule's traffic on the selected servers (an app id or a predicate). */
  shareOf(rule: string, select: ServerSelector): number;
}

/** The engine's apps as the provider reads them from `/v2/apps?embed=apps.tasks&embed=apps.deployments&embed=apps.readiness`. */
function trafficApps(engine: MarathonEngine): TrafficApp[] {
  const out: TrafficApp[] = [];
  for (const app of engine.visibleApps()) {
    const labels = app.def.labels ?? {};
    // Cheap skip: most simulated apps carry no Traefik labels.
    if (!Object.keys(labels).some((k) => k.toLowerCase() === "traefik.enable")) continue;
    out.push({
      id: app.id,
      labels,
      portDefinitions: (app.def.portDefinitions ?? []).map((p) => ({ port: p.port ?? 0, ...(p.name === undefined ? {} : { name: p.name }) })),
      hasReadinessChecks: (app.def.readinessChecks?.length ?? 0) > 0,
      deploying: engine.runningDeploymentOf(app.id) !== undefined,
      tasks: [...app.instances.values()].filter(isActive).map((i) => ({
        taskId: i.taskId,
        appId: i.appId,
        version: i.version,
        host: i.agent.hostname,
        ports: [...i.ports],
        state: i.state,
        ready: i.ready,
        healthy: countsHealthy(i),
      })),
    });
  }
  return out;
}

/**
 * Recomputes routing after every timeline entry and records a "routing" entry when the
 * per-rule summary changed. Changes within one simulated millisecond fold into one entry,
 * as Timeline.samples folds them, so a kill answered by a launch at the same instant
 * shows no false dip.
 */
export function attachTraffic(engine: MarathonEngine, settings: TrafficSettings = {}): TrafficView {
  const timeline = engine.timeline;
  let lastKey = "[]";
  let lastEntry: TimelineEntry | undefined;
  const routing = () => computeRouting(trafficApps(engine), settings);
  timeline.onRecord((entry) => {
    if (entry.kind === "routing") return;
    const summary = summarizeRouting(routing());
    const key = JSON.stringify(summary);
    if (key === lastKey) return;
    lastKey = key;
    if (lastEntry && lastEntry.t === entry.t) {
      lastEntry.routing = summary;
      return;
    }
    lastEntry = { t: entry.t, kind: "routing", appId: "", version: "", routing: summary };
    timeline.record(lastEntry);
  });
  return {
    routing,
    history: (rule) => {
      const out: RuleChange[] = [];
      let previous = "";
      for (const e of timeline.entries) {
        if (e.kind !== "routing") continue;
        const route = (e.routing ?? []).find((r: RouteSummary) => r.rule === rule);
        const change: RuleChange = { t: e.t, routed: route !== undefined, healthy: route?.healthy ?? 0, backends: route?.backends ?? [] };
        const key = JSON.stringify([change.routed, change.healthy, change.backends]);
        if (key !== previous) out.push(change);
        previous = key;
      }
      return out;
    },
    shareOf: (rule, select) => shareIn(summarizeRouting(routing()), rule, select),
  };
}
