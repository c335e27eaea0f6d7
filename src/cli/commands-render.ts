import type { Command } from "commander";
import type { CliContext } from "../core/ports/cli-context.js";
import { environmentNames } from "./flag-checks.js";

/** `mdeploy render <env...> [--out-dir DIR]` (global --config, --json apply). */
export function registerRenderCommands(program: Command, context: () => CliContext): void {
  program
    .command("render")
    .description("write marathon_app_<env>.json for each environment (validated; nothing is written if any fails)")
    .argument("<env...>", "environment names from the config", environmentNames)
    .option("--out-dir <dir>", "where to write the artifacts (created when missing)", ".")
    .action(async (envs: string[], opts: { outDir: string }) => {
      const { runRender } = await import("../commands/render.js");
      await runRender({ environments: envs, outDir: opts.outDir }, context());
    });
}
