/**
 * `mdeploy runner-unregister`: removes this container's registration when it stops, the
 * right way for its token kind. A shared `glrt-` token is used by many containers, each a
 * manager told apart by its system_id: only this container's manager is removed, never the
 * runner (`DELETE /runners` with a shared token would unregister every container). A legacy
 * per-container token is its own runner, so that runner is removed.
 */
import type { CliContext } from "../core/ports/cli-context.js";
import { positiveFlag } from "../core/positive-number.js";
import { UsageError } from "../errors.js";
import { createRunnerTokenApi, type RunnerTokenApi, type UnregisterOutcome } from "../gitlab/gitlab-api.js";
import { isSharedRunnerToken, resolveRunnerSettings } from "../gitlab/runner-settings.js";

export interface RunnerUnregisterFlags {
  gitlabUrl?: string;
  runnerConfig?: string;
  systemId?: string;
  timeout: string;
}

/** What will be removed, decided from the token alone. */
export type UnregisterPlan = { kind: "manager"; systemId: string } | { kind: "runner" };

/** Picks the removal for a token kind; a shared token without a system_id is refused. */
function planUnregister(token: string, systemId: string | undefined): UnregisterPlan {
  if (!isSharedRunnerToken(token)) return { kind: "runner" };
  if (!systemId) {
    throw new UsageError(
      "a glrt- token is shared by every container of this runner: give this container's system_id (--system-id, GITLAB_RUNNER_SYSTEM_ID or .runner_system_id next to config.toml); refusing to unregister the whole runner",
    );
  }
  return { kind: "manager", systemId };
}

export interface UnregisterResult {
  plan: UnregisterPlan;
  outcome: UnregisterOutcome;
  message: string;
}

/** GitLab refusing the token itself means the runner is gone already: nothing to do, and the stop hook must not fail. */
const TOKEN_INVALID_MESSAGE = "GitLab no longer accepts this runner token (403): the runner was already deleted or its token revoked; nothing to unregister";

/** Carries out the plan with the runner's own token. */
async function unregisterRunner(plan: UnregisterPlan, token: string, api: RunnerTokenApi): Promise<UnregisterResult> {
  if (plan.kind === "manager") {
    const outcome = await api.removeManager(token, plan.systemId);
    const message =
      outcome === "removed"
        ? `unregistered manager ${plan.systemId}; the runner and its other containers stay registered`
        : outcome === "token-invalid"
          ? TOKEN_INVALID_MESSAGE
          : `manager ${plan.systemId} was not registered; nothing to remove`;
    return { plan, outcome, message };
  }
  const outcome = await api.removeRunnerByToken(token);
  const message =
    outcome === "removed"
      ? "unregistered the runner (legacy per-container token)"
      : outcome === "token-invalid"
        ? TOKEN_INVALID_MESSAGE
        : "the runner was not registered; nothing to remove";
  return { plan, outcome, message };
}

/** The command: exit 0 when removed or already gone (404, or the token refused by GitLab's API), 2 bad usage, 6 GitLab unreachable or failing. */
export async function runRunnerUnregister(flags: RunnerUnregisterFlags, context: CliContext): Promise<void> {
  const timeoutSeconds = positiveFlag("--timeout", flags.timeout, { unit: "seconds" });
  const settings = await resolveRunnerSettings(flags, context.env);
  for (const secret of settings.secrets) context.output.redactor.add(secret);
  if (!settings.gitlabUrl) throw new UsageError("no GitLab URL: pass --gitlab-url, set GITLAB_URL or CI_SERVER_URL, or point --runner-config at config.toml");
  if (!settings.runnerToken) throw new UsageError("no runner token: set GITLAB_RUNNER_TOKEN or point --runner-config at the runner's config.toml");
  if (settings.gitlabCredentials) throw new UsageError("the GitLab URL carries user info: runner-unregister authenticates with the runner token only; remove user:password@ from the URL");
  const plan = planUnregister(settings.runnerToken, settings.systemId);
  const api = createRunnerTokenApi({ url: settings.gitlabUrl, timeoutMs: timeoutSeconds * 1000 });
  const result = await unregisterRunner(plan, settings.runnerToken, api);
  context.output.result(result);
  context.output.info(result.message);
}
