/**
 * Where the runner commands get their settings: flags, then the environment, then
 * gitlab-runner's own files (config.toml and `.runner_system_id` next to it). Shared by
 * runner-health and runner-unregister; loads nothing heavy.
 */
import { readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { basicAuthSecrets } from "../core/redact.js";
import { UsageError } from "../errors.js";
import { parseGitlabUrl } from "./gitlab-url.js";
import { metricsUrlFromListenAddress, parseRunnerConfig, type RunnerConfig } from "./runner-config.js";

/** gitlab-runner's config file in its official image. */
const DEFAULT_RUNNER_CONFIG = "/etc/gitlab-runner/config.toml";
export const DEFAULT_METRICS_URL = "http://127.0.0.1:9252/metrics";

export interface RunnerSettingsFlags {
  gitlabUrl?: string;
  runnerConfig?: string;
  runnerId?: string;
  systemId?: string;
}

export interface RunnerSettings {
  /** GitLab's base URL without user info (see gitlab-url.ts). */
  gitlabUrl?: string;
  /** Basic credentials that were in the GitLab URL (a proxy's), sent as an Authorization header. */
  gitlabCredentials?: { username: string; password: string };
  /** A user/admin API token (`GITLAB_TOKEN`), for reading the runner's record. */
  apiToken?: string;
  runnerId?: string;
  /** The runner's own authentication token (`glrt-…` or legacy). */
  runnerToken?: string;
  systemId?: string;
  /** From config.toml's `listen_address`, when set there. */
  metricsUrl?: string;
  /** Every secret found, for the redactor. */
  secrets: string[];
}

async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    if ((error as { code?: unknown }).code === "ENOENT") return undefined;
    throw new UsageError(`cannot read ${path}: ${(error as Error).message}`);
  }
}

const nonEmpty = (value: string | undefined): string | undefined => (value && value.trim() !== "" ? value.trim() : undefined);

/**
 * Resolves the settings. An explicitly named config file must exist; the default one is
 * used only when present, so the commands also work outside the runner image.
 */
export async function resolveRunnerSettings(flags: RunnerSettingsFlags, env: NodeJS.ProcessEnv): Promise<RunnerSettings> {
  const configPath = flags.runnerConfig ?? nonEmpty(env.GITLAB_RUNNER_CONFIG) ?? DEFAULT_RUNNER_CONFIG;
  const explicit = flags.runnerConfig !== undefined || nonEmpty(env.GITLAB_RUNNER_CONFIG) !== undefined;
  const configText = await readOptional(configPath);
  if (configText === undefined && explicit) throw new UsageError(`runner config ${configPath} does not exist`);
  const config: RunnerConfig = configText === undefined ? { runners: [] } : parseRunnerConfig(configText);
  if (config.runners.length > 1) {
    throw new UsageError(`${configPath} has ${config.runners.length} [[runners]] entries; mdeploy expects one runner per container`);
  }
  const entry = config.runners[0];
  const systemIdText = configText === undefined ? undefined : await readOptional(join(dirname(configPath), ".runner_system_id"));

  const settings: RunnerSettings = { secrets: [] };
  const urlSources: [string, string | undefined][] = [
    ["--gitlab-url", flags.gitlabUrl],
    ["GITLAB_URL", env.GITLAB_URL],
    ["CI_SERVER_URL", env.CI_SERVER_URL],
    [`${configPath} url`, entry?.url],
  ];
  const urlSource = urlSources.find(([, value]) => nonEmpty(value) !== undefined);
  const gitlab = urlSource ? parseGitlabUrl(nonEmpty(urlSource[1]) as string, urlSource[0]) : undefined;
  if (gitlab) settings.gitlabUrl = gitlab.base;
  if (gitlab?.credentials) settings.gitlabCredentials = gitlab.credentials;
  const apiToken = nonEmpty(env.GITLAB_TOKEN);
  if (apiToken) settings.apiToken = apiToken;
  const runnerId = nonEmpty(flags.runnerId) ?? nonEmpty(env.GITLAB_RUNNER_ID) ?? (entry?.id !== undefined ? String(entry.id) : undefined);
  if (runnerId) {
    if (!/^\d+$/.test(runnerId)) throw new UsageError(`runner id must be a number, got "${runnerId}"`);
    settings.runnerId = runnerId;
  }
  const runnerToken = nonEmpty(env.GITLAB_RUNNER_TOKEN) ?? nonEmpty(entry?.token);
  if (runnerToken) settings.runnerToken = runnerToken;
  const systemId = nonEmpty(flags.systemId) ?? nonEmpty(env.GITLAB_RUNNER_SYSTEM_ID) ?? nonEmpty(systemIdText);
  if (systemId) settings.systemId = systemId;
  if (config.listenAddress) {
    const metricsUrl = metricsUrlFromListenAddress(config.listenAddress);
    if (metricsUrl) settings.metricsUrl = metricsUrl;
  }
  settings.secrets = [apiToken, runnerToken].filter((s): s is string => s !== undefined);
  if (gitlab?.credentials) settings.secrets.push(...basicAuthSecrets(gitlab.credentials.username, gitlab.credentials.password));
  return settings;
}

/**
 * Whether a runner token is shared by many containers. `glrt-` tokens come from the
 * runner creation workflow (GitLab 15.10+) and are meant to be shared, each container being
 * one manager told apart by its system_id; older tokens belong to one registration.
 */
export function isSharedRunnerToken(token: string): boolean {
  return token.startsWith("glrt-");
}
