import { countsOnlyMesosHealth } from "./restart-counting.js";
import type { AppDefinition } from "../marathon/types.js";

/** One Mesos agent of the simulated cluster. */
export interface AgentSpec {
  hostname: string;
  /** Mesos agent id; generated from the hostname when absent. */
  id?: string;
  cpus: number;
  /** MB, as Mesos reports it (a t2.micro reports 497). */
  mem: number;
  disk?: number;
  gpus?: number;
  /** Mesos range text, e.g. "[31000-32000]" or "[8080-8080, 31000-32000]". */
  ports?: string;
  attributes?: Record<string, string | number>;
  /** Role the agent's resources are reserved for; "*" (unreserved) by default. */
  role?: string;
}

/**
 * How containers of an image behave. `image` is a glob (`*` any text, `?` one
 * character) matched against the whole Docker image; the first match wins.
 */
export interface ImageBehaviour {
  image: string;
  /** Seconds from launch (TASK_STAGING) to TASK_RUNNING. */
  startSeconds?: number;
  /** Seconds after TASK_RUNNING from which health checks pass. */
  healthyAfterSeconds?: number;
  /** false: health checks never pass (a broken build). */
  healthy?: boolean;
  /** Health checks start failing this long after TASK_RUNNING (a leak, a deadlock). */
  unhealthyAfterSeconds?: number;
  /** Readiness checks pass this long after TASK_RUNNING (default: when healthy). */
  readyAfterSeconds?: number;
  /** false: readiness checks never pass. */
  ready?: boolean;
  /** The container exits with status 1 right after starting. */
  crashOnStart?: boolean;
  /** The process exits with status 1 this long after TASK_RUNNING. */
  crashAfterSeconds?: number;
  /** Memory (MB) the process really uses: with less, the OOM killer ends it. */
  memNeededMb?: number;
  /** Seconds after TASK_RUNNING at which an undersized container is OOM-killed. */
  oomAfterSeconds?: number;
  /** Seconds from the kill request to TASK_KILLED. */
  killSeconds?: number;
  /** lastFailureCause of a failing health check. */
  healthFailure?: string;
}

/** Marathon-side settings of the simulator. */
export interface MarathonSimSettings {
  /** Simulated seconds between offer rounds while instances wait and nothing changes (default 5, Marathon's min_revive_offers_interval). */
  offerIntervalSeconds?: number;
  /** Marathon's --max_instances_per_offer. */
  maxInstancesPerOffer?: number;
  /** Reported by /v2/info. */
  version?: string;
  /**
   * Which instances a restart counts before its immediate kills (TaskReplaceActor
   * `computeRestartStrategy`). Unset: what `version` does (see {@link restartCountsOf}).
   * "mesos-health" (Marathon 1.10+): instances without health or readiness checks, or
   * whose Mesos-run check (COMMAND, MESOS_*) passes; Marathon-run HTTP/HTTPS/TCP checks
   * never count. "active" (1.4 to 1.9): every instance Marathon wants running.
   * "any-health": instances whose checks pass whatever their protocol; no Marathon
   * release does this, it is kept only to compare plans against. See src/sim/README.md.
   */
  restartCounts?: RestartCounts;
  /**
   * A task that ended while Marathon still wanted it running comes back under the same
   * instance id with the next incarnation (default true, Marathon 1.8+: Instance.isScheduled,
   * InstanceOpFactoryImpl.inferNormalTaskOp). false: a new instance replaces it (1.4 to 1.7).
   */
  relaunchKeepsInstanceId?: boolean;
}

/** See {@link MarathonSimSettings.restartCounts}. */
export type RestartCounts = "mesos-health" | "active" | "any-health";

/** What /v2/info reports when the cluster does not say. */
export const DEFAULT_MARATHON_VERSION = "1.11.24";

/**
 * The restart rule of the simulated Marathon: the explicit `restartCounts`, else the
 * one of the release it reports (`version`): "mesos-health" from 1.10, "active" before.
 */
export function restartCountsOf(settings: MarathonSimSettings | undefined): RestartCounts {
  if (settings?.restartCounts) return settings.restartCounts;
  return countsOnlyMesosHealth(settings?.version ?? DEFAULT_MARATHON_VERSION) ? "mesos-health" : "active";
}

/** Everything a simulated cluster is made of (the cluster file's content). */
export interface ClusterSpec {
  agents: AgentSpec[];
  images?: ImageBehaviour[];
  /** Behaviour of images no pattern matches, and of apps without a container. */
  defaultImage?: Omit<ImageBehaviour, "image">;
  /** Apps deployed when the simulator starts. */
  apps?: AppDefinition[];
  /** Marathon's --http_credentials: when set, every request needs HTTP basic auth. */
  credentials?: { username: string; password: string };
  /** Number of standby Marathon instances that proxy to the leader. */
  standbys?: number;
  marathon?: MarathonSimSettings;
}

