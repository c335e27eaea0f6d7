/**
 * The deployment timeout when none is given, derived from the app's own health
 * checks (gh:ContainX/depcon#18): each replacement round may take the grace
 * period plus enough failed intervals for Marathon to give up on a task, plus
 * time to pull the image and start. Pure.
 */
import type { AppDefinition } from "../marathon/types.js";
import type { UpgradePlan } from "../plan/types.js";

/** Seconds allowed for pulling an image and starting a task. */
const START_SLACK_SECONDS = 60;
/** Never less than this, however quick the health checks are. */
const MINIMUM_SECONDS = 120;

/** Default timeout in ms for deploying `app` as `plan` predicts. */
export function defaultTimeoutMs(app: AppDefinition, plan?: Pick<UpgradePlan, "steps">): number {
  const check = app.healthChecks?.[0];
  let perRound = START_SLACK_SECONDS;
  if (check) {
    const grace = check.gracePeriodSeconds ?? 300;
    const interval = check.intervalSeconds ?? 60;
    const timeout = check.timeoutSeconds ?? 20;
    const failures = check.maxConsecutiveFailures ?? 3;
    perRound += grace + interval * (failures + 1) + timeout;
  }
  const readiness = app.readinessChecks?.[0];
  if (readiness) perRound += 2 * (readiness.intervalSeconds ?? 30);
  const rounds = Math.max(1, plan?.steps.filter((s) => s.action.startsWith("start ")).length ?? 1);
  // One extra round: a task that fails once and is relaunched still fits.
  return Math.max(MINIMUM_SECONDS, (rounds + 1) * perRound) * 1000;
}
