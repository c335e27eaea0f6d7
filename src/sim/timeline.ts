/**
 * What happened to every instance, on simulated time: launches, state changes,
 * kills, health and readiness changes, deployment steps. Tests replay it to
 * check invariants a user cares about ("never below minimumHealthCapacity",
 * "a moment without a healthy instance").
 */

import type { RouteSummary } from "./traffic.js";

/** "routing": the Traefik routing table changed (see src/sim/traffic.ts); appId and version are "". */
export type TimelineKind = "launch" | "state" | "kill" | "health" | "ready" | "deployment" | "routing";

export interface TimelineEntry {
  /** Simulated epoch milliseconds. */
  t: number;
  kind: TimelineKind;
  appId: string;
  /** App version the instance was launched with (or the deployment's version). */
  version: string;
  instanceId?: string;
  taskId?: string;
  host?: string;
  /** Task state after a "state" entry. */
  state?: string;
  healthy?: boolean;
  ready?: boolean;
  deploymentId?: string;
  /** Launch entries: whether the instance's version has health checks. */
  hasChecks?: boolean;
  /** Deployment entries: "started", "step", "success", "failed"; kills: the reason. */
  detail?: string;
  /** Routing entries: every routed rule after the change. */
  routing?: RouteSummary[];
}

/** Counts of one app at one moment, after the entry at `t` was applied. */
export interface TimelineSample {
  t: number;
  /** Instances not yet terminal (staging, starting, running, killing). */
  active: number;
  /** Instances counted healthy (health checks pass, or running without checks), not being killed. */
  healthy: number;
  /** Active instances per version. */
  activeByVersion: Record<string, number>;
  healthyByVersion: Record<string, number>;
}

const TERMINAL = new Set(["TASK_FINISHED", "TASK_FAILED", "TASK_KILLED", "TASK_LOST", "TASK_ERROR", "TASK_DROPPED", "TASK_GONE"]);

export class Timeline {
  readonly entries: TimelineEntry[] = [];
  private readonly listeners: ((entry: TimelineEntry) => void)[] = [];

  /** `limit` bounds memory in a long-running `mdeploy sim`; the oldest tenth goes when it is reached. */
  constructor(private readonly limit = 1_000_000) {}

  record(entry: TimelineEntry): void {
    this.entries.push(entry);
    if (this.entries.length > this.limit) this.entries.splice(0, Math.ceil(this.limit / 10));
    for (const listener of this.listeners) listener(entry);
  }

  /** Calls `listener` after each recorded entry (the traffic model recomputes routing there). */
  onRecord(listener: (entry: TimelineEntry) => void): void {
    this.listeners.push(listener);
  }

  /**
   * The fewest healthy and the most active instances of an app over a period, the
   * two numbers a rolling-restart invariant is about.
   */
  extremes(appId: string, since = Number.NEGATIVE_INFINITY, until = Number.POSITIVE_INFINITY): { minHealthy: number; maxActive: number } | undefined {
    const samples = this.samples(appId, since).filter((s) => s.t <= until);
    if (samples.length === 0) return undefined;
    return { minHealthy: Math.min(...samples.map((s) => s.healthy)), maxActive: Math.max(...samples.map((s) => s.active)) };
  }

  /** Entries of one app (optionally of one kind). */
  forApp(appId: string, kind?: TimelineKind): TimelineEntry[] {
    return this.entries.filter((e) => e.appId === appId && (kind === undefined || e.kind === kind));
  }

  /**
   * Replays the entries of one app into a count per moment. Entries at the same
   * instant are folded into one sample, so a kill answered by a launch in the same
   * millisecond does not show a false dip.
   */
  samples(appId: string, since = Number.NEGATIVE_INFINITY): TimelineSample[] {
    interface Live {
      version: string;
      active: boolean;
      running: boolean;
      hasChecks: boolean;
      healthy: boolean;
      killing: boolean;
    }
    const live = new Map<string, Live>();
    const out: TimelineSample[] = [];
    const snapshot = (t: number): TimelineSample => {
      const sample: TimelineSample = { t, active: 0, healthy: 0, activeByVersion: {}, healthyByVersion: {} };
      for (const i of live.values()) {
        if (!i.active) continue;
        sample.active++;
        sample.activeByVersion[i.version] = (sample.activeByVersion[i.version] ?? 0) + 1;
        const healthy = !i.killing && (i.hasChecks ? i.healthy : i.running);
        if (healthy) {
          sample.healthy++;
          sample.healthyByVersion[i.version] = (sample.healthyByVersion[i.version] ?? 0) + 1;
        }
      }
      return sample;
    };
    const entries = this.forApp(appId);
    for (let idx = 0; idx < entries.length; idx++) {
      const e = entries[idx] as TimelineEntry;
      if (e.instanceId) {
        let i = live.get(e.instanceId);
        if (e.kind === "launch") {
          i = { version: e.version, active: true, running: false, hasChecks: e.hasChecks === true, healthy: false, killing: false };
          live.set(e.instanceId, i);
        } else if (i) {
          if (e.kind === "state") {
            i.running = e.state === "TASK_RUNNING";
            if (e.state === "TASK_KILLING") i.killing = true;
            if (e.state && TERMINAL.has(e.state)) live.delete(e.instanceId);
          } else if (e.kind === "kill") i.killing = true;
          else if (e.kind === "health") i.healthy = e.healthy === true;
        }
      }
      const next = entries[idx + 1];
      if (e.t >= since && (!next || next.t !== e.t)) out.push(snapshot(e.t));
    }
    return out;
  }
}
