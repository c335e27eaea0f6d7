import type { Command } from "commander";
import type { CliContext } from "./context.js";

export function registerZkCommands(program: Command, context: () => CliContext): void {
  void program;
  void context;
}
