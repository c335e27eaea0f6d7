import { describe, expect, it } from "vitest";
import { checkRunnerDetails, checkRunnerManagers } from "./response-shapes.js";

describe("GitLab response checks", () => {
  it("accepts a runner record and derives paused from active on GitLab before 14.8", () => {
    const checked = checkRunnerDetails({ id: 6, description: "old", active: false, status: "online", contacted_at: null });
    expect(checked).toMatchObject({ ok: true, value: { paused: true } });
  });

  it("lists every problem with its path", () => {
    expect(checkRunnerDetails({ id: "6", status: 3 })).toEqual({ ok: false, problems: ["$.id: expected number", "$.paused: missing", "$.status: expected string"] });
    expect(checkRunnerManagers([{ id: 1, system_id: "r_1", status: "online" }, { id: 2 }])).toEqual({
      ok: false,
      problems: ["$[1].system_id: missing", "$[1].status: missing"],
    });
  });
});
