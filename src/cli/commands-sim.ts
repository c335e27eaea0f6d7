import type { Command } from "commander";
import type { CliContext } from "./context.js";

export function registerSimCommands(program: Command, context: () => CliContext): void {
  void program;
  void context;
}