/** Fully defaulted behaviour of one container. */
export type ResolvedBehaviour = Required<Omit<ImageBehaviour, "image" | "unhealthyAfterSeconds" | "crashAfterSeconds" | "memNeededMb">> &
  Pick<ImageBehaviour, "unhealthyAfterSeconds" | "crashAfterSeconds" | "memNeededMb">;

const BEHAVIOUR_DEFAULTS: ResolvedBehaviour = {
  startSeconds: 2,
  healthyAfterSeconds: 3,
  healthy: true,
  readyAfterSeconds: -1,
  ready: true,
  crashOnStart: false,
  oomAfterSeconds: 5,
  killSeconds: 1,
  healthFailure: "503 Service Unavailable",
};

/**
 * The original cluster this project grew out of: one m4.large `svc` node and two
 * t2.micro nodes `staging` and `production` (497 MB as Mesos reports a t2.micro),
 * each with attribute `type` set to its name, and images that behave like the apps
 * that ran there: click-count needs ~280 MB (the OOM killer ends it below that),
 * `*:broken` never passes a health check, `*:crash` exits at start.
 */
export function defaultCluster(): ClusterSpec {
  const ports = "[31000-32000]";
  return {
    agents: [
      { hostname: "svc", cpus: 2, mem: 8192, disk: 20000, ports, attributes: { type: "svc" } },
      { hostname: "staging", cpus: 1, mem: 497, disk: 4000, ports, attributes: { type: "staging" } },
      { hostname: "production", cpus: 1, mem: 497, disk: 4000, ports, attributes: { type: "production" } },
    ],
    images: [
      { image: "*:broken", startSeconds: 3, healthy: false, healthFailure: "500 Internal Server Error" },
      { image: "*:crash", startSeconds: 2, crashOnStart: true },
      { image: "*:oom", startSeconds: 2, memNeededMb: 1_000_000, oomAfterSeconds: 4 },
      { image: "*:slow", startSeconds: 10, healthyAfterSeconds: 120 },
      { image: "*click-count*", startSeconds: 4, healthyAfterSeconds: 6, memNeededMb: 280, oomAfterSeconds: 8 },
      { image: "*gitlab-runner*", startSeconds: 5, healthyAfterSeconds: 2, memNeededMb: 64 },
      { image: "*gitlab/gitlab-*", startSeconds: 30, healthyAfterSeconds: 120, memNeededMb: 3000 },
      { image: "*traefik*", startSeconds: 2, healthyAfterSeconds: 1 },
    ],
    defaultImage: { startSeconds: 2, healthyAfterSeconds: 3 },
    marathon: { offerIntervalSeconds: 5, maxInstancesPerOffer: 5, version: DEFAULT_MARATHON_VERSION },
  };
}

/** Picks the behaviour for an image (or for an app without a container when `image` is undefined). */
export function resolveBehaviour(spec: ClusterSpec, image: string | undefined): ResolvedBehaviour {
  const base = { ...BEHAVIOUR_DEFAULTS, ...stripUndefined(spec.defaultImage ?? {}) };
  const match = image === undefined ? undefined : (spec.images ?? []).find((b) => globToRegExp(b.image).test(image));
  const { image: _pattern, ...own } = match ?? { image: "" };
  const merged = { ...base, ...stripUndefined(own) } as ResolvedBehaviour;
  if (merged.readyAfterSeconds < 0) merged.readyAfterSeconds = merged.healthyAfterSeconds;
  return merged;
}

const globCache = new Map<string, RegExp>();

/** `*` any text, `?` one character, everything else literal; anchored at both ends. */
function globToRegExp(glob: string): RegExp {
  let re = globCache.get(glob);
  if (!re) {
    const body = glob.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");
    re = new RegExp(`^${body}$`);
    globCache.set(glob, re);
  }
  return re;
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Parses Mesos range text such as "[31000-32000, 8080-8080]". */
export function parsePortRanges(text: string): [number, number][] | undefined {
  const trimmed = text.trim();
  if (!/^\[.*\]$/.test(trimmed)) return undefined;
  const inner = trimmed.slice(1, -1).trim();
  if (inner === "") return [];
  const ranges: [number, number][] = [];
  for (const part of inner.split(",")) {
    const m = /^\s*(\d+)\s*-\s*(\d+)\s*$/.exec(part);
    if (!m) return undefined;
    const lo = Number(m[1]);
    const hi = Number(m[2]);
    if (lo > hi || hi > 65535) return undefined;
    ranges.push([lo, hi]);
  }
  return ranges;
}

/** Formats ranges back to Mesos text. */
export function formatPortRanges(ranges: readonly (readonly [number, number])[]): string {
  return `[${ranges.map(([lo, hi]) => `${lo}-${hi}`).join(", ")}]`;
}
