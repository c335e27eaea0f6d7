/**
 * Pure readings of Marathon state for the deploy engine: how healthy an app is
 * at a given version, and what a deployment's disappearance from
 * `/v2/deployments` means. A deployment vanishes when it succeeds, but also when
 * it is cancelled (`DELETE ...?force=true`) or superseded by a forced update, so
 * "gone" alone is never success; the app must be at the target version with
 * every instance of that version healthy and ready and no old instance left.
 */
import { isTaskHealthy } from "../core/task-health.js";
import type { AppStatus, Deployment } from "./types.js";

/** Counts for one version of an app. */
export interface VersionHealth {
  /** The version asked about. */
  version: string;
  /** The app's current version. */
  appVersion: string;
  /** `instances` of the app definition. */
  instances: number;
  /** Running (non-terminal) tasks of `version`. */
  total: number;
  /** Of those, healthy: all health checks pass, or TASK_RUNNING when the app has none. */
  healthy: number;
  /** Of the healthy ones, those no readiness check calls not ready. */
  ready: number;
  /** Tasks of any other version. */
  otherVersions: number;
}

/** The deploy's view of one deployment at a poll. */
export type DeploymentVerdict =
  | { state: "running"; deployment: Deployment }
  | { state: "succeeded"; health: VersionHealth }
  | { state: "failed"; reason: string; health?: VersionHealth };

/** Counts the app's tasks of `version` by health and readiness. */
export function versionHealth(app: AppStatus, version: string): VersionHealth {
  const tasks = app.tasks ?? [];
  const ofVersion = tasks.filter((t) => t.version === version);
  const notReady = new Set((app.readinessCheckResults ?? []).filter((r) => !r.ready).map((r) => r.taskId));
  const healthy = ofVersion.filter((t) => isTaskHealthy(app, t));
  return {
    version,
    appVersion: app.version,
    instances: app.instances ?? 1,
    total: ofVersion.length,
    healthy: healthy.length,
    ready: healthy.filter((t) => !notReady.has(t.id)).length,
    otherVersions: tasks.length - ofVersion.length,
  };
}

/** Whether the app sits at `version` with every instance healthy and ready, nothing older left, and no deployment running. */
export function isSettledAt(app: AppStatus, version: string): boolean {
  const h = versionHealth(app, version);
  return app.version === version && (app.deployments ?? []).length === 0 && h.total === h.instances && h.ready === h.instances && h.otherVersions === 0;
}

/**
 * Judges a deployment from one poll of `/v2/deployments` and the app.
 * `app` undefined means the app does not exist (404).
 */
export function judgeDeployment(input: { deploymentId: string; version: string; deployments: readonly Deployment[]; app: AppStatus | undefined }): DeploymentVerdict {
  const { deploymentId, version, deployments, app } = input;
  const running = deployments.find((d) => d.id === deploymentId);
  if (running) return { state: "running", deployment: running };
  if (!app) return { state: "failed", reason: `deployment ${deploymentId} ended and the app no longer exists` };
  const health = versionHealth(app, version);
  const others = (app.deployments ?? []).map((d) => d.id).filter((id) => id !== deploymentId);
  if (others.length > 0) {
    return { state: "failed", reason: `deployment ${deploymentId} is gone and deployment ${others.join(", ")} now runs on the app (cancelled or superseded)`, health };
  }
  if (app.version !== version) {
    return { state: "failed", reason: `deployment ${deploymentId} ended but the app is at version ${app.version}, not ${version} (cancelled, reverted or superseded)`, health };
  }
  if (isSettledAt(app, version)) return { state: "succeeded", health };
  return {
    state: "failed",
    reason: `deployment ${deploymentId} ended with ${health.ready} of ${health.instances} instances of ${version} healthy and ready${health.otherVersions > 0 ? ` and ${health.otherVersions} of other versions` : ""} (cancelled?)`,
    health,
  };
}
