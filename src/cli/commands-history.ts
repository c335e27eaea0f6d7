import { InvalidArgumentError, type Command } from "commander";
import type { CliContext } from "../core/ports/cli-context.js";
import { environmentName } from "./flag-checks.js";

/** The most versions `history` shows; Marathon stores 50 by default. */
const MAX_LIMIT = 1_000;

function limit(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > MAX_LIMIT) throw new InvalidArgumentError(`expected a whole number from 1 to ${MAX_LIMIT}`);
  return n;
}

/** `mdeploy history <env>`. */
export function registerHistoryCommand(program: Command, context: () => CliContext): void {
  program
    .command("history")
    .description("stored versions newest first: when, image, instances, pipeline/commit, whether it became healthy, which runs")
    .argument("<env>", "environment name from the config", environmentName)
    .option("--artifact <file>", "take the app id from this artifact instead of rendering")
    .option("--limit <n>", "show the newest N versions", limit, 20)
    .action(async (environment: string, opts: { artifact?: string; limit: number }) => {
      const { runHistory } = await import("../commands/history.js");
      await runHistory({ environment, limit: opts.limit, ...(opts.artifact ? { artifact: opts.artifact } : {}) }, context());
    });
}
