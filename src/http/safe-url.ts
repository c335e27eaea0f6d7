/**
 * URLs as they may be shown to people. Users put credentials into MARATHON_URL
 * (`https://user:pass@marathon:8443`), so every URL that reaches a message goes
 * through {@link displayUrl} first.
 */

/** Returns the URL without user info, e.g. `https://marathon:8443/v2/apps/web`. */
export function displayUrl(url: string | URL): string {
  let parsed: URL;
  try {
    parsed = new URL(String(url));
  } catch {
    // Not a URL: strip anything that looks like `user:pass@` anyway.
    return String(url).replace(/\/\/[^/@\s]*@/, "//");
  }
  parsed.username = "";
  parsed.password = "";
  return parsed.toString();
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
  return { username: decodeURIComponent(parsed.username), password: decodeURIComponent(parsed.password) };
}

/** The base URL with user info removed and no trailing slash, so paths can be appended. */
export function normalizeBaseUrl(url: string): string {
  const parsed = new URL(url);
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
