/**
 * render, status, plan and history run without commander when their command
 * line is plain (src/cli/quick-commands.ts). That path must hand each command
 * exactly what commander would, and leave to commander every line it is not
 * sure of, so help and error wording stay commander's.
 */
import { describe, expect, it } from "vitest";
import type { Command } from "commander";
import { createProgram } from "../src/cli/program.js";
import { parseQuickCommand, quickCommands } from "../src/cli/quick-commands.js";
import type { CliContext } from "../src/core/ports/cli-context.js";

/** What commander hands the action of `args`: the environment name(s), the options, and --config. */
async function viaCommander(args: string[]): Promise<{ command: string; environments: string[]; flags: Record<string, unknown>; config: string }> {
  const global = { json: false, debug: false } as { config?: string; json: boolean; debug: boolean };
  const program = createProgram("0.0.0", global, () => ({}) as CliContext);
  let seen: { command: string; environments: string[]; flags: Record<string, unknown> } | undefined;
  for (const name of Object.keys(quickCommands)) {
    const command = program.commands.find((c) => c.name() === name) as Command;
    command.action((environments: string | string[], flags: Record<string, unknown>) => {
      seen = { command: name, environments: Array.isArray(environments) ? environments : [environments], flags: { ...flags } };
    });
  }
  await program.parseAsync(["node", "mdeploy", ...args]);
  if (!seen) throw new Error(`commander ran no quick command for ${args.join(" ")}`);
  return { ...seen, config: global.config ?? "" };
}

describe("commands without commander", () => {
  it("declare the flags commander registers for them, with the same defaults", () => {
    const program = createProgram("0.0.0", { json: false, debug: false }, () => ({}) as CliContext);
    for (const [name, quick] of Object.entries(quickCommands)) {
      const command = program.commands.find((c) => c.name() === name);
      expect(command, name).toBeDefined();
      const registered = Object.fromEntries(
        (command?.options ?? []).map((o) => [o.long?.slice(2), { type: o.required || o.optional ? "string" : "boolean", default: o.defaultValue as unknown }]),
      );
      const declared = Object.fromEntries(Object.entries(quick.flags).map(([flag, spec]) => [flag, { type: spec.type, default: spec.default }]));
      expect(declared, name).toEqual(registered);
      expect(command?.registeredArguments.map((a) => a.variadic), name).toEqual([quick.environments === "many"]);
    }
  });

  const plain = [
    ["render", "staging"],
    ["render", "staging", "production", "--out-dir", "out"],
    ["--config", "ci/mdeploy.yml", "render", "a"],
    ["--config", "status", "status", "x"],
    ["status", "s", "--artifact", "marathon_app_s.json"],
    ["status", "--json", "s"],
    ["plan", "s"],
    ["plan", "s", "--strategy", "template", "--detailed-exitcode"],
    ["plan", "--strategy=auto", "s", "--debug"],
    ["plan", "s", "--strategy", "canary"],
    ["plan", "s", "--strategy=blue-green"],
    ["plan", "s", "--strategy", "rolling"],
    ["history", "s"],
    ["history", "s", "--limit", "5"],
    ["history", "s", "--limit=1000", "--json"],
  ];
  it.each(plain)("hand %s ... what commander hands", async (...args: string[]) => {
    const quick = parseQuickCommand(args);
    expect(quick).toBeDefined();
    const commander = await viaCommander(args);
    const name = Object.entries(quickCommands).find(([, c]) => c === quick?.command)?.[0];
    expect({ command: name, environments: quick?.environments, flags: quick?.flags, config: quick?.config }).toEqual(commander);
  });

  const forCommander = [
    ["status", "s", "--help"],
    ["status", "-h"],
    ["status", "s", "t"],
    ["status"],
    ["render"],
    ["status", "s", "--nope"],
    ["status", "-s"],
    ["status", "x".repeat(65)],
    ["status", "no/slash"],
    ["history", "s", "--limit", "0"],
    ["history", "s", "--limit", "1001"],
    ["history", "s", "--limit", "1e1"],
    ["history", "s", "--limit", "-5"],
    ["plan", "s", "--strategy", "fast"],
    ["plan", "s", "--detailed-exitcode=yes"],
    ["deploy", "s"],
    ["staging"],
    ["stats", "s"],
    ["help", "status"],
    ["status", "s", "--limit", "3"],
    ["render", "s", "--artifact", "f.json"],
  ];
  it.each(forCommander)("leave %s ... to commander", (...args: string[]) => {
    expect(parseQuickCommand(args)).toBeUndefined();
  });
});
