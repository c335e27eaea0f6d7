/**
 * Which page of a GitLab listing comes next. GitLab sends a `Link` header with `rel="next"`
 * and, for offset pagination, `X-Next-Page`; some proxies and older instances drop `Link`
 * (GitLab omits it for large counts too), so `X-Next-Page` is the fallback. Pure.
 */

/** The `rel="next"` target of a Link header, or undefined. */
function linkNext(link: string | null | undefined): string | undefined {
  if (!link) return undefined;
  for (const part of link.split(",")) {
    const match = /^\s*<([^>]*)>\s*;(.*)$/.exec(part);
    if (match && /(?:^|;)\s*rel\s*=\s*"?(?:[^";]*\s)?next(?:\s[^";]*)?"?\s*(?:;|$)/i.test(match[2] ?? "")) return match[1];
  }
  return undefined;
}

/**
 * The next page's URL after `current`, undefined on the last page, or why the next page is
 * not asked for: a Link to another origin would take the API token along.
 */
export function nextPageUrl(current: URL, headers: { link?: string | null; xNextPage?: string | null }): URL | undefined | { refused: string } {
  const target = linkNext(headers.link);
  if (target !== undefined) {
    const next = URL.parse(target, current.href);
    if (!next) return { refused: `Link rel="next" is not a URL` };
    if (next.origin !== current.origin) return { refused: `Link rel="next" points to another origin (${next.origin})` };
    return next;
  }
  const page = headers.xNextPage?.trim();
  if (!page) return undefined;
  if (!/^\d+$/.test(page)) return { refused: `X-Next-Page is not a page number` };
  const next = new URL(current.href);
  next.searchParams.set("page", page);
  return next;
}
