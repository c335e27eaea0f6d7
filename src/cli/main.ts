#!/usr/bin/env node
/**
 * The mdeploy command line: parses flags, wires adapters, and holds the one
 * `catch` that turns typed errors into exit codes (DESIGN.md, "Exit codes").
 * Command modules are imported lazily so a health check loads only what it runs.
 */
import { Command, CommanderError } from "commander";
import { createRequire } from "node:module";
import type { CliContext, GlobalOptions } from "./context.js";
import { createOutput, type Output } from "./output.js";
import { registerCommands } from "./commands.js";

const require = createRequire(import.meta.url);
const { version } = require("../../package.json") as { version: string };

async function main(argv: string[]): Promise<number> {
  const globalOptions: GlobalOptions = {
    json: argv.includes("--json"),
    debug: argv.includes("--debug"),
  };
  const output: Output = createOutput({ json: globalOptions.json });
  let context: CliContext | undefined;
  try {
    const program = new Command("mdeploy")
      .description("Deploy from GitLab CI to Mesos/Marathon: rendered, capacity-aware, verified, rolled back on failure")
      .version(version, "-V, --version")
      .option("--config <file>", "configuration file", "mdeploy.yml")
      .option("--json", "print one JSON document on stdout, human text on stderr", false)
      .option("--debug", "print stack traces and HTTP details", false)
      .exitOverride()
      .configureOutput({
        writeOut: (text) => process.stdout.write(text),
        // Commander prints its own "error: ..." line; ours comes from the catch below.
        writeErr: (text) => {
          if (!text.startsWith("error:")) process.stderr.write(text);
        },
        outputError: () => undefined,
      });
    program.hook("preAction", (_root, action) => {
      const opts = action.optsWithGlobals() as { config?: string; json?: boolean; debug?: boolean };
      globalOptions.config = opts.config;
    });
    context = { output, env: process.env, cwd: process.cwd(), global: globalOptions };
    const ctx = context;
    registerCommands(program, () => ctx);
    await program.parseAsync(rewriteEnvironmentShorthand(argv, program), { from: "node" });
    return 0;
  } catch (error) {
    return report(error, output, globalOptions.debug);
  }
}

/**
 * `mdeploy staging` is `mdeploy deploy staging`: any first word that is not a
 * command or a flag is taken as an environment name (DESIGN.md).
 */
function rewriteEnvironmentShorthand(argv: string[], program: Command): string[] {
  const first = argv[2];
  if (first === undefined || first.startsWith("-") || first === "help") return argv;
  const known = program.commands.some((c) => c.name() === first || c.aliases().includes(first));
  return known ? argv : [argv[0] ?? "node", argv[1] ?? "mdeploy", "deploy", ...argv.slice(2)];
}

/** The one catch: map an error to its exit code and one clear message. */
function report(error: unknown, output: Output, debug: boolean): number {
  if (error instanceof CommanderError) {
    if (error.code === "commander.helpDisplayed" || error.code === "commander.version" || error.code === "commander.help") return 0;
    output.error(`mdeploy: ${error.message.replace(/^error:\s*/, "")} (see mdeploy --help)`);
    return 2;
  }
  if (isMdeployError(error)) {
    if (error.message) output.error(`mdeploy: ${error.message}`);
    for (const line of error.details) output.error(`  ${line}`);
    if (debug && error.stack) output.error(error.stack);
    return error.exitCode;
  }
  // Not one of ours: an internal error, so the stack is the useful part.
  const err = error instanceof Error ? error : new Error(String(error));
  output.error(`mdeploy: internal error: ${err.message}`);
  output.error(err.stack ?? "");
  output.error("This is a bug in mdeploy; please report it with the output above.");
  return 70;
}

function isMdeployError(error: unknown): error is Error & { exitCode: number; details: readonly string[] } {
  return error instanceof Error && typeof (error as { exitCode?: unknown }).exitCode === "number" && Array.isArray((error as { details?: unknown }).details);
}

// Exit explicitly: a lingering keep-alive socket or timer must not keep a CI job waiting.
main(process.argv).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`mdeploy: internal error: ${String(error)}\n`);
    process.exit(70);
  },
);
