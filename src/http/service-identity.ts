/**
 * Telling a wrong URL from a missing object. Marathon and Mesos answer their
 * own 404s in JSON; a 404 page in HTML, a proxy's login page or a 3xx to
 * somewhere else means the URL does not point at the service at all (the wrong
 * port, Mesos' URL given for Marathon's, a single sign-on proxy), which is
 * exit 6 and a message naming the URL, not "not deployed". Pure.
 */
import { displayUrl } from "./safe-url.js";
import type { HttpResponse } from "./transport.js";

/** True when the answer is one the service itself would give: JSON (or empty, as some 204s are). */
export function looksLikeServiceAnswer(response: Pick<HttpResponse, "headers" | "body">): boolean {
  const type = response.headers["content-type"] ?? "";
  if (/json/i.test(type)) return true;
  const text = response.body.trimStart();
  if (text === "") return !/html/i.test(type);
  if (!text.startsWith("{") && !text.startsWith("[")) return false;
  try {
    JSON.parse(text);
    return true;
  } catch (error) {
    if (error instanceof SyntaxError) return false;
    throw error;
  }
}

/** `<base> does not look like Marathon (GET /v2/info: 404 Not Found, text/html)`, or `..., redirects to <location>)` for a 3xx. */
export function notServiceMessage(service: string, base: string, probe: string, answer: Pick<HttpResponse, "status" | "statusText" | "headers">): string {
  const location = answer.status >= 300 && answer.status < 400 ? answer.headers.location : undefined;
  // A redirect is named by where it points; anything else by what it is.
  const what = location !== undefined ? `redirects to ${displayUrl(location)}` : (answer.headers["content-type"] ?? "no content type").split(";")[0];
  return `${base} does not look like ${service} (${probe}: ${answer.status} ${answer.statusText}, ${what})`;
}

/** For a 3xx: `GET <url>: 302 Found, redirects to <location>`, naming where it points. */
export function redirectMessage(method: string, url: string, answer: Pick<HttpResponse, "status" | "statusText" | "headers">): string {
  const location = answer.headers.location;
  return `${method} ${url}: ${answer.status} ${answer.statusText}, redirects to ${location !== undefined ? displayUrl(location) : "(no Location header)"}`;
}
