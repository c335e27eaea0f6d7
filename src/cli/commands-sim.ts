import type { Command } from "commander";
import type { CliContext } from "../core/ports/cli-context.js";

export function registerSimCommands(program: Command, context: () => CliContext): void {
  program
    .command("sim")
    .description("run the Marathon + Mesos simulator until interrupted")
    .option("--cluster <file>", "cluster file (YAML); default: the built-in svc/staging/production cluster")
    .option("--port <port>", "Marathon port", "8080")
    .option("--mesos-port <port>", "Mesos master port", "5050")
    .option("--speed <n>", "simulated seconds per real second", "1")
    .option("--seed <n>", "seed for ids (same seed, same run)", "1")
    .option("--host <address>", "interface to listen on", "127.0.0.1")
    .action(async (opts: { cluster?: string; port: string; mesosPort: string; speed: string; seed: string; host: string }) => {
      const { runSim } = await import("../commands/sim.js");
      await runSim(opts, context());
    });
}
