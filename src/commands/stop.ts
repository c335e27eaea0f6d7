/**
 * `mdeploy stop <env>`: removes the environment's app (what a review app's
 * on_stop job runs) and waits until Marathon's removal deployment has ended,
 * which happens only once the app's tasks are killed. Stopping an app that is
 * not there succeeds, so GitLab may run the stop job twice.
 */
import type { CliContext } from "../core/ports/cli-context.js";
import type { Clock } from "../core/ports/clock.js";
import { systemClock } from "../host/system-clock.js";
import { marathonClientFor } from "../deploy/cluster-clients.js";
import { loadCommandTarget } from "../deploy/load-target.js";
import { NeedsPersonError } from "../errors.js";
import type { MarathonClient } from "../marathon/client.js";

export interface StopOptions {
  environment: string;
  artifact?: string;
  /** How long to wait for the tasks to be gone (default 300 s). */
  timeoutSeconds?: number;
  /** Cancel a deployment holding the app (Marathon ?force=true). */
  force?: boolean;
}

export interface StopResult {
  environment: string;
  appId: string;
  /** false when there was no app to remove. */
  removed: boolean;
  deploymentId?: string;
}

const POLL_MS = 1000;
const DEFAULT_TIMEOUT_SECONDS = 300;

/** Deletes the app and waits, bounded, until Marathon reports it and its removal deployment gone. */
export async function runStop(options: StopOptions, context: CliContext, clock: Clock = systemClock): Promise<StopResult> {
  const { output } = context;
  const loaded = await loadCommandTarget(context, options);
  const appId = loaded.app.id;
  const marathon = marathonClientFor(loaded.settings.marathon, clock);
  try {
    const result = await stopApp(marathon, clock, { ...options, appId });
    output.info(result.removed ? `${options.environment}: removed ${appId}; its tasks are gone` : `${options.environment}: ${appId} does not exist; nothing to stop`);
    output.result(result);
    return result;
  } finally {
    marathon.close();
  }
}

async function stopApp(marathon: MarathonClient, clock: Clock, options: StopOptions & { appId: string }): Promise<StopResult> {
  const base = { environment: options.environment, appId: options.appId };
  if ((await marathon.findApp(options.appId)) === undefined) return { ...base, removed: false };
  const { deploymentId } = await marathon.deleteApp(options.appId, { force: options.force ?? false });
  const timeoutMs = (options.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS) * 1000;
  const deadline = clock.now() + timeoutMs;
  for (;;) {
    // Marathon hides a deleted app at once; the deployment that kills its tasks ends only when they are gone.
    const [app, deployments] = await Promise.all([marathon.findApp(options.appId), marathon.getDeployments()]);
    const stillRemoving = deployments.some((d) => d.id === deploymentId);
    if (app === undefined && !stillRemoving) return { ...base, removed: true, deploymentId };
    if (clock.now() >= deadline) {
      throw new NeedsPersonError(`${options.environment}: ${options.appId} was deleted but ${app ? "is still listed" : `its removal deployment ${deploymentId} still runs`} after ${timeoutMs / 1000} s`, [
        `check with: mdeploy status ${options.environment}; the app's tasks may still be running`,
      ]);
    }
    await clock.sleep(POLL_MS);
  }
}
