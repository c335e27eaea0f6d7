import type { Command } from "commander";
import type { CliContext } from "./context.js";
import { registerRenderCommands } from "./commands-render.js";

/**
 * Registers every command. Each area keeps its flags in its own file and
 * imports its implementation lazily inside the action.
 */
export function registerCommands(program: Command, context: () => CliContext): void {
  registerRenderCommands(program, context);
}
