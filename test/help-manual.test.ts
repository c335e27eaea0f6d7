/**
 * `--help` is a manual: the top level names the `mdeploy <env>` shorthand, the
 * main environment variables and the exit codes; every command ends with
 * examples; nothing runs past 80 columns; and the flags `--help` lists and the
 * flags README documents are the same set.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Command } from "commander";
import { describe, expect, it } from "vitest";
import { examplesText } from "../src/cli/help-text.js";
import { createProgram } from "../src/cli/program.js";
import { runCli } from "./helpers/run-cli.js";

const README = readFileSync(fileURLToPath(new URL("../README.md", import.meta.url)), "utf8");

/** Flags of other programs README quotes (npm, gitlab-ci-local, gitlab-runner, Docker, ansible-test). */
const OTHER_PROGRAMS = new Set(["--force-shell-executor", "--ignore-scripts", "--omit", "--shell-isolation", "--variable", "--input", "--target", "--global", "--save-dev", "--save-exact", "--rm", "--local", "--python"]);

const program = createProgram("0.0.0", { json: false, debug: false }, () => undefined as never);

function commandHelp(command: Command): string {
  return `${command.helpInformation()}${examplesText(command.name())}`;
}

function flagsIn(text: string): Set<string> {
  return new Set([...text.matchAll(/(?<![\w-])--[a-z][a-z0-9-]*[a-z0-9](?![\w])/g)].map((m) => m[0]));
}

describe("help is a manual", () => {
  it("mdeploy --help names the shorthand, the environment variables and every exit code", async () => {
    const run = await runCli(["--help"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("mdeploy <env> is short for mdeploy deploy <env>");
    for (const variable of ["MARATHON_URL", "MARATHON_USERNAME", "MARATHON_PASSWORD", "MARATHON_TOKEN", "MESOS_URL", "GITLAB_URL", "GITLAB_TOKEN"]) expect(run.stdout).toContain(variable);
    for (const code of [0, 1, 2, 3, 4, 5, 6, 7, 8]) expect(run.stdout).toMatch(new RegExp(`^  ${code}  \\S`, "m"));
  });

  it.each(program.commands.map((c) => [c.name(), c] as const))("%s --help ends with 2-3 examples and wraps at 80 columns", (name, command) => {
    const text = commandHelp(command);
    const examples = /\nExamples:\n((?: {2}.+\n)+)$/.exec(text)?.[1]?.trimEnd().split("\n") ?? [];
    expect(examples.length).toBeGreaterThanOrEqual(2);
    expect(examples.length).toBeLessThanOrEqual(3);
    for (const example of examples) expect(example).toMatch(/^ {2}([A-Z_]+=\S+ )?mdeploy /);
    expect(text.split("\n").filter((line) => line.length > 80)).toEqual([]);
    expect(name).toBeTruthy();
  });

  it("the built CLI's help wraps at 80 columns too (zk-id's long flags included)", async () => {
    for (const args of [["--help"], ["zk-id", "--help"], ["deploy", "--help"]]) {
      const run = await runCli(args);
      expect(run.stdout.split("\n").filter((line) => line.length > 80)).toEqual([]);
    }
  });

  it("every flag in --help is in README, and every mdeploy flag README names is in --help", () => {
    const inHelp = new Set<string>();
    for (const text of [program.helpInformation(), ...program.commands.map(commandHelp)]) for (const flag of flagsIn(text)) inHelp.add(flag);
    const inReadme = flagsIn(README);
    expect([...inHelp].filter((flag) => !inReadme.has(flag))).toEqual([]);
    expect([...inReadme].filter((flag) => !inHelp.has(flag) && !OTHER_PROGRAMS.has(flag))).toEqual([]);
  });
});
