/**
 * Which runners `runner-reap` may remove. Pure. GitLab's own filters are applied on the
 * server too, but the decision is made here again on each runner's full record, so a
 * runner outside the filter is never touched even if a GitLab version ignores a parameter
 * (list rows carry no tags at all).
 */
import type { RunnerDetails, RunnerListItem } from "./types.js";

export interface ReapFilter {
  /** `stale` (no contact for 7 days) or `offline` (more than 2 h; includes stale). */
  status: "stale" | "offline";
  /** Every one of these tags must be on the runner. */
  tags: string[];
  descriptionPrefix?: string;
}

function statusMatches(status: string, wanted: ReapFilter["status"]): boolean {
  return wanted === "stale" ? status === "stale" : status === "offline" || status === "stale";
}

function descriptionMatches(description: string | null, prefix: string | undefined): boolean {
  return prefix === undefined || (description ?? "").startsWith(prefix);
}

/** First pass on list rows (no tags there): the rows worth fetching in full. */
export function preselectRunners(rows: RunnerListItem[], filter: ReapFilter): RunnerListItem[] {
  return rows.filter((row) => statusMatches(row.status, filter.status) && descriptionMatches(row.description, filter.descriptionPrefix));
}

/** Why a runner is kept, or undefined when it matches the filter and may be removed. */
export function reasonToKeep(runner: RunnerDetails, filter: ReapFilter): string | undefined {
  if (!statusMatches(runner.status, filter.status)) return `status is ${runner.status}`;
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
