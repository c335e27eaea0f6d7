/**
 * What turns `--help` into a manual: the top-level epilogue (the `mdeploy <env>`
 * shorthand, the main environment variables, the exit codes) and two or three
 * examples per command. Data, shared by the program and by the build's
 * dist/cli/help.txt (scripts/write-help.mjs).
 */
import type { Command } from "commander";

/** Help lines wrap here. */
export const HELP_WIDTH = 80;

/**
 * After the top-level command list.
 * @public scripts/write-help.mjs reads it from dist/, where knip cannot follow.
 */
export const TOP_LEVEL_EPILOGUE = `
mdeploy <env> is short for mdeploy deploy <env> (mdeploy staging).

Environment:
  MARATHON_URL        Marathon base URL; a comma list fails over
  MARATHON_USERNAME   Basic auth user (with MARATHON_PASSWORD)
  MARATHON_TOKEN      DC/OS ACS token instead of Basic auth
  MESOS_URL           Mesos master, for capacity-aware plans
  GITLAB_URL          GitLab (default CI_SERVER_URL), token in GITLAB_TOKEN
  CI_COMMIT_TAG, CI_COMMIT_SHA, CI_PIPELINE_URL, ...  seen by templates;
                      deploy stamps pipeline and commit labels from them

Exit codes:
  0  done, verified
  1  the deployment failed; the previous version is back and healthy
  2  bad input: usage, config, template, validation (nothing was sent)
  3  refused by preflight: capacity, image tag missing (nothing was sent)
  4  timed out; the previous version is back and healthy
  5  failed and the rollback did not finish: a person must look
  6  cannot reach or authenticate to Marathon, Mesos, GitLab or a registry
  7  zk-id: an ensemble exists without quorum; this server did not bootstrap
  8  plan --detailed-exitcode: the running app differs from the artifact

Examples:
  mdeploy render staging production
  mdeploy plan staging
  CI_COMMIT_TAG=1.1.0 mdeploy staging
`;

/** Two or three examples per command, shown at the end of its help. */
const COMMAND_EXAMPLES: Record<string, readonly string[]> = {
  render: ["mdeploy render staging production", "mdeploy render staging --out-dir artifacts"],
  plan: ["mdeploy plan staging", "mdeploy plan production --artifact marathon_app_production.json", "mdeploy plan production --detailed-exitcode   # 0 equal, 8 drifted"],
  deploy: ["mdeploy deploy staging", "mdeploy deploy production --artifact marathon_app_production.json", "mdeploy deploy staging --no-image-check   # against mdeploy sim"],
  rollback: ["mdeploy rollback staging", "mdeploy rollback staging --to 2026-01-01T00:23:23.938Z", "mdeploy history staging   # the versions --to takes"],
  status: ["mdeploy status staging", "mdeploy status production --json"],
  history: ["mdeploy history staging", "mdeploy history production --limit 5 --json"],
  demo: ["mdeploy demo", "mdeploy demo --speed 100"],
  sim: ["mdeploy sim --speed 20 &", "mdeploy sim --cluster cluster.yml --port 0"],
  "runner-health": ["mdeploy runner-health", "mdeploy runner-health --runner-config /etc/gitlab-runner/config.toml --strict"],
  "runner-unregister": ["mdeploy runner-unregister", "mdeploy runner-unregister --runner-config /etc/gitlab-runner/config.toml"],
  "runner-reap": ["mdeploy runner-reap --tag marathon", "mdeploy runner-reap --description-prefix marathon- --yes"],
  "registry-auth": ["mdeploy registry-auth", "mdeploy registry-auth --registry registry.gitlab.example.com:5050"],
  init: ["mdeploy init", "mdeploy init --env staging --env production --port 8080", "mdeploy init --image registry.example.com/team/app:1.0.0 --no-review"],
  stop: ["mdeploy stop review", "mdeploy stop review --timeout 120 --force"],
  "zk-id": ["mdeploy zk-id --peers zk1,zk2,zk3 --address zk1", "mdeploy zk-id --ec2-tag role=zookeeper --promote", "mdeploy zk-id --print-zk-url"],
};

/** The examples block for one command. */
export function examplesText(name: string): string {
  const examples = COMMAND_EXAMPLES[name] ?? [];
  return examples.length > 0 ? `\nExamples:\n${examples.map((e) => `  ${e}`).join("\n")}\n` : "";
}

/** Adds the epilogue and every command's examples, and wraps all help at HELP_WIDTH. */
export function addManualHelp(program: Command): void {
  program.addHelpText("after", TOP_LEVEL_EPILOGUE);
  for (const command of program.commands) {
    const text = examplesText(command.name());
    if (text) command.addHelpText("after", text);
  }
}
