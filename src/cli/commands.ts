import type { Command } from "commander";
import type { CliContext } from "../core/ports/cli-context.js";
import { registerRenderCommands } from "./commands-render.js";
import { registerDeployCommands } from "./commands-deploy.js";
import { registerSimCommands } from "./commands-sim.js";
import { registerGitlabCommands } from "./commands-gitlab.js";
import { registerZkCommands } from "./commands-zk.js";
import { registerHistoryCommand } from "./commands-history.js";
import { registerProjectCommands } from "./commands-project.js";

/**
 * Registers every command. Each area keeps its flags in its own file and
 * imports its implementation lazily inside the action.
 */
export function registerCommands(program: Command, context: () => CliContext): void {
  registerRenderCommands(program, context);
  registerDeployCommands(program, context);
  registerSimCommands(program, context);
  registerGitlabCommands(program, context);
  registerZkCommands(program, context);
  registerHistoryCommand(program, context);
  registerProjectCommands(program, context);
}
