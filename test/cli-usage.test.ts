import { describe, expect, it } from "vitest";
import { runCli } from "./helpers/run-cli.js";

describe("mdeploy command line", () => {
  it("prints its version and exits 0", async () => {
    const run = await runCli(["--version"]);
    expect(run.code).toBe(0);
    expect(run.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it("prints help listing the commands", async () => {
    const run = await runCli(["--help"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("render");
  });

  it.each([
    [["render", "--no-such-flag"], /unknown option '--no-such-flag'/],
    [["render"], /missing required argument/],
  ])("rejects %j with exit 2 and one line, no stack trace", async (args, message) => {
    const run = await runCli(args);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(run.stderr.trim().split("\n")).toHaveLength(1);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });
});

describe("mdeploy --help without commander", () => {
  it("prints the same text commander would", async () => {
    const fast = await runCli(["--help"]);
    const full = await runCli(["help"]);
    expect(fast.code).toBe(0);
    expect(full.code).toBe(0);
    expect(fast.stdout).toBe(full.stdout);
  });
});

describe("mistyped commands", () => {
  it("names the unknown command instead of treating it as an environment", async () => {
    const run = await runCli(["rendr", "staging"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/unknown command 'rendr'/);
  });
});
