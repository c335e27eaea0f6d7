/** `mdeploy status <env>`: what Marathon says about the environment's app. Reads only. */
import type { CliContext } from "../core/ports/cli-context.js";
import type { Clock } from "../core/ports/clock.js";
import { systemClock } from "../host/system-clock.js";
import { marathonClientFor } from "../deploy/cluster-clients.js";
import { formatStatus, summarizeStatus, type AppStatusSummary } from "../deploy/describe-status.js";
import { loadCommandAppId } from "../deploy/load-target.js";
import { UsageError } from "../errors.js";
import { describeProgressive, findProgressiveCopies } from "../deploy/progressive/describe-progressive.js";

export interface StatusOptions {
  environment: string;
  artifact?: string;
}

/** Prints the status; exit 0 whatever the app's health (status reports, it does not judge). */
export async function runStatus(options: StatusOptions, context: CliContext, clock: Clock = systemClock): Promise<AppStatusSummary> {
  const { output } = context;
  const loaded = await loadCommandAppId(context, options);
  const marathon = marathonClientFor(loaded.settings.marathon, clock);
  try {
    // A canary or blue/green copy beside the app is part of what serves it. Read in the same
    // round trip, but what the app's own read says comes first: a missing app is "not deployed".
    const copiesRead = findProgressiveCopies(loaded.appId, marathon).then(
      (copies) => ({ copies }),
      (error: unknown) => ({ error }),
    );
    const [app, deployments, queue] = await Promise.all([
      marathon.findApp(loaded.appId, { embed: ["app.tasks", "app.lastTaskFailure", "app.deployments", "app.readiness"] }),
      marathon.getDeployments(),
      marathon.getQueue(),
    ]).finally(() => copiesRead);
    if (!app) throw new UsageError(`${options.environment}: ${loaded.appId} is not deployed on ${marathon.urls.join(", ")}`);
    const read = await copiesRead;
    if ("error" in read) throw read.error;
    const copies = read.copies;
    const summary = summarizeStatus(app, deployments, queue);
    for (const line of formatStatus(options.environment, summary)) output.info(line);
    const progressive = describeProgressive(loaded.appId, app, copies);
    for (const line of progressive?.lines ?? []) output.info(line);
    const result = progressive ? { ...summary, progressive: progressive.status } : summary;
    output.result(result);
    return result;
  } finally {
    marathon.close();
  }
}
