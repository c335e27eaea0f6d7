/**
 * Which runners `runner-reap` may remove. Pure. GitLab's own filters are applied on the
 * server too, but the decision is made here again on each runner's full record, so a
 * runner outside the filter is never touched even if a GitLab version ignores a parameter
 * (list rows carry no tags at all).
 */
import { contactState, type ContactState } from "./runner-status.js";
import type { RunnerDetails, RunnerListItem } from "./types.js";

export interface ReapFilter {
  /** `stale` (no contact for 7 days) or `offline` (more than 2 h; includes stale). */
  status: "stale" | "offline";
  /** Every one of these tags must be on the runner. */
  tags: string[];
  descriptionPrefix?: string;
}

/** Contact states each filter covers; never-contacted runners are GitLab's `stale` only once GitLab says so. */
const MATCHING_STATES: Record<ReapFilter["status"], readonly ContactState[]> = {
  stale: ["stale"],
  offline: ["offline", "stale"],
};

function describeContact(status: string, state: ContactState): string {
  if (state === "unknown") return `status is ${status} and GitLab did not say when it last made contact`;
  return state === status ? `status is ${status}` : `status is ${status}, ${state === "never_contacted" ? "never contacted" : `contact says ${state}`}`;
}

function descriptionMatches(description: string | null, prefix: string | undefined): boolean {
  return prefix === undefined || (description ?? "").startsWith(prefix);
}

/**
 * First pass on list rows (no tags there): the rows worth fetching in full. A row whose
 * status hides the contact state (`paused`, 14.x `active`) is fetched too: GitLab's offline
 * filter returns paused runners, and only the full record's `contacted_at` tells.
 */
export function preselectRunners(rows: RunnerListItem[], filter: ReapFilter, nowMs: number): RunnerListItem[] {
  return rows.filter((row) => {
    const state = contactState(row.status, row.contacted_at, nowMs);
    return (state === "unknown" || MATCHING_STATES[filter.status].includes(state)) && descriptionMatches(row.description, filter.descriptionPrefix);
  });
}

/** Why a runner is kept, or undefined when it matches the filter and may be removed. */
export function reasonToKeep(runner: RunnerDetails, filter: ReapFilter, nowMs: number): string | undefined {
  const state = contactState(runner.status, runner.contacted_at, nowMs);
  if (!MATCHING_STATES[filter.status].includes(state)) return describeContact(runner.status, state);
  if (!descriptionMatches(runner.description, filter.descriptionPrefix)) return `description does not start with "${filter.descriptionPrefix}"`;
  const tags = runner.tag_list;
  if (filter.tags.length > 0 && tags === undefined) return "GitLab did not say which tags it has";
  const missing = filter.tags.filter((tag) => !(tags ?? []).includes(tag));
  if (missing.length > 0) return `lacks tag ${missing.join(", ")}`;
  return undefined;
}

/** One line describing a runner, for the report. */
export function describeRunner(runner: RunnerDetails): string {
  const tags = runner.tag_list && runner.tag_list.length > 0 ? `, tags ${runner.tag_list.join(",")}` : "";
  return `runner ${runner.id} "${runner.description ?? ""}" (${runner.status}${tags})`;
}
