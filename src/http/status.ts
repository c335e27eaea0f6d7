/** Small readings of HTTP answers shared by the adapters. */

/** A redirect that carries a Location to follow. */
export function isRedirect(status: number): boolean {
  return status === 301 || status === 302 || status === 303 || status === 307 || status === 308;
}

/**
 * The first line of a plain-text error body, or "" when it says nothing the
 * status line does not (empty, an HTML error page from Jetty or a proxy, a dump).
 */
export function briefErrorText(body: string): string {
  const text = body.trim();
  if (!text || text.startsWith("<") || text.length > 300) return "";
  return text.split("\n")[0] ?? "";
}
