import { InvalidArgumentError, type Command } from "commander";
import type { CliContext } from "../core/ports/cli-context.js";
import { positiveNumber } from "./flag-checks.js";

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new InvalidArgumentError("expected a port between 1 and 65535");
  return n;
}

const collect = (value: string, previous: string[]) => [...previous, value];

/** `mdeploy init` (scaffold a project) and `mdeploy stop` (remove an environment's app). */
export function registerProjectCommands(program: Command, context: () => CliContext): void {
  program
    .command("init")
    .description("scaffold mdeploy.yml, an app template, per-environment values and a .gitlab-ci.yml (never overwrites)")
    .option("--env <name>", "an environment, in deploy order; repeat for more (default: staging, production)", collect, [])
    .option("--name <name>", "the app's name (default: the directory's name)")
    .option("--image <image>", "image for renders outside CI, repository[:tag] (CI deploys $CI_REGISTRY_IMAGE:<tag or commit>)")
    .option("--port <port>", "the port the container listens on", port, 8080)
    .option("--mem <MB>", "memory per instance in MB", positiveNumber({ unit: "MB" }), 256)
    .option("--cpus <n>", "CPUs per instance", positiveNumber({ unit: "CPUs" }), 0.25)
    .option("--health-path <path>", "HTTP path of the health check", "/")
    .option("--no-review", "no review apps (no review environment, no review component)")
    .option("--component-project <path>", "host/project of the mdeploy CI/CD components", "$CI_SERVER_FQDN/mdeploy/mdeploy")
    .option("--component-version <ref>", "component version (default: this mdeploy's version)")
    .action(
      async (opts: { env: string[]; name?: string; image?: string; port: number; mem: number; cpus: number; healthPath: string; review: boolean; componentProject: string; componentVersion?: string }) => {
        const { runInit } = await import("../commands/init.js");
        await runInit(
          {
            environments: opts.env,
            ...(opts.name ? { name: opts.name } : {}),
            ...(opts.image ? { image: opts.image } : {}),
            port: opts.port,
            mem: opts.mem,
            cpus: opts.cpus,
            healthPath: opts.healthPath,
            review: opts.review,
            componentProject: opts.componentProject,
            ...(opts.componentVersion ? { componentVersion: opts.componentVersion } : {}),
          },
          context(),
        );
      },
    );

  program
    .command("stop")
    .description("remove the environment's app and wait until its tasks are gone (review apps' on_stop)")
    .argument("<env>", "environment name from the config")
    .option("--artifact <file>", "take the app id from this artifact instead of rendering")
    .option("--timeout <seconds>", "how long to wait for the tasks to be gone", positiveNumber({ unit: "seconds" }), 300)
    .option("--force", "cancel a deployment holding the app", false)
    .action(async (environment: string, opts: { artifact?: string; timeout: number; force: boolean }) => {
      const { runStop } = await import("../commands/stop.js");
      await runStop({ environment, ...(opts.artifact ? { artifact: opts.artifact } : {}), timeoutSeconds: opts.timeout, force: opts.force }, context());
    });
}
