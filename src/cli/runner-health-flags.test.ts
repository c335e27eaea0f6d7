import { describe, expect, it } from "vitest";
import { UsageError } from "../errors.js";
import { parseFlags, runnerHealthFlags } from "./runner-health-flags.js";

describe("runner-health flags without commander", () => {
  it("gives commander's shape: camelCase keys, defaults, --no-x as false", () => {
    expect(parseFlags(runnerHealthFlags, ["--runner-id", "6", "--no-metrics", "--strict"])).toEqual({
      runnerId: "6",
      metrics: false,
      strict: true,
      timeout: "5",
      grace: "300",
    });
  });

  it("lets a flag override its default and accepts the global flags", () => {
    expect(parseFlags(runnerHealthFlags, ["--timeout=2", "--json", "--config", "x.yml"])).toMatchObject({ timeout: "2", json: true, config: "x.yml" });
  });

  it.each([
    [["--runner-idd", "6"], /unknown option '--runner-idd'/],
    [["stray"], /too many arguments/],
    [["--runner-id"], /argument missing/],
  ])("rejects %j as bad usage", (args, message) => {
    expect(() => parseFlags(runnerHealthFlags, args)).toThrow(UsageError);
    expect(() => parseFlags(runnerHealthFlags, args)).toThrow(message);
  });
});
