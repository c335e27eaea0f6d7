import { describe, expect, it } from "vitest";
import { preselectRunners, reasonToKeep, type ReapFilter } from "./reap-selection.js";
import type { RunnerDetails } from "./types.js";

const runner = (over: Partial<RunnerDetails>): RunnerDetails => ({ id: 1, description: "marathon-a", paused: false, status: "stale", contacted_at: null, tag_list: ["marathon"], ...over });
const filter: ReapFilter = { status: "stale", tags: ["marathon"], descriptionPrefix: "marathon-" };

describe("reap selection", () => {
  it.each<[string, Partial<RunnerDetails>, ReapFilter, string | undefined]>([
    ["matches", {}, filter, undefined],
    ["online runner is kept", { status: "online" }, filter, "status is online"],
    ["offline is not stale", { status: "offline" }, filter, "status is offline"],
    ["stale counts as offline", { status: "stale" }, { ...filter, status: "offline" }, undefined],
    ["another team's description", { description: "team-b-runner" }, filter, 'description does not start with "marathon-"'],
    ["missing a tag", { tag_list: ["shell"] }, { ...filter, tags: ["marathon", "shell"] }, "lacks tag marathon"],
    ["tags unknown", { tag_list: undefined }, filter, "GitLab did not say which tags it has"],
    ["null description with a prefix filter", { description: null }, filter, 'description does not start with "marathon-"'],
  ])("%s", (_name, over, f, reason) => {
    expect(reasonToKeep(runner(over), f)).toBe(reason);
  });

  it("preselects list rows by status and description only", () => {
    const rows = [
      { id: 1, description: "marathon-a", status: "stale" },
      { id: 2, description: "marathon-b", status: "online" },
      { id: 3, description: "other", status: "stale" },
    ];
    expect(preselectRunners(rows, filter).map((r) => r.id)).toEqual([1]);
  });
});
