/**
 * What the canary and blue/green suites share: a production cluster with room
 * for several click-count copies, click-count with Traefik labels that name
 * its service, the progressive engines called like the CLI calls them, and
 * replays of the simulator's timeline over both copies.
 */
import type { BlueGreenSettings, CanarySettings } from "../src/config/types.js";
import { deployBlueGreen } from "../src/deploy/progressive/blue-green.js";
import { deployCanary, type ProgressiveDeps } from "../src/deploy/progressive/canary.js";
import type { DeployAppOptions } from "../src/deploy/deploy-app.js";
import type { Progress } from "../src/core/ports/progress.js";
import type { AppDefinition } from "../src/marathon/types.js";
import { defaultCluster, type ClusterSpec, type Simulator } from "../src/sim/index.js";
import { clickCount, startHarness, type Harness } from "./deploy-harness.js";

export const APP = "/production/click-count";
export const CANARY = `${APP}-canary`;
export const GREEN = `${APP}-green`;
export const PUBLIC_HOST = "click-count.example.com";
/** The public router's rule, as the simulator's Traefik routing table names it. */
export const PUBLIC_RULE = `Host(\`${PUBLIC_HOST}\`)`;
/** The green copy's preview rule. */
export const PREVIEW_RULE = `Host(\`preview.${PUBLIC_HOST}\`)`;

/** Production agents (two of 1 GB by default: room for six 300 MB instances) beside the default cluster's svc and staging. */
export function roomyCluster(agents = 2, mem = 1024): ClusterSpec {
  const base = defaultCluster();
  return {
    ...base,
    agents: [
      ...base.agents.filter((a) => a.hostname !== "production"),
      ...Array.from({ length: agents }, (_, i) => ({ hostname: `production-${i + 1}`, cpus: 2, mem, disk: 4000, ports: "[31000-32000]", attributes: { type: "production" } })),
    ],
    images: [{ image: "*:leaky", startSeconds: 4, healthyAfterSeconds: 6, unhealthyAfterSeconds: 300, healthFailure: "500 leak" }, ...(base.images ?? [])],
  };
}

/** click-count in production with `instances`, routed by Traefik on the public Host through the named service `click-count`. */
export function routedClickCount(tag: string, instances = 4, extra: Partial<AppDefinition> = {}): AppDefinition {
  return clickCount(tag, "production", {
    instances,
    labels: {
      "traefik.enable": "true",
      "traefik.http.routers.click-count.rule": `Host(\`${PUBLIC_HOST}\`)`,
      "traefik.http.routers.click-count.service": "click-count",
      "traefik.http.services.click-count.loadbalancer.server.port": "index:0",
    },
    ...extra,
  });
}

/** A harness on the roomy cluster. */
export function startProgressiveHarness(cluster: ClusterSpec = roomyCluster()): Promise<Harness> {
  return startHarness({ cluster });
}

/** The CLI's deploy options for production. */
export function productionOptions(app: AppDefinition, extra: Partial<DeployAppOptions> = {}): DeployAppOptions {
  return { environment: "production", app, strategy: "auto", lockTimeoutMs: 600_000, force: false, env: {}, ...extra };
}

/** The deps the CLI passes, from the harness. */
export function depsOf(h: Harness, extra: Partial<ProgressiveDeps> = {}): ProgressiveDeps {
  return { marathon: h.marathon, mesos: h.mesos, clock: h.sim.clock, output: h.output, progress: h.progress, ...extra };
}

/** Canary settings with defaults a test overrides. */
export function canarySettings(extra: Partial<CanarySettings> = {}): CanarySettings {
  return { steps: [25, 50, 100], stepUnit: "percent", windowSeconds: 60, ...extra };
}

/** Blue/green settings with defaults a test overrides. */
export function blueGreenSettings(extra: Partial<BlueGreenSettings> = {}): BlueGreenSettings {
  return { windowSeconds: 30, keepSeconds: 120, previewHost: `preview.${PUBLIC_HOST}`, ...extra };
}

export function canary(h: Harness, app: AppDefinition, settings: CanarySettings, extra: Partial<DeployAppOptions> = {}, deps: Partial<ProgressiveDeps> = {}) {
  return deployCanary(productionOptions(app, extra), settings, depsOf(h, deps));
}

export function blueGreen(h: Harness, app: AppDefinition, settings: BlueGreenSettings, extra: Partial<DeployAppOptions> = {}, deps: Partial<ProgressiveDeps> = {}) {
  return deployBlueGreen(productionOptions(app, extra), settings, depsOf(h, deps));
}

/** Healthy instances of each app at every moment any of them changed, from the simulator's timeline. */
export function healthyOverTime(sim: Simulator, appIds: readonly string[], since = Number.NEGATIVE_INFINITY): { t: number; healthy: Record<string, number> }[] {
  const perApp = appIds.map((id) => sim.timeline.samples(id));
  const times = [...new Set(perApp.flatMap((samples) => samples.map((s) => s.t)))].filter((t) => t >= since).sort((a, b) => a - b);
  return times.map((t) => {
    const healthy: Record<string, number> = {};
    appIds.forEach((id, i) => {
      const last = (perApp[i] ?? []).filter((s) => s.t <= t).at(-1);
      healthy[id] = last?.healthy ?? 0;
    });
    return { t, healthy };
  });
}

/**
 * Every moment since `since` (default: since the rule first had a healthy backend) at which
 * the rule had none (not routed at all, or only unhealthy servers), from the simulator's
 * Traefik routing history.
 */
export function momentsWithoutBackend(sim: Simulator, rule: string, since?: number): number[] {
  const history = sim.traffic.history(rule);
  const from = since ?? history.find((change) => change.routed && change.healthy > 0)?.t ?? Number.POSITIVE_INFINITY;
  return history.filter((change) => change.t >= from && (!change.routed || change.healthy === 0)).map((change) => change.t);
}

/** The rule's traffic right now, per app and version, rounded to whole percents. */
export function sharesNow(sim: Simulator, rule: string): Record<string, number> {
  const route = sim.traffic.routing().routes.find((r) => r.rule === rule && !r.shadowed);
  const out: Record<string, number> = {};
  for (const server of route?.servers ?? []) out[server.appId] = (out[server.appId] ?? 0) + server.share;
  for (const key of Object.keys(out)) out[key] = Math.round(100 * (out[key] ?? 0));
  return out;
}

/** The harness's progress, calling `when` with every line and section title it shows (to act at a moment the deploy reaches). */
export function watchedProgress(harness: Harness, when: (text: string) => void): Progress {
  return {
    ...harness.progress,
    start: (id, title) => {
      harness.progress.start(id, title);
      when(title);
    },
    line: (text) => {
      harness.progress.line(text);
      when(text);
    },
  };
}

/** Image of an app as the simulator has it now. */
export function imageOf(sim: Simulator, appId: string): string | undefined {
  return (sim.state.app(appId) as { container?: { docker?: { image?: string } } } | undefined)?.container?.docker?.image;
}
