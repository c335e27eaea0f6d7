/**
 * The interactive read commands (`render`, `status`, `plan`, `history`) run
 * without commander when their command line is plain: commander and the
 * registration of every command were a tenth of their start-up (issue 13,
 * budget: 3-4x a bare `node -e 0`). Anything this parser is not sure of (a
 * help flag, an unknown or malformed flag, a value a check would refuse) goes
 * to commander, which runs or words the error as for every other command; so
 * this path never fails on its own. test/quick-commands.test.ts holds the
 * flags here to commander's registrations.
 */
import { parseArgs } from "node:util";
import type { StrategyChoice } from "../config/types.js";
import type { CliContext } from "../core/ports/cli-context.js";
import { environmentNameProblem } from "./environment-name.js";

/** One flag as commander registers it: whether it takes a value, its default, and which values its check accepts. */
export interface QuickFlag {
  type: "string" | "boolean";
  default?: string | number | boolean;
  /** The value commander's check would return, or undefined where it would refuse (then commander says so). */
  parse?: (value: string) => string | number | undefined;
}

export interface QuickCommand {
  /** `one` environment name, or `many` (one or more). */
  environments: "one" | "many";
  /** Flags by long name, global ones aside. */
  flags: Readonly<Record<string, QuickFlag>>;
  run(environments: string[], flags: Record<string, string | number | boolean>, context: CliContext): Promise<void>;
}

/** The most versions `history --limit` takes (src/cli/commands-history.ts). */
const MAX_HISTORY_LIMIT = 1_000;

export const quickCommands: Readonly<Record<string, QuickCommand>> = {
  render: {
    environments: "many",
    flags: { "out-dir": { type: "string", default: "." } },
    async run(environments, flags, context) {
      const { runRender } = await import("../commands/render.js");
      await runRender({ environments, outDir: String(flags.outDir) }, context);
    },
  },
  status: {
    environments: "one",
    flags: { artifact: { type: "string" } },
    async run([environment = ""], flags, context) {
      const { runStatus } = await import("../commands/status.js");
      await runStatus({ environment, ...(flags.artifact ? { artifact: String(flags.artifact) } : {}) }, context);
    },
  },
  plan: {
    environments: "one",
    flags: {
      artifact: { type: "string" },
      strategy: { type: "string", parse: (v) => (v === "rolling" ? "auto" : ["auto", "template", "canary", "blue-green"].includes(v) ? v : undefined) },
      "detailed-exitcode": { type: "boolean", default: false },
    },
    async run([environment = ""], flags, context) {
      const { runPlan } = await import("../commands/plan.js");
      await runPlan(
        {
          environment,
          ...(flags.artifact !== undefined ? { artifact: String(flags.artifact) } : {}),
          ...(flags.strategy !== undefined ? { strategy: flags.strategy as StrategyChoice } : {}),
          detailedExitcode: flags.detailedExitcode === true,
        },
        context,
      );
    },
  },
  history: {
    environments: "one",
    flags: {
      artifact: { type: "string" },
      limit: { type: "string", default: 20, parse: (v) => (/^[1-9][0-9]{0,3}$/.test(v) && Number(v) <= MAX_HISTORY_LIMIT ? Number(v) : undefined) },
    },
    async run([environment = ""], flags, context) {
      const { runHistory } = await import("../commands/history.js");
      await runHistory({ environment, limit: Number(flags.limit), ...(flags.artifact ? { artifact: String(flags.artifact) } : {}) }, context);
    },
  },
};

/** The global flags (src/cli/program.ts); `--config` defaults to mdeploy.yml there too. */
const GLOBAL_FLAGS = { config: { type: "string" }, json: { type: "boolean" }, debug: { type: "boolean" } } as const;

/** A plain command line of one of the quick commands, parsed. */
export interface QuickRun {
  command: QuickCommand;
  environments: string[];
  /** The command's flags in camelCase, defaults filled in, as commander hands them to the action. */
  flags: Record<string, string | number | boolean>;
  /** `--config` (default mdeploy.yml). */
  config: string;
}

/** Parses `args` (the words after `mdeploy`) when they are a plain quick command; undefined sends them to commander. */
export function parseQuickCommand(args: readonly string[]): QuickRun | undefined {
  // Every quick command's flags at once (none takes a value in one and not in another), so
  // global flags may come first, their values included, as commander allows.
  const options: Record<string, { type: "string" | "boolean" }> = { ...GLOBAL_FLAGS };
  for (const command of Object.values(quickCommands)) for (const [flag, spec] of Object.entries(command.flags)) options[flag] = { type: spec.type };
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: [...args], options, strict: true, allowPositionals: true });
  } catch (error) {
    // An unknown or malformed flag: commander words it.
    if ((error as NodeJS.ErrnoException).code?.startsWith("ERR_PARSE_ARGS_")) return undefined;
    throw error;
  }
  const [name = "", ...environments] = parsed.positionals;
  const command = Object.hasOwn(quickCommands, name) ? quickCommands[name] : undefined;
  if (!command) return undefined;
  if (Object.keys(parsed.values).some((flag) => !Object.hasOwn(GLOBAL_FLAGS, flag) && !Object.hasOwn(command.flags, flag))) return undefined;
  const count = command.environments === "one" ? environments.length === 1 : environments.length >= 1;
  if (!count || environments.some((e) => environmentNameProblem(e) !== undefined)) return undefined;
  const flags: Record<string, string | number | boolean> = {};
  for (const [flag, spec] of Object.entries(command.flags)) {
    const given = parsed.values[flag];
    if (Array.isArray(given)) return undefined;
    let value: string | number | boolean | undefined = given ?? spec.default;
    if (typeof given === "string" && spec.parse) value = spec.parse(given);
    if (given !== undefined && value === undefined) return undefined;
    if (value !== undefined) flags[camelCase(flag)] = value;
  }
  const config = parsed.values.config;
  return { command, environments, flags, config: typeof config === "string" ? config : "mdeploy.yml" };
}

function camelCase(name: string): string {
  return name.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase());
}
