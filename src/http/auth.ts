/**
 * Credentials for the cluster's HTTP APIs. Marathon and Mesos take Basic auth
 * (`--http_credentials`, `--authenticate_http_readonly`); DC/OS takes an ACS
 * token as `Authorization: token=<token>`.
 */
import { credentialsInUrl } from "./safe-url.js";

/** Basic auth or a DC/OS ACS token. */
export type HttpAuth = { username: string; password: string } | { token: string };

/** The explicit auth, else user info found in one of the URLs (`https://user:pass@host`). */
export function resolveAuth(auth: HttpAuth | undefined, urls: readonly string[]): HttpAuth | undefined {
  return auth ?? urls.map(credentialsInUrl).find((c) => c !== undefined);
}

/** The `Authorization` header value, or undefined without credentials. */
export function authorizationHeader(auth: HttpAuth | undefined): string | undefined {
  if (auth === undefined) return undefined;
  if ("token" in auth) return `token=${auth.token}`;
  return `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString("base64")}`;
}
