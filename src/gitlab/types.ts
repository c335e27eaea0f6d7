/**
 * The parts of GitLab's runner API responses mdeploy relies on (GitLab `doc/api/runners.md`).
 * Fields GitLab has deprecated (`active`, `version`, `platform`, ...) are left out on purpose:
 * they are often `null` and runner managers carry them now.
 */

/**
 * A runner's or manager's `status` as the REST API returns it. @gitbeaker types only the
 * first two, so this type is ours.
 * - online: last contact at most 2 h ago (a dead runner stays `online` that long)
 * - offline: last contact more than 2 h ago
 * - stale: no contact for 7 days, or created 7 days ago and never contacted
 * - never_contacted: no contact yet
 * - paused: the runner is paused (REST reports it instead of the contact state)
 * - not_connected, active: GitLab 14.x forms of never_contacted and "not paused"
 * See runner-status.ts for what each says about contact.
 */
export type RunnerStatus = "online" | "offline" | "stale" | "never_contacted" | "paused" | "not_connected" | "active";

/** `GET /runners/:id`. */
export interface RunnerDetails {
  id: number;
  description: string | null;
  paused: boolean;
  status: RunnerStatus | string;
  contacted_at: string | null;
  /** Missing from list rows; present on details. */
  tag_list?: string[];
  runner_type?: string;
}

/** One row of `GET /runners`, `/runners/all`, `/groups/:id/runners` or `/projects/:id/runners`. */
export interface RunnerListItem {
  id: number;
  description: string | null;
  paused?: boolean;
  status: RunnerStatus | string;
  runner_type?: string;
  /** Not on every GitLab version's list rows. */
  contacted_at?: string | null;
}

/** One row of `GET /runners/:id/managers`: one per `system_id` (one per container sharing a `glrt-` token). */
export interface RunnerManager {
  id: number;
  system_id: string;
  status: RunnerStatus | string;
  contacted_at: string | null;
  created_at?: string;
}

/** `POST /runners/verify` answered 200. */
export interface RunnerVerifyResponse {
  id: number;
}
