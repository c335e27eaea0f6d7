/**
 * What a deployment report shows, as plain serializable data: the recorder
 * (src/report/recorder.ts) fills it from what the deploy observed, and
 * renderReport turns it into one HTML page. Times are epoch milliseconds on the
 * deploy's clock (virtual on the simulator).
 */
import type { PlanStep, UpgradePlan } from "../plan/types.js";

/** The kinds the events table filters by. */
export const EVENT_KINDS = ["launch", "kill", "health", "failure", "queue", "deployment", "rollback"] as const;
export type ReportEventKind = (typeof EVENT_KINDS)[number];

/** One row of the events table. */
export interface ReportEvent {
  t: number;
  kind: ReportEventKind;
  /** App version the event is about, when it is about one. */
  version?: string;
  text: string;
}

/** Instances of one version at one moment. */
export interface VersionCounts {
  /** Running and passing their health checks (and ready). */
  healthy: number;
  /** Running, healthy or not (includes those being killed). */
  running: number;
  /** Launched but not running yet (staging, starting). */
  staged: number;
}

/** Counts per version after something changed at `t`. */
export interface CountSample {
  t: number;
  byVersion: Record<string, VersionCounts>;
}

/** What part a version plays in the story. */
export type VersionRole = "previous" | "target" | "restored" | "other";

export interface ReportVersion {
  version: string;
  role: VersionRole;
  image?: string;
}

/** A named stretch of the run ("deploy", "rollback"), from the progress sections. */
export interface ReportPhase {
  id: string;
  title: string;
  start: number;
  end?: number;
}

/** Links and ids a CI job knows (GitLab's predefined variables). */
export interface CiProvenance {
  commit?: string;
  commitUrl?: string;
  ref?: string;
  pipelineUrl?: string;
  jobUrl?: string;
}

/** How the run ended. */
export interface ReportVerdict {
  ok: boolean;
  exitCode: number;
  message: string;
  details: string[];
}

/** The part of the plan a report shows. */
export type ReportPlan = Pick<UpgradePlan, "kind" | "verdict" | "minHealthy" | "zeroDowntime" | "instances" | "strategy" | "strategySource" | "reasons" | "warnings"> & { steps: PlanStep[] };

export interface ReportData {
  command: "deploy" | "rollback";
  environment: string;
  appId: string;
  startedAt: number;
  endedAt: number;
  /** The version running before (deploy), or the one rolled back from. */
  from?: ReportVersion;
  /** The version the run put in place (the PUT's answer). */
  to?: ReportVersion;
  /** Every version seen, in order of first sight. */
  versions: ReportVersion[];
  ci: CiProvenance;
  verdict: ReportVerdict;
  plan?: ReportPlan;
  /** formatDiff lines, secrets already hidden. */
  diff: string[];
  samples: CountSample[];
  /** The plan's fewest healthy instances, and the stretch it applies to (from the PUT to the end of the deployment). */
  floor?: { value: number; from: number; until: number };
  phases: ReportPhase[];
  events: ReportEvent[];
}
