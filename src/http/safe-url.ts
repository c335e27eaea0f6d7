/**
 * URLs as they may be shown to people. Users put credentials into MARATHON_URL
 * (`https://user:pass@marathon:8443`), so every URL that reaches a message goes
 * through {@link displayUrl} first.
 */
import { ConfigError } from "../errors.js";

/** Returns the URL without user info, e.g. `https://marathon:8443/v2/apps/web`. */
export function displayUrl(url: string | URL): string {
  let parsed: URL;
  try {
    parsed = new URL(String(url));
  } catch {
    return hideUserInfo(String(url));
  }
  // "user:pass@host:8080" (no scheme) parses with "user:" as the scheme; strip by shape.
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") return hideUserInfo(String(url));
  parsed.username = "";
  parsed.password = "";
  return parsed.toString();
}

/** Removes a `user:pass@` part from URL-like text that does not parse as an http(s) URL. */
function hideUserInfo(text: string): string {
  return text.replace(/^([a-z][a-z0-9+.-]*:\/\/)?[^/\s]*@/i, "$1");
}

/** User info carried in a URL (`https://user:pass@host`), decoded, if any. */
export function credentialsInUrl(url: string): { username: string; password: string } | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  if (!parsed.username) return undefined;
  return { username: decodeUserInfo(parsed.username), password: decodeUserInfo(parsed.password) };
}

/**
 * Decodes the user or password part of a URL. A `%` that starts no valid escape
 * (`pass%word` typed as is) stays a literal `%`, as curl sends it, instead of making
 * decodeURIComponent throw and the command crash.
 */
export function decodeUserInfo(text: string): string {
  const decodeRun = (escapes: string): string => {
    try {
      return decodeURIComponent(escapes);
    } catch {
      // Not UTF-8 as a whole: decode escape by escape, keeping the stray bytes as written.
      return escapes.length > 3 ? escapes.replace(/%[0-9A-Fa-f]{2}/g, decodeRun) : escapes;
    }
  };
  return text.replace(/(?:%[0-9A-Fa-f]{2})+/g, decodeRun);
}

/**
 * The base URL with user info removed and no trailing slash, so paths can be appended.
 * Throws ConfigError (shown without credentials) for anything but an http(s) URL;
 * `what` names the setting, e.g. "MARATHON_URL".
 */
export function normalizeBaseUrl(url: string, what = "URL"): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigError(`${what} ${JSON.stringify(displayUrl(url))} is not a URL; expected http(s)://host:port`);
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    throw new ConfigError(`${what} ${JSON.stringify(displayUrl(url))} is not an http(s) URL; expected http(s)://host:port`);
  }
  parsed.username = "";
  parsed.password = "";
  parsed.search = "";
  parsed.hash = "";
  return parsed.toString().replace(/\/+$/, "");
}

/** Joins a base URL (possibly with a path prefix such as `/service/marathon`) and an API path. */
export function joinUrl(base: string, path: string): string {
  return `${base.replace(/\/+$/, "")}${path.startsWith("/") ? path : `/${path}`}`;
}
