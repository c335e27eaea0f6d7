import { describe, expect, it } from "vitest";
import { preselectRunners, reasonToKeep, type ReapFilter } from "./reap-selection.js";
import type { RunnerDetails, RunnerStatus } from "./types.js";

const NOW = Date.parse("2026-11-22T06:00:00Z");
const ago = (ms: number) => new Date(NOW - ms).toISOString();
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const runner = (over: Partial<RunnerDetails>): RunnerDetails => ({ id: 1, description: "marathon-a", paused: false, status: "stale", contacted_at: null, tag_list: ["marathon"], ...over });
const filter: ReapFilter = { status: "stale", tags: ["marathon"], descriptionPrefix: "marathon-" };
const offline: ReapFilter = { ...filter, status: "offline" };

describe("reap selection", () => {
  it.each<[string, Partial<RunnerDetails>, ReapFilter, string | undefined]>([
    ["matches", {}, filter, undefined],
    ["online runner is kept", { status: "online" }, filter, "status is online"],
    ["offline is not stale", { status: "offline" }, filter, "status is offline"],
    ["stale counts as offline", { status: "stale" }, offline, undefined],
    ["another team's description", { description: "team-b-runner" }, filter, 'description does not start with "marathon-"'],
    ["missing a tag", { tag_list: ["shell"] }, { ...filter, tags: ["marathon", "shell"] }, "lacks tag marathon"],
    ["tags unknown", { tag_list: undefined }, filter, "GitLab did not say which tags it has"],
    ["null description with a prefix filter", { description: null }, filter, 'description does not start with "marathon-"'],
  ])("%s", (_name, over, f, reason) => {
    expect(reasonToKeep(runner(over), f, NOW)).toBe(reason);
  });

  // Every status value the runners API returns, against both filters. `paused` and 14.x
  // `active` say nothing about contact, so contacted_at decides with GitLab's windows.
  it.each<[RunnerStatus, string | null, "stale" | "offline" | "neither"]>([
    ["online", ago(HOUR), "neither"],
    ["offline", ago(3 * HOUR), "offline"],
    ["stale", ago(8 * DAY), "stale"],
    ["never_contacted", null, "neither"],
    ["not_connected", null, "neither"],
    ["paused", ago(HOUR), "neither"],
    ["paused", ago(3 * HOUR), "offline"],
    ["paused", ago(8 * DAY), "stale"],
    ["paused", null, "neither"],
    ["active", ago(30 * 60_000), "neither"],
    ["active", ago(5 * HOUR), "offline"],
    ["active", ago(30 * DAY), "stale"],
  ])("status %s, last contact %s: reaped by %s", (status, contactedAt, reapedBy) => {
    const record = runner({ status, contacted_at: contactedAt, paused: status === "paused" });
    const byStale = reasonToKeep(record, filter, NOW) === undefined;
    const byOffline = reasonToKeep(record, offline, NOW) === undefined;
    expect(byStale).toBe(reapedBy === "stale");
    expect(byOffline).toBe(reapedBy === "stale" || reapedBy === "offline");
  });

  it("a status that hides contact time and no contacted_at is kept, saying why", () => {
    expect(reasonToKeep({ ...runner({ status: "paused" }), contacted_at: undefined as unknown as null }, offline, NOW)).toBe(
      "status is paused and GitLab did not say when it last made contact",
    );
  });

  it("preselects list rows by status and description only, fetching rows whose status hides contact", () => {
    const rows = [
      { id: 1, description: "marathon-a", status: "stale" },
      { id: 2, description: "marathon-b", status: "online" },
      { id: 3, description: "other", status: "stale" },
      { id: 4, description: "marathon-c", status: "paused" },
      { id: 5, description: "marathon-d", status: "active" },
      { id: 6, description: "marathon-e", status: "not_connected" },
    ];
    expect(preselectRunners(rows, filter, NOW).map((r) => r.id)).toEqual([1, 4, 5]);
  });
});
