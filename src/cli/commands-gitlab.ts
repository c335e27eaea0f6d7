import type { Command } from "commander";
import type { CliContext } from "./context.js";

/**
 * GitLab runner and registry commands. Implementations are imported inside each action, so
 * `mdeploy runner-health` (run on every runner every interval) loads only its own module.
 */
export function registerGitlabCommands(program: Command, context: () => CliContext): void {
  program
    .command("runner-health")
    .description("Marathon COMMAND health check for a GitLab runner container (exit 0 healthy, 1 unhealthy)")
    .option("--gitlab-url <url>", "GitLab base URL (default GITLAB_URL, CI_SERVER_URL, or config.toml)")
    .option("--runner-config <file>", "gitlab-runner config.toml (default /etc/gitlab-runner/config.toml when present)")
    .option("--runner-id <id>", "runner id to look up with GITLAB_TOKEN (default GITLAB_RUNNER_ID or config.toml id)")
    .option("--system-id <id>", "this container's system_id (default GITLAB_RUNNER_SYSTEM_ID or .runner_system_id)")
    .option("--metrics-url <url>", "runner metrics endpoint (default from listen_address, else http://127.0.0.1:9252/metrics)")
    .option("--no-metrics", "do not check the runner process")
    .option("--timeout <seconds>", "answer within this time (keep below Marathon's timeoutSeconds)", "5")
    .option("--grace <seconds>", "start-up grace for a runner GitLab has not heard from yet", "300")
    .option("--strict", "count GitLab unreachable as unhealthy", false)
    .option("--state-file <file>", "where to keep job-request counters between checks (default in the temp dir)")
    .action(async (opts: import("../commands/runner-health.js").RunnerHealthFlags) => {
      const { runRunnerHealth } = await import("../commands/runner-health.js");
      await runRunnerHealth(opts, context());
    });
}
