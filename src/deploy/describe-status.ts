/**
 * `mdeploy status` in words: version, healthy/total, the running deployment and
 * its step, why instances wait (queue reasons) and the last task failure. Pure.
 */
import type { AppStatus, Deployment, QueueItem } from "../marathon/types.js";
import { explainLastFailure, explainQueue } from "./explain-stall.js";
import { formatVersion, summarizeVersion, type VersionSummary } from "./version-display.js";

export interface AppStatusSummary {
  appId: string;
  version: string;
  configVersion?: string;
  instances: number;
  healthy: number;
  running: number;
  staged: number;
  unhealthy: number;
  deployments: { id: string; step: string }[];
  waiting: string[];
  lastTaskFailure: string[];
  /** What the version runs and where it came from. */
  runs: VersionSummary;
}

/** Summarises what Marathon says about one app. */
export function summarizeStatus(app: AppStatus, deployments: readonly Deployment[], queue: readonly QueueItem[]): AppStatusSummary {
  const mine = deployments.filter((d) => d.affectedApps.includes(app.id));
  return {
    appId: app.id,
    version: app.version,
    ...(app.versionInfo?.lastConfigChangeAt ? { configVersion: app.versionInfo.lastConfigChangeAt } : {}),
    instances: app.instances ?? 1,
    healthy: app.tasksHealthy,
    running: app.tasksRunning,
    staged: app.tasksStaged,
    unhealthy: app.tasksUnhealthy,
    deployments: mine.map((d) => ({ id: d.id, step: `step ${d.currentStep}/${d.totalSteps}${d.currentActions.length ? ` ${d.currentActions.map((a) => a.action).join(", ")}` : ""}` })),
    waiting: explainQueue(queue, app.id),
    lastTaskFailure: explainLastFailure(app),
    runs: summarizeVersion(app.version, app),
  };
}

/** Lines for people. */
export function formatStatus(environment: string, s: AppStatusSummary): string[] {
  const lines = [`${environment}: ${s.appId} version ${formatVersion(s.runs)}${s.configVersion && s.configVersion !== s.version ? ` (configuration of ${s.configVersion})` : ""}`];
  const checks = s.healthy === s.instances ? "" : ` (${s.unhealthy} unhealthy, ${s.staged} staging)`;
  lines.push(`  instances: ${s.healthy}/${s.instances} healthy, ${s.running} running${checks}`);
  if (s.deployments.length === 0) lines.push("  no deployment running");
  for (const d of s.deployments) lines.push(`  deployment ${d.id}: ${d.step}`);
  for (const w of s.waiting) lines.push(`  waiting: ${w}`);
  for (const f of s.lastTaskFailure) lines.push(`  ${f}`);
  return lines;
}
