import type { Command } from "commander";
import type { CliContext } from "../core/ports/cli-context.js";
import { registryHost } from "./flag-checks.js";
import { commanderFlag, runnerHealthFlags } from "./runner-health-flags.js";

/**
 * GitLab runner and registry commands. Implementations are imported inside each action, so
 * `mdeploy runner-health` (run on every runner every interval) loads only its own module.
 */
export function registerGitlabCommands(program: Command, context: () => CliContext): void {
  const runnerHealth = program
    .command("runner-health")
    .description("Marathon COMMAND health check for a GitLab runner container (exit 0 healthy, 1 unhealthy)");
  for (const spec of runnerHealthFlags) runnerHealth.option(commanderFlag(spec), spec.description, spec.default);
  runnerHealth
    .action(async (opts: import("../commands/runner-health.js").RunnerHealthFlags) => {
      const { runRunnerHealth } = await import("../commands/runner-health.js");
      await runRunnerHealth(opts, context());
    });

  program
    .command("runner-unregister")
    .description("remove this runner container's registration (run it on stop): a glrt- token's manager only, or a legacy token's runner")
    .option("--gitlab-url <url>", "GitLab base URL (default GITLAB_URL, CI_SERVER_URL, or config.toml)")
    .option("--runner-config <file>", "gitlab-runner config.toml holding the runner token (default /etc/gitlab-runner/config.toml when present)")
    .option("--system-id <id>", "this container's system_id (default GITLAB_RUNNER_SYSTEM_ID or .runner_system_id)")
    .option("--timeout <seconds>", "give up after this long (keep below Marathon's taskKillGracePeriodSeconds)", "10")
    .action(async (opts: import("../commands/runner-unregister.js").RunnerUnregisterFlags) => {
      const { runRunnerUnregister } = await import("../commands/runner-unregister.js");
      await runRunnerUnregister(opts, context());
    });

  program
    .command("runner-reap")
    .description("remove runners GitLab has not heard from that match a filter (dry run unless --yes)")
    .option("--gitlab-url <url>", "GitLab base URL (default GITLAB_URL or CI_SERVER_URL)")
    .option("--scope <scope>", "instance (admin), owned, group or project (default instance, or as --group/--project imply)")
    .option("--group <id>", "group id or path (group scope)")
    .option("--project <id>", "project id or path (project scope)")
    .option("--status <status>", "stale (no contact for 7 days) or offline (2 hours; includes stale)", "stale")
    .option("--tag <tags...>", "only runners with every one of these tags (comma or space separated)")
    .option("--description-prefix <prefix>", "only runners whose description starts with this")
    .option("--yes", "really remove them (default: print what would be removed)", false)
    .option("--timeout <seconds>", "per request", "30")
    .action(async (opts: import("../commands/runner-reap.js").RunnerReapFlags) => {
      const { runRunnerReap } = await import("../commands/runner-reap.js");
      await runRunnerReap(opts, context());
    });

  program
    .command("registry-auth")
    .description("write docker.tar.gz holding .docker/config.json from a read_registry deploy token, for Marathon to fetch")
    .option("--registry <host>", "registry host[:port] (default CI_REGISTRY)", registryHost)
    .option("--username <name>", "deploy token user name (default MDEPLOY_REGISTRY_USER or CI_DEPLOY_USER); the password comes from MDEPLOY_REGISTRY_PASSWORD or CI_DEPLOY_PASSWORD")
    .option("--out <file>", "archive to write", "docker.tar.gz")
    .option("--verify-image <image>", "first check the credentials can see this image")
    .option("--timeout <seconds>", "for --verify-image", "30")
    .option("--registry-ca <file>", "PEM file with the registry's CA, for --verify-image")
    .action(async (opts: import("../commands/registry-auth.js").RegistryAuthFlags) => {
      const { runRegistryAuth } = await import("../commands/registry-auth.js");
      await runRegistryAuth(opts, context());
    });
}
