/**
 * Why a deployment is not progressing, in words: Marathon's launch queue says
 * which offers it declined and why (InsufficientMemory, UnfulfilledConstraint,
 * ...), and lastTaskFailure says how the last task died. Pure.
 */
import type { AppStatus, QueueItem } from "../marathon/types.js";

const REASON_WORDS: Record<string, string> = {
  UnfulfilledRole: "no offer had the role the app accepts",
  UnfulfilledConstraint: "the app's constraints excluded the agent",
  NoCorrespondingReservationFound: "no matching reservation",
  AgentMaintenance: "the agent is in maintenance",
  InsufficientCpus: "not enough CPUs free",
  InsufficientMemory: "not enough memory free",
  InsufficientDisk: "not enough disk free",
  InsufficientGpus: "not enough GPUs free",
  InsufficientPorts: "the host ports asked for are taken",
  DeclinedScarceResources: "declined to use scarce resources (GPUs)",
};

/** Lines describing the launch queue entry of `appId`, if any. */
export function explainQueue(queue: readonly QueueItem[], appId: string): string[] {
  const id = appId.startsWith("/") ? appId : `/${appId}`;
  const item = queue.find((q) => q.app?.id === id || q.app?.id === appId);
  if (!item) return [];
  const lines: string[] = [];
  const waiting = `${item.count} instance${item.count === 1 ? "" : "s"} waiting to launch`;
  if (item.delay?.overdue === false && item.delay.timeLeftSeconds >= 1) {
    lines.push(`${waiting}; relaunch delayed ${Math.round(item.delay.timeLeftSeconds)} s by Marathon's backoff (tasks of this version kept failing)`);
  } else {
    lines.push(`${waiting} for a matching offer`);
  }
  const summary = item.processedOffersSummary;
  const rejects = [...(summary?.rejectSummaryLastOffers ?? [])].filter((r) => r.declined > 0).sort((a, b) => b.declined - a.declined);
  if (summary && summary.unusedOffersCount > 0 && rejects.length > 0) {
    const parts = rejects.map((r) => `${r.reason} x${r.declined} (${REASON_WORDS[r.reason] ?? r.reason})`);
    lines.push(`last offers declined: ${parts.join(", ")}`);
  }
  return lines;
}

/** One line for the app's lastTaskFailure, when it is about `version` (or any version when not given). */
export function explainLastFailure(app: AppStatus | undefined, version?: string): string[] {
  const failure = app?.lastTaskFailure;
  if (!failure) return [];
  if (version !== undefined && failure.version !== version) return [];
  const message = failure.message ? `: ${failure.message}` : "";
  return [`last task failure on ${failure.host} at ${failure.timestamp}: ${failure.state}${message}`];
}
