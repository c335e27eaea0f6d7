/**
 * `mdeploy runner-reap`: removes runners GitLab has not heard from, but only those matching
 * the filter (status, tags, description prefix), so other teams' runners are safe. A dry
 * run by default: it prints what it would remove; `--yes` removes and reports each result.
 */
import type { CliContext } from "../core/ports/cli-context.js";
import { positiveFlag } from "../core/positive-number.js";
import { ExitWithCode, UsageError, type ExitCode } from "../errors.js";
import { createGitlabRunnersApi, type GitlabRunnersApi, type RunnerScope } from "../gitlab/gitlab-api.js";
import { parseGitlabUrl } from "../gitlab/gitlab-url.js";
import { describeRunner, preselectRunners, reasonToKeep, type ReapFilter } from "../gitlab/reap-selection.js";
import type { RunnerDetails } from "../gitlab/types.js";

export interface RunnerReapFlags {
  gitlabUrl?: string;
  scope?: string;
  group?: string;
  project?: string;
  status: string;
  tag?: string[];
  descriptionPrefix?: string;
  yes?: boolean;
  timeout: string;
}

export interface ReapOptions {
  scope: RunnerScope;
  filter: ReapFilter;
  apply: boolean;
  /** Now, for statuses (`paused`, 14.x `active`) whose contact state comes from `contacted_at`. */
  nowMs: number;
}

export interface ReapEntry {
  id: number;
  description: string | null;
  line: string;
  outcome: "would-remove" | "removed" | "failed" | "kept";
  /** Why kept, or why the removal failed. */
  detail?: string;
  exitCode?: ExitCode;
}

export interface ReapReport {
  dryRun: boolean;
  entries: ReapEntry[];
}

/** Lists (all pages), re-checks each candidate's full record, and removes the matching ones when `apply`. */
async function reapRunners(options: ReapOptions, api: GitlabRunnersApi, onEntry: (entry: ReapEntry) => void = () => undefined): Promise<ReapReport> {
  const rows = await api.listRunners(options.scope, { status: options.filter.status, tags: options.filter.tags });
  const entries: ReapEntry[] = [];
  const record = (entry: ReapEntry) => {
    entries.push(entry);
    onEntry(entry);
  };
  for (const row of preselectRunners(rows, options.filter, options.nowMs)) {
    // The list row has no tags, and the runner may have come back since the listing.
    const runner: RunnerDetails = await api.showRunner(row.id);
    const keep = reasonToKeep(runner, options.filter, options.nowMs);
    const line = describeRunner(runner);
    if (keep !== undefined) {
      record({ id: runner.id, description: runner.description, line, outcome: "kept", detail: keep });
      continue;
    }
    if (!options.apply) {
      record({ id: runner.id, description: runner.description, line, outcome: "would-remove" });
      continue;
    }
    try {
      await api.removeRunner(runner.id);
      record({ id: runner.id, description: runner.description, line, outcome: "removed" });
    } catch (error) {
      const exitCode = (error as { exitCode?: ExitCode }).exitCode ?? 6;
      record({ id: runner.id, description: runner.description, line, outcome: "failed", detail: error instanceof Error ? error.message : String(error), exitCode });
    }
  }
  return { dryRun: !options.apply, entries };
}

function parseScope(flags: RunnerReapFlags): RunnerScope {
  const scope = flags.scope ?? (flags.group ? "group" : flags.project ? "project" : "instance");
  switch (scope) {
    case "instance":
    case "owned":
      if (flags.group || flags.project) throw new UsageError(`--scope ${scope} does not take --group or --project`);
      return { kind: scope };
    case "group":
      if (!flags.group) throw new UsageError("--scope group needs --group <id or path>");
      return { kind: "group", groupId: flags.group };
    case "project":
      if (!flags.project) throw new UsageError("--scope project needs --project <id or path>");
      return { kind: "project", projectId: flags.project };
    default:
      throw new UsageError(`--scope must be instance, owned, group or project, got "${scope}"`);
  }
}

function parseFilter(flags: RunnerReapFlags): ReapFilter {
  if (flags.status !== "stale" && flags.status !== "offline") throw new UsageError(`--status must be stale or offline, got "${flags.status}"`);
  const tags = (flags.tag ?? []).flatMap((t) => t.split(",")).map((t) => t.trim()).filter((t) => t !== "");
  const descriptionPrefix = flags.descriptionPrefix?.trim() || undefined;
  if (tags.length === 0 && descriptionPrefix === undefined) {
    throw new UsageError("give --tag or --description-prefix (or both), so runners that are not yours are never touched");
  }
  return { status: flags.status, tags, ...(descriptionPrefix !== undefined ? { descriptionPrefix } : {}) };
}

/** The command: dry run unless --yes; exit 0 when every removal succeeded, else the failing call's exit code. */
export async function runRunnerReap(flags: RunnerReapFlags, context: CliContext): Promise<void> {
  const scope = parseScope(flags);
  const filter = parseFilter(flags);
  const timeoutSeconds = positiveFlag("--timeout", flags.timeout, { unit: "seconds" });
  const [urlSource, rawUrl] = flags.gitlabUrl ? ["--gitlab-url", flags.gitlabUrl] : context.env.GITLAB_URL ? ["GITLAB_URL", context.env.GITLAB_URL] : ["CI_SERVER_URL", context.env.CI_SERVER_URL];
  if (!rawUrl) throw new UsageError("no GitLab URL: pass --gitlab-url or set GITLAB_URL or CI_SERVER_URL");
  const gitlab = parseGitlabUrl(rawUrl, urlSource);
  if (gitlab.credentials) {
    context.output.redactor.add(gitlab.credentials.password);
    throw new UsageError(`${urlSource} carries user info: runner-reap authenticates with GITLAB_TOKEN only; remove user:password@ from the URL`);
  }
  const token = context.env.GITLAB_TOKEN;
  if (!token) throw new UsageError("GITLAB_TOKEN is not set: reaping needs an API token allowed to delete the runners in scope");
  context.output.redactor.add(token);

  const api = createGitlabRunnersApi({ url: gitlab.base, token, timeoutMs: timeoutSeconds * 1000 });
  const apply = flags.yes === true;
  const report = await reapRunners({ scope, filter, apply, nowMs: Date.now() }, api, (entry) => {
    if (entry.outcome === "kept") context.output.info(`kept ${entry.line}: ${entry.detail}`);
    else if (entry.outcome === "would-remove") context.output.info(`would remove ${entry.line}`);
    else if (entry.outcome === "removed") context.output.info(`removed ${entry.line}`);
    else context.output.error(`failed to remove ${entry.line}: ${entry.detail}`);
  });
  context.output.result(report);
  const count = (outcome: ReapEntry["outcome"]) => report.entries.filter((e) => e.outcome === outcome).length;
  const failed = report.entries.filter((e) => e.outcome === "failed");
  if (!apply) {
    const matched = count("would-remove");
    context.output.info(matched === 0 ? "dry run: no runner matches the filter" : `dry run: ${matched} runner(s) match; run again with --yes to remove them`);
    return;
  }
  if (failed.length > 0) {
    throw new ExitWithCode(failed[0]?.exitCode ?? 6, `removed ${count("removed")} runner(s); ${failed.length} removal(s) failed`);
  }
  context.output.info(`removed ${count("removed")} runner(s)`);
}
