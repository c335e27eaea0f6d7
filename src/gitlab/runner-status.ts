/**
 * What a runner's REST `status` says about its contact with GitLab. Pure.
 *
 * GitLab's REST `status` is its "deprecated REST status": besides the contact states it
 * reports a paused runner as `paused`, and GitLab 14.x also answered `active` (not paused)
 * and `not_connected` (never contacted). `paused` and `active` hide the contact state, so it
 * is read from `contacted_at` with GitLab's own windows (app/models/ci/runner.rb): online up
 * to 2 h after the last contact, stale after 7 days.
 */
import type { RunnerStatus } from "./types.js";

/** How long after its last contact GitLab still calls a runner online. */
const ONLINE_WINDOW_MS = 2 * 60 * 60 * 1000;
/** After this long without contact GitLab calls a runner stale. */
const STALE_AFTER_MS = 7 * 24 * 60 * 60 * 1000;

/** A runner's contact with GitLab; `unknown` when neither status nor contacted_at tells. */
export type ContactState = "online" | "offline" | "stale" | "never_contacted" | "unknown";

/** Every `status` value the runners API has returned, mapped to what it says about contact. */
const CONTACT_BY_STATUS: Record<RunnerStatus, ContactState | "from-contacted-at"> = {
  online: "online",
  offline: "offline",
  stale: "stale",
  never_contacted: "never_contacted",
  not_connected: "never_contacted",
  paused: "from-contacted-at",
  active: "from-contacted-at",
};

function isKnownStatus(status: string): status is RunnerStatus {
  return Object.hasOwn(CONTACT_BY_STATUS, status);
}

/**
 * The contact state of a runner or manager. `contactedAt` is `undefined` when the record
 * does not carry the field (list rows), `null` when GitLab says it never made contact.
 */
export function contactState(status: string, contactedAt: string | null | undefined, nowMs: number): ContactState {
  const fromStatus = isKnownStatus(status) ? CONTACT_BY_STATUS[status] : "unknown";
  if (fromStatus !== "from-contacted-at") return fromStatus;
  if (contactedAt === undefined) return "unknown";
  if (contactedAt === null) return "never_contacted";
  const at = Date.parse(contactedAt);
  if (!Number.isFinite(at)) return "unknown";
  const silentFor = nowMs - at;
  return silentFor <= ONLINE_WINDOW_MS ? "online" : silentFor <= STALE_AFTER_MS ? "offline" : "stale";
}

/** Paused in GitLab: by the `paused` field, or by the status alone (rows without the field). */
export function isPaused(runner: { status: string; paused?: boolean }): boolean {
  return runner.paused === true || runner.status === "paused";
}
