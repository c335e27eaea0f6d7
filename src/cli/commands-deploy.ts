import path from "node:path";
import { InvalidArgumentError, type Command } from "commander";
import type { StrategyChoice } from "../config/types.js";
import type { CliContext } from "../core/ports/cli-context.js";
import { environmentName, positiveNumber, timeoutSeconds } from "./flag-checks.js";

/** The demo's speed: how many simulated seconds pass per real second. */
const speedFactor = positiveNumber({ unit: "simulated seconds per real second" });

function onInterrupt(value: string): "rollback" | "leave" {
  if (value !== "rollback" && value !== "leave") throw new InvalidArgumentError('expected "rollback" or "leave"');
  return value;
}

function strategy(value: string): StrategyChoice {
  if (value === "rolling") return "auto";
  if (value !== "auto" && value !== "template" && value !== "canary" && value !== "blue-green") throw new InvalidArgumentError('expected "auto" (or "rolling"), "template", "canary" or "blue-green"');
  return value;
}

/** `--report FILE`, shared by deploy and rollback. */
const REPORT_FLAG = "--report <file>";
const REPORT_HELP = "write a self-contained HTML deployment report (default in CI: mdeploy-report.html; empty for none)";

/** `mdeploy plan`, `deploy` (and `mdeploy <env>`), `rollback`, `status`, `demo`. */
export function registerDeployCommands(program: Command, context: () => CliContext): void {
  program
    .command("plan")
    .description("diff against the running app, chosen upgradeStrategy, capacity verdict, predicted steps (exit 3 if it cannot finish)")
    .argument("<env>", "environment name from the config", environmentName)
    .option("--artifact <file>", "plan this rendered artifact instead of rendering")
    .option("--strategy <mode>", "auto (capacity-aware rolling), template (the template's own, checked), canary or blue-green (steps, gates and room from mdeploy.yml)", strategy)
    .option("--detailed-exitcode", "exit 0 when the running app equals the artifact, 8 when it differs (drift check)", false)
    .action(async (environment: string, opts: { artifact?: string; strategy?: StrategyChoice; detailedExitcode: boolean }) => {
      const { runPlan } = await import("../commands/plan.js");
      await runPlan({ environment, ...opts }, context());
    });

  program
    .command("deploy")
    .description("preflight, PUT, follow to a verified end, roll back on failure")
    .argument("<env>", "environment name from the config", environmentName)
    .option("--artifact <file>", "deploy this rendered artifact (marathon_app_<env>.json) instead of rendering")
    .option("--strategy <mode>", "auto (capacity-aware rolling, default), template (the template's own, checked), canary (steps and gates from mdeploy.yml) or blue-green (a second copy, then one switch)", strategy)
    .option("--timeout <seconds>", "deployment timeout (default: from the app's health checks)", timeoutSeconds)
    .option("--lock-timeout <seconds>", "how long to wait when another deployment holds the app", timeoutSeconds, 600)
    .option("--force", "cancel a deployment holding the app (Marathon ?force=true); never the default", false)
    .option("--skip-image-check", "a registry that cannot be reached is a warning, not a refusal (a missing tag is still refused)", false)
    .option("--no-image-check", "do not ask the registry at all (for clusters with no registry, such as mdeploy sim)")
    .option("--registry-ca <file>", "PEM file with the CA of a registry behind a private CA (or registries.<host>.caFile in mdeploy.yml)")
    .option(
      "--insecure-registry <host>",
      "ask this registry (host[:port]; repeat or comma-separate for more) like Docker's insecure-registries: HTTPS without certificate checks, then plain HTTP",
      (value: string, previous: string[] | undefined) => [...(previous ?? []), ...value.split(",").map((h) => h.trim()).filter((h) => h !== "")],
    )
    .option("--dotenv <file>", "dotenv report for GitLab (MDEPLOY_VERSION, ...); empty to skip", "deploy.env")
    .option("--url <url>", "MDEPLOY_URL in the report (default: CI_ENVIRONMENT_URL or the app's Traefik Host rule)")
    .option(REPORT_FLAG, REPORT_HELP)
    .option("--no-report", "write no HTML deployment report, even in CI")
    .option("--on-interrupt <action>", "on SIGINT/SIGTERM: rollback (cancel ours, restore the previous version; exit 1, or 5 if that did not finish) or leave (exit 5 naming the open deployment)", onInterrupt, "rollback")
    .option("--interrupt-grace <seconds>", "how long the rollback after a first SIGINT/SIGTERM may take; a second signal stops at once", timeoutSeconds, 20)
    .action(
      async (
        environment: string,
        opts: {
          artifact?: string;
          strategy?: StrategyChoice;
          timeout?: number;
          lockTimeout: number;
          force: boolean;
          skipImageCheck: boolean;
          imageCheck: boolean;
          registryCa?: string;
          insecureRegistry?: string[];
          dotenv: string;
          url?: string;
          report?: string | false;
          onInterrupt: "rollback" | "leave";
          interruptGrace: number;
        },
      ) => {
        const { runDeploy } = await import("../commands/deploy.js");
        await runDeploy(
          {
            environment,
            ...(opts.artifact ? { artifact: opts.artifact } : {}),
            ...(opts.strategy ? { strategy: opts.strategy } : {}),
            ...(opts.timeout !== undefined ? { timeoutSeconds: opts.timeout } : {}),
            lockTimeoutSeconds: opts.lockTimeout,
            force: opts.force,
            skipImageCheck: opts.skipImageCheck,
            imageCheck: opts.imageCheck,
            ...(opts.registryCa ? { registryCa: path.resolve(opts.registryCa) } : {}),
            ...(opts.insecureRegistry ? { insecureRegistries: opts.insecureRegistry } : {}),
            dotenv: opts.dotenv,
            ...(opts.url ? { url: opts.url } : {}),
            ...(opts.report !== undefined ? { report: opts.report } : {}),
            onInterrupt: opts.onInterrupt,
            interruptGraceSeconds: opts.interruptGrace,
          },
          context(),
        );
      },
    );

  program
    .command("rollback")
    .description("go back to the previous (or given) app version and wait for it")
    .argument("<env>", "environment name from the config", environmentName)
    .option("--to <version>", "the version to go back to (default: the one before the current configuration)")
    .option("--artifact <file>", "take the app id from this artifact instead of rendering")
    .option("--timeout <seconds>", "how long to wait for the rollback (default: from the app's health checks)", timeoutSeconds)
    .option("--force", "cancel a deployment holding the app", false)
    .option(REPORT_FLAG, REPORT_HELP)
    .option("--no-report", "write no HTML deployment report, even in CI")
    .option("--dotenv <file>", "dotenv report naming the restored version (MDEPLOY_RESTORED_VERSION, MDEPLOY_RESTORED_IMAGE)")
    .option("--interrupt-grace <seconds>", "how long the rollback may go on after a first SIGINT/SIGTERM; a second signal stops at once", timeoutSeconds, 20)
    .action(async (environment: string, opts: { to?: string; artifact?: string; timeout?: number; force: boolean; report?: string | false; dotenv?: string; interruptGrace: number }) => {
      const { runRollback } = await import("../commands/rollback.js");
      await runRollback(
        {
          environment,
          ...(opts.to ? { to: opts.to } : {}),
          ...(opts.artifact ? { artifact: opts.artifact } : {}),
          ...(opts.timeout ? { timeoutSeconds: opts.timeout } : {}),
          force: opts.force,
          ...(opts.report !== undefined ? { report: opts.report } : {}),
          ...(opts.dotenv ? { dotenv: opts.dotenv } : {}),
          interruptGraceSeconds: opts.interruptGrace,
        },
        context(),
      );
    });

  program
    .command("status")
    .description("app version, instances healthy/total, running deployment, queue reasons, last task failure")
    .argument("<env>", "environment name from the config", environmentName)
    .option("--artifact <file>", "take the app id from this artifact instead of rendering")
    .action(async (environment: string, opts: { artifact?: string }) => {
      const { runStatus } = await import("../commands/status.js");
      await runStatus({ environment, ...(opts.artifact ? { artifact: opts.artifact } : {}) }, context());
    });

  program
    .command("demo")
    .description("start the simulator and deploy, upgrade and roll back the example app on it (npm start)")
    .option("--speed <factor>", "simulated seconds per real second", speedFactor, 400)
    .option("--reports <dir>", "folder for the HTML deployment report of each act (default: a new folder under the system's temp folder)")
    .action(async (opts: { speed: number; reports?: string }) => {
      const { runDemo } = await import("../commands/demo.js");
      await runDemo({ speed: opts.speed, ...(opts.reports ? { reports: opts.reports } : {}) }, context());
    });
}
