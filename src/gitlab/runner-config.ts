/**
 * Reads what mdeploy needs from gitlab-runner's `config.toml`: `listen_address` and, per
 * `[[runners]]` entry, `id`, `url` and `token`. Only that flat subset of TOML is understood
 * (`key = "string"` and `key = 123` lines), which is all `gitlab-runner register` writes for
 * those keys; pulling in a TOML library would cost every health check its load time. Pure.
 */

/** One `[[runners]]` entry. */
export interface RunnerConfigEntry {
  name?: string;
  id?: number;
  url?: string;
  token?: string;
}

/** The parts of config.toml mdeploy uses. */
export interface RunnerConfig {
  listenAddress?: string;
  runners: RunnerConfigEntry[];
}

const KEY_VALUE = /^([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|'([^']*)'|(-?\d+))\s*(?:#.*)?$/;

/** Parses config.toml text. */
export function parseRunnerConfig(text: string): RunnerConfig {
  const config: RunnerConfig = { runners: [] };
  // "top", a [[runners]] entry, or any other table (whose keys are ignored).
  let section: "top" | "runner" | "other" = "top";
  let current: RunnerConfigEntry | undefined;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    if (line.startsWith("[")) {
      if (line === "[[runners]]") {
        current = {};
        config.runners.push(current);
        section = "runner";
      } else {
        section = "other";
      }
      continue;
    }
    const match = KEY_VALUE.exec(line);
    if (!match) continue;
    const key = match[1];
    const text = match[2] !== undefined ? match[2].replace(/\\(.)/g, "$1") : match[3];
    const number = match[4] !== undefined ? Number(match[4]) : undefined;
    if (section === "top" && key === "listen_address" && text !== undefined) config.listenAddress = text;
    if (section === "runner" && current) {
      if (key === "id" && number !== undefined) current.id = number;
      if ((key === "url" || key === "token" || key === "name") && text !== undefined) current[key] = text;
    }
  }
  return config;
}

/**
 * The metrics URL for a `listen_address` such as `:9252`, `0.0.0.0:9252` or `[::]:9252`:
 * a wildcard host means "every interface", so the check asks loopback.
 */
export function metricsUrlFromListenAddress(listenAddress: string): string | undefined {
  const match = /^(?:\[([^\]]*)\]|([^:]*)):(\d+)$/.exec(listenAddress.trim());
  if (!match) return undefined;
  const host = match[1] ?? match[2] ?? "";
  const wildcard = host === "" || host === "0.0.0.0" || host === "::";
  const shown = wildcard ? "127.0.0.1" : host.includes(":") ? `[${host}]` : host;
  return `http://${shown}:${match[3]}/metrics`;
}
