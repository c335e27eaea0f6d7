/**
 * The GitLab base URL as the runner commands take it (`GITLAB_URL`, `CI_SERVER_URL`,
 * `--gitlab-url` or config.toml's `url`). A malformed one is bad input (exit 2), never a
 * check that is silently skipped. User info in it (`https://user:pass@gitlab`, for a proxy
 * in front of GitLab) is split off: requests carry it as a Basic Authorization header and
 * messages show the URL without it.
 */
import { UsageError } from "../errors.js";
import { decodeUserInfo, displayUrl } from "../http/safe-url.js";

export interface GitlabUrl {
  /** Without user info, query or trailing slash; API paths are appended to it. */
  base: string;
  /** Basic credentials that were in the URL, decoded. */
  credentials?: { username: string; password: string };
}

/** Parses `raw`; `source` names where it came from (`GITLAB_URL`, `--gitlab-url`, ...) for the error. */
export function parseGitlabUrl(raw: string, source: string): GitlabUrl {
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new UsageError(`${source} ${JSON.stringify(displayUrl(raw))} is not a URL; expected http(s)://host[:port][/prefix]`);
  }
  if ((parsed.protocol !== "http:" && parsed.protocol !== "https:") || parsed.hostname === "") {
    throw new UsageError(`${source} ${JSON.stringify(displayUrl(raw))} is not an http(s) URL; expected http(s)://host[:port][/prefix]`);
  }
  const credentials = parsed.username ? { username: decodeUserInfo(parsed.username), password: decodeUserInfo(parsed.password) } : undefined;
  parsed.username = "";
  parsed.password = "";
  parsed.search = "";
  parsed.hash = "";
  const base = parsed.toString().replace(/\/+$/, "");
  return credentials ? { base, credentials } : { base };
}

