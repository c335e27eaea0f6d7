import { Command } from "commander";
import type { CliContext, GlobalOptions } from "../core/ports/cli-context.js";
import { registerCommands } from "./commands.js";
import { addManualHelp, HELP_WIDTH } from "./help-text.js";

/**
 * Builds the commander program with every command registered. Kept apart from
 * the entry so the build can write the top-level help text once
 * (scripts/write-help.mjs) and `mdeploy --help` need not load commander.
 */
export function createProgram(version: string, globalOptions: GlobalOptions, context: () => CliContext): Command {
  const program = new Command("mdeploy")
    .description("Deploy from GitLab CI to Mesos/Marathon: rendered, capacity-aware, verified, rolled back on failure")
    .version(version, "-V, --version")
    .option("--config <file>", "configuration file", "mdeploy.yml")
    .option("--json", "print one JSON document on stdout, human text on stderr", false)
    .option("--debug", "print stack traces and HTTP details", false)
    .exitOverride()
    // Every help wraps at 80 columns, narrow description columns included (zk-id's long flags).
    .configureHelp({ helpWidth: HELP_WIDTH, minWidthToWrap: 20 })
    .configureOutput({
      writeOut: (text) => process.stdout.write(text),
      // Commander prints its own "error: ..." line; ours comes from the entry's catch.
      writeErr: (text) => {
        if (!text.startsWith("error:")) process.stderr.write(text);
      },
      outputError: () => undefined,
    });
  program.hook("preAction", (_root, action) => {
    const opts = action.optsWithGlobals() as { config?: string };
    globalOptions.config = opts.config;
  });
  registerCommands(program, context);
  addManualHelp(program);
  return program;
}

/**
 * `mdeploy staging` is `mdeploy deploy staging`: any first word that is not a
 * command or a flag is taken as an environment name (DESIGN.md).
 */
export function rewriteEnvironmentShorthand(argv: string[], program: Command): string[] {
  const first = argv[2];
  if (first === undefined || first.startsWith("-") || first === "help") return argv;
  const known = program.commands.some((c) => c.name() === first || c.aliases().includes(first));
  // A second bare word means a mistyped command ("mdeploy rendr staging"), not an environment:
  // let commander say "unknown command" rather than "too many arguments for deploy".
  const second = argv[3];
  const looksLikeShorthand = second === undefined || second.startsWith("-");
  return known || !looksLikeShorthand ? argv : [argv[0] ?? "node", argv[1] ?? "mdeploy", "deploy", ...argv.slice(2)];
}
