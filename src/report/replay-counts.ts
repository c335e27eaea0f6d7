/**
 * Turns what a deploy observed about instances — status and health events at
 * their timestamps, and polls of the app's tasks at the moment they were asked —
 * into counts per version over time. Observations are replayed in time order,
 * not arrival order: under load the event stream can lag behind the polls by
 * many seconds of cluster time, and a late event must land where it happened
 * instead of rewinding what a newer poll said. Pure.
 */
import type { CountSample, ReportEvent, VersionCounts } from "./report-data.js";

export type InstanceState = "staged" | "running" | "gone";

/** One task as a poll listed it. */
export interface PolledInstance {
  key: string;
  taskId: string;
  host: string;
  version: string;
  state: InstanceState;
  healthy: boolean;
  /** Staged after the recording began (so a launch, not a survivor). */
  launchedDuringRun: boolean;
}

export type Observation =
  /** A status update (healthy: false while being killed; undefined keeps what was known). */
  | { type: "state"; t: number; key: string; version: string; state: InstanceState; healthy?: boolean }
  | { type: "health"; t: number; key: string; healthy: boolean }
  /** `t`: when the poll was asked; `answeredAt`: when its answer arrived (rows it causes are stamped then). */
  | { type: "poll"; t: number; answeredAt: number; instances: PolledInstance[] };

export interface ReplayOptions {
  /** Instances whose start or end events were received: polls add rows only for the others (events lost in a stream gap). */
  launchedByEvent: ReadonlySet<string>;
  endedByEvent: ReadonlySet<string>;
  /** Whether a running instance of the version counts healthy without a health event (no health checks). */
  healthyWhenRunning(version: string): boolean;
}

export interface ReplayResult {
  samples: CountSample[];
  /** Launches and ends that only polling saw. */
  rows: ReportEvent[];
  /** Versions in the order their instances were first seen. */
  versions: string[];
}

interface View {
  version: string;
  state: InstanceState;
  healthy: boolean;
}

/** Replays observations into samples (one per moment the counts changed). */
export function replayObservations(observations: readonly Observation[], options: ReplayOptions): ReplayResult {
  const ordered = observations.map((o, i) => ({ o, i })).sort((a, b) => a.o.t - b.o.t || a.i - b.i);
  const views = new Map<string, View>();
  const counts = new Map<string, VersionCounts>();
  const samples: CountSample[] = [];
  const rows: ReportEvent[] = [];
  const versions: string[] = [];
  let dirty = false;

  const add = (view: View | undefined, sign: 1 | -1) => {
    if (!view || view.state === "gone") return;
    let c = counts.get(view.version);
    if (!c) {
      c = { healthy: 0, running: 0, staged: 0 };
      counts.set(view.version, c);
      versions.push(view.version);
    }
    if (view.state === "staged") c.staged += sign;
    else {
      c.running += sign;
      if (view.healthy) c.healthy += sign;
    }
  };
  const set = (key: string, next: View) => {
    const before = views.get(key);
    if (before && before.state === next.state && before.healthy === next.healthy && before.version === next.version) return;
    add(before, -1);
    views.set(key, next);
    add(next, 1);
    dirty = true;
  };
  const sample = (t: number) => {
    if (!dirty) return;
    dirty = false;
    const previous = samples.at(-1);
    const byVersion: Record<string, VersionCounts> = {};
    for (const [version, c] of counts) if (c.running + c.staged > 0 || previous?.byVersion[version]) byVersion[version] = { ...c };
    if (previous && previous.t === t) previous.byVersion = byVersion;
    else samples.push({ t, byVersion });
  };

  for (const { o } of ordered) {
    if (o.type === "state") {
      const before = views.get(o.key);
      const healthy = o.state !== "running" ? false : (o.healthy ?? ((before?.state === "running" && before.healthy) || options.healthyWhenRunning(o.version)));
      set(o.key, { version: o.version, state: o.state, healthy });
    } else if (o.type === "health") {
      const before = views.get(o.key);
      if (before && before.state !== "gone") set(o.key, { ...before, healthy: o.healthy && before.state === "running" });
    } else {
      const listed = new Set<string>();
      for (const p of o.instances) {
        listed.add(p.key);
        if (!views.has(p.key) && p.launchedDuringRun && !options.launchedByEvent.has(p.key)) {
          rows.push({ t: o.answeredAt, kind: "launch", version: p.version, text: `task ${p.taskId} on ${p.host} launched (seen by polling)` });
        }
        set(p.key, { version: p.version, state: p.state, healthy: p.healthy });
      }
      for (const [key, view] of views) {
        if (view.state === "gone" || listed.has(key)) continue;
        if (!options.endedByEvent.has(key)) rows.push({ t: o.answeredAt, kind: "kill", version: view.version, text: `instance ${key} is gone (seen by polling)` });
        set(key, { ...view, state: "gone", healthy: false });
      }
    }
    sample(o.t);
  }
  return { samples, rows, versions };
}
