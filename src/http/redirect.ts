/**
 * One rule for 3xx answers, shared by the Marathon and Mesos adapters: a GET is
 * followed once; anything else (a write, a second redirect) is named with its
 * target and not followed. Credentials go along only where they already went (the
 * same origin) or to a leader on the same path (a Mesos standby's redirect to the
 * leading master), and never from https to plain http.
 */
import { UnreachableError } from "../errors.js";
import { describeAttempts } from "./failover.js";
import { displayUrl } from "./safe-url.js";
import { redirectMessage } from "./service-identity.js";
import { isRedirect } from "./status.js";
import type { HttpResponse, HttpTransport } from "./transport.js";

/** Whether headers carrying credentials may be sent from `from` to `to`. */
export function credentialsMayFollow(from: URL, to: URL): boolean {
  if (from.protocol === "https:" && to.protocol !== "https:") return false;
  return to.origin === from.origin || to.pathname === from.pathname;
}

/** Where a Location points, resolved against the URL that answered; undefined unless it is an http(s) URL. */
export function redirectTarget(location: string, from: string): URL | undefined {
  const target = URL.parse(location, from);
  return target && (target.protocol === "http:" || target.protocol === "https:") ? target : undefined;
}

/**
 * The answer to use: `response` itself unless it is a redirect. A GET's redirect is
 * followed once (credentials per {@link credentialsMayFollow}); a write's, or a second
 * one, is an UnreachableError naming where it pointed, with `hint` as its detail.
 */
export async function followRedirectOnce(
  transport: HttpTransport,
  /** `maxBytes`: the cap the first request had, so a redirect does not change what answer size is accepted. */
  request: { method: string; headers: Record<string, string>; signal?: AbortSignal; maxBytes?: number },
  response: HttpResponse,
  hint: string,
): Promise<HttpResponse> {
  if (!isRedirect(response.status) || response.status === 304) return response;
  const named = () => new UnreachableError(redirectMessage(request.method, displayUrl(response.url), response), [hint]);
  const location = response.headers.location;
  if (request.method.toUpperCase() !== "GET" || !location) throw named();
  const target = redirectTarget(location, response.url);
  if (!target) throw named();
  const headers = credentialsMayFollow(new URL(response.url), target) ? request.headers : withoutCredentials(request.headers);
  let followed: HttpResponse;
  try {
    followed = await transport.request({ method: "GET", url: target.href, headers, ...(request.signal ? { signal: request.signal } : {}), ...(request.maxBytes ? { maxBytes: request.maxBytes } : {}) });
  } catch (error) {
    const reason = describeAttempts(error);
    if (reason === undefined) throw error;
    throw new UnreachableError(`${redirectMessage("GET", displayUrl(response.url), response)}, which gave no answer: ${reason}`, [hint]);
  }
  if (isRedirect(followed.status)) {
    throw new UnreachableError(`${redirectMessage("GET", displayUrl(response.url), response)}, which redirects again (to ${followed.headers.location !== undefined ? displayUrl(followed.headers.location) : "nowhere"}); not followed`, [hint]);
  }
  return followed;
}

function withoutCredentials(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !/^(authorization|private-token|cookie)$/i.test(name)));
}
