/** Following one deployment with progress lines: the shared piece of deploy, its rollback and `mdeploy rollback`. */
import type { Clock } from "../core/ports/clock.js";
import type { DeploymentResult } from "../marathon/types.js";
import type { EventWatch } from "./event-watch.js";
import { followDeployment, type FollowMarathon, type FollowOutcome } from "./follow-deployment.js";
import type { Progress } from "../core/ports/progress.js";

/** Follows one PUT's deployment until `deadline` (or `signal`), printing progress. */
export function follow(deps: { marathon: FollowMarathon; clock: Clock; progress: Progress }, watch: EventWatch, appId: string, put: DeploymentResult, deadline: number, signal?: AbortSignal): Promise<FollowOutcome> {
  const { progress } = deps;
  let lastWaiting = "";
  return followDeployment({
    marathon: deps.marathon,
    clock: deps.clock,
    watch,
    appId,
    deploymentId: put.deploymentId,
    version: put.version,
    deadline,
    ...(signal ? { signal } : {}),
    onNote: (line) => progress.line(`  ${line}`),
    onProgress: ({ counts, step, waiting }) => {
      const stepText = step ? `step ${step.current}/${step.total} ${step.actions.join(", ")}: ` : "";
      progress.update(`  ${stepText}${counts.healthyNew}/${counts.instances} new healthy, ${counts.runningNew} new running, ${counts.runningOld} old running`);
      // Queue reasons repeat while nothing changes; say them once per change.
      const text = waiting.join("; ");
      if (text && text !== lastWaiting) progress.line(`  waiting: ${text}`);
      if (text) lastWaiting = text;
    },
  });
}
