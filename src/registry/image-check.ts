/**
 * Deploy preflight: does the image tag exist in its registry? One Docker Registry v2
 * `HEAD /v2/<repository>/manifests/<tag>`, after the token dance the registry asks for
 * (`401` + `WWW-Authenticate: Bearer realm=…` → `GET realm?service&scope` with Basic
 * credentials → `HEAD` again with the Bearer token).
 */
import type { Clock } from "../core/ports/clock.js";
import { systemClock } from "../host/system-clock.js";
import { PreflightRefusedError, UnreachableError, ValidationError } from "../errors.js";
import { authorizationHeader } from "../http/auth.js";
import { createRetryingSender, describeAttempts } from "../http/failover.js";
import { createHttpTransport } from "../http/node-transport.js";
import { registryRetryPolicy } from "../http/retry-policy.js";
import type { HttpResponse, HttpTransport } from "../http/transport.js";
import { realmMayReceive, type RegistryCredentials } from "./credentials.js";
import { parseImageReference, registryApiHost, type ImageReference } from "./image-reference.js";
import { parseAuthChallenge, type AuthChallenge } from "./www-authenticate.js";

/**
 * Every manifest type a tag can point to. Without the OCI types, registries answer
 * 404 or "OCI manifest found, but accept header does not support OCI manifests" for images
 * built by buildah, kaniko or `docker buildx` (OCI index).
 */
const MANIFEST_MEDIA_TYPES = [
  "application/vnd.oci.image.index.v1+json",
  "application/vnd.oci.image.manifest.v1+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
  "application/vnd.docker.distribution.manifest.v2+json",
] as const;

export interface ImageCheckOptions {
  /** Image reference as in the app definition, e.g. `registry.gitlab.com/group/app:1.4.2`. */
  image: string;
  /**
   * Basic credentials for this registry; anonymous when absent. Sent to the registry itself
   * and to a token realm only on its host or among `credentials.realms`.
   */
  credentials?: RegistryCredentials;
  /** Bound on the whole check, token exchange included. */
  timeoutMs: number;
  /** Waits between retries run on this clock (default: the wall clock). */
  clock?: Clock;
  /** PEM file with the CA that signed the registry's (and its realm's) certificate. */
  caFile?: string;
  /**
   * Listed in the insecure registries (Docker's `insecure-registries`): HTTPS without
   * certificate checks first, then plain HTTP. Loopback registries (`localhost`, `127.0.0.1`)
   * are plain HTTP anyway, like Docker's.
   */
  insecure?: boolean;
  /**
   * Waits before retrying a read that failed transiently (src/http/retry-policy.ts,
   * registryRetryPolicy); default [250, 1000]. Every call is a read (HEAD, token GET).
   */
  retryDelaysMs?: readonly number[];
}

export interface ImageCheckResult {
  /** True: the tag resolves to a manifest. False: the registry says it does not (404). */
  exists: boolean;
  /** Registry host[:port] as written in the image (`docker.io` for Docker Hub). */
  registry: string;
  repository: string;
  /** Tag or digest checked. */
  reference: string;
  /** The manifest URL asked (no credentials in it). */
  url: string;
  /** `Docker-Content-Digest` when the tag exists. */
  digest?: string;
  /** Manifest media type when the tag exists (OCI index, Docker manifest list, ...). */
  mediaType?: string;
}

function isLoopback(registry: string): boolean {
  const host = registry.replace(/:\d+$/, "");
  return host === "localhost" || host === "127.0.0.1" || host === "[::1]";
}

function basicAuth(credentials: RegistryCredentials): string {
  return authorizationHeader(credentials) ?? "";
}

/** Names the credential in messages: where it came from and the user, never the password. */
function describeCredential(credentials: RegistryCredentials | undefined): string {
  return credentials ? `credential ${credentials.source} (user "${credentials.username}", password hidden)` : "no credential (anonymous)";
}

/** One way to reach the registry: a scheme and the sender that speaks it (TLS settings, retries). */
interface Endpoint {
  scheme: "https" | "http";
  send: (request: { method: "HEAD" | "GET"; url: string; headers: Record<string, string>; maxBytes: number; displayAs?: string }) => Promise<HttpResponse>;
}

/** Cap on a manifest HEAD's answer (there is no body; an error page is small). */
const MANIFEST_MAX_BODY_BYTES = 1024 * 1024;

/** "No answer" in the seam's words (the one failure describer); other errors pass through. */
function noAnswer(error: unknown, prefix: string): unknown {
  const reason = describeAttempts(error);
  return reason === undefined ? error : new UnreachableError(`${prefix}: ${reason}`, [], { cause: error });
}

/**
 * Checks that `image`'s tag (or digest) exists.
 * - resolves `{ exists: true, digest, mediaType }` on 200 and `{ exists: false }` on 404;
 * - throws ValidationError (exit 2) for a malformed image reference;
 * - throws PreflightRefusedError (exit 3) when a token was obtained but the registry still
 *   answers 401/403 `insufficient_scope`: the repository does not exist or these credentials
 *   may not pull it, which a registry does not tell apart;
 * - throws UnreachableError (exit 6) when the registry or its token service cannot be reached,
 *   times out, answers 5xx, or refuses the credentials (401/403).
 * Credentials never appear in results or messages.
 */
export async function checkImageTagExists(options: ImageCheckOptions): Promise<ImageCheckResult> {
  const parsed = parseImageReference(options.image);
  if (typeof parsed === "string") throw new ValidationError(`image ${parsed}`);
  const signal = AbortSignal.timeout(options.timeoutMs);
  const transports: HttpTransport[] = [];
  const clock = options.clock ?? systemClock;
  const endpoint = (scheme: "https" | "http", tls: { caFile?: string; insecure?: boolean }, retries: boolean): Endpoint => {
    const transport = createHttpTransport({ tls, timeoutMs: options.timeoutMs });
    transports.push(transport);
    // An endpoint with a fallback is asked once: Docker moves on to plain HTTP at the first failure.
    const sender = createRetryingSender({ transport, retry: registryRetryPolicy(retries ? options.retryDelaysMs : []), clock });
    return { scheme, send: (request) => sender.send({ ...request, signal }) };
  };
  const tls = options.caFile ? { caFile: options.caFile } : {};
  // Docker's order for an insecure registry: HTTPS without checking the certificate, then HTTP.
  const endpoints: Endpoint[] = isLoopback(parsed.registry)
    ? [endpoint("http", tls, true)]
    : options.insecure
      ? [endpoint("https", { insecure: true }, false), endpoint("http", tls, true)]
      : [endpoint("https", tls, true)];
  try {
    return await checkWithEndpoints(options, parsed, endpoints, signal);
  } finally {
    for (const transport of transports) transport.close();
  }
}

async function checkWithEndpoints(options: ImageCheckOptions, parsed: ImageReference, endpoints: Endpoint[], signal: AbortSignal): Promise<ImageCheckResult> {
  const manifestPath = `${registryApiHost(parsed.registry)}/v2/${parsed.repository}/manifests/${parsed.reference}`;
  const where = `registry ${parsed.registry}`;
  let endpoint = endpoints[0] as Endpoint;
  let url = `${endpoint.scheme}://${manifestPath}`;

  const head = async (authorization?: string): Promise<HttpResponse> => {
    try {
      return await endpoint.send({ method: "HEAD", url, headers: { accept: MANIFEST_MEDIA_TYPES.join(", "), ...(authorization ? { authorization } : {}) }, maxBytes: MANIFEST_MAX_BODY_BYTES });
    } catch (error) {
      throw noAnswer(error, `cannot reach ${where}: HEAD ${url}`);
    }
  };

  let response: HttpResponse | undefined;
  for (const [index, candidate] of endpoints.entries()) {
    endpoint = candidate;
    url = `${endpoint.scheme}://${manifestPath}`;
    const last = index === endpoints.length - 1;
    try {
      response = await head();
      break;
    } catch (error) {
      // The next endpoint (plain HTTP for an insecure registry) is tried only when this one gave no HTTP answer.
      if (last || !(error instanceof UnreachableError) || signal.aborted) throw error;
    }
  }
  if (!response) throw new UnreachableError(`cannot reach ${where}`);
  if (response.status === 401) {
    const challenge = parseAuthChallenge(response.headers["www-authenticate"] ?? null);
    const authorization = await authorize(challenge, parsed, options.credentials, { endpoint, scheme: options.insecure ? "http" : endpoint.scheme, where, url });
    response = await head(authorization.header);
    if (response.status === 401 || response.status === 403) {
      const refusal = parseAuthChallenge(response.headers["www-authenticate"] ?? null);
      if (authorization.bearer && refusal?.params.error === "insufficient_scope") {
        throw new PreflightRefusedError(
          `tag not found or no pull access: ${parsed.registry}/${parsed.repository}:${parsed.reference} (${response.status} insufficient_scope on HEAD ${url}) with ${describeCredential(authorization.sent)}${authorization.withheld ?? ""}; nothing was sent`,
          ["check the image name, that it was pushed, and that the credential may pull it (--skip-image-check does not pass over this)"],
        );
      }
      throw new UnreachableError(`${where} refused access to ${parsed.repository} (${response.status} on HEAD ${url}) with ${describeCredential(authorization.sent)}${authorization.withheld ?? ""}`);
    }
  }
  const result: ImageCheckResult = { exists: false, registry: parsed.registry, repository: parsed.repository, reference: parsed.reference, url };
  if (response.status === 404) return result;
  if (response.status === 200) {
    const digest = response.headers["docker-content-digest"];
    const mediaType = response.headers["content-type"]?.split(";")[0]?.trim();
    return { ...result, exists: true, ...(digest ? { digest } : {}), ...(mediaType ? { mediaType } : {}) };
  }
  throw new UnreachableError(`${where} answered HEAD ${url}: ${response.status} ${response.statusText}`.trim());
}

/** Cap on a token service's answer (a token is a few KB); past it: ResponseTooLargeError, exit 6. */
const TOKEN_MAX_BODY_BYTES = 1024 * 1024;

interface AuthContext {
  /** The registry's endpoint: a realm on another host gets the same TLS settings and retries. */
  endpoint: Endpoint;
  /**
   * How the registry answered: over HTTPS, a plain-HTTP realm gets no credentials unless named.
   * An insecure registry counts as plain HTTP: its operator already accepted traffic nobody vouches for.
   */
  scheme: "https" | "http";
  where: string;
  url: string;
}

/** The Authorization header to retry with, and which credential went where. */
interface Authorization {
  header: string;
  /** A Bearer token was obtained from the realm. */
  bearer: boolean;
  /** The credential the realm (or registry) received; undefined when anonymous. */
  sent?: RegistryCredentials;
  /** Why credentials were not sent to the realm, for messages. */
  withheld?: string;
}

/** Turns a 401 challenge into an Authorization header, fetching a Bearer token when asked to. */
async function authorize(challenge: AuthChallenge | undefined, image: ImageReference, credentials: RegistryCredentials | undefined, context: AuthContext): Promise<Authorization> {
  if (challenge?.scheme === "basic") {
    if (!credentials) throw new UnreachableError(`${context.where} requires credentials (Basic) and none were given: set CI_REGISTRY_USER/CI_REGISTRY_PASSWORD or a deploy token`);
    return { header: basicAuth(credentials), bearer: false, sent: credentials };
  }
  if (challenge?.scheme !== "bearer" || !challenge.params.realm) {
    throw new UnreachableError(`${context.where} answered 401 on HEAD ${context.url} without a usable WWW-Authenticate challenge`);
  }
  const tokenUrl = URL.parse(challenge.params.realm);
  if (!tokenUrl || (tokenUrl.protocol !== "https:" && tokenUrl.protocol !== "http:")) throw new UnreachableError(`${context.where} named a token realm that is not an http(s) URL`);
  if (challenge.params.service) tokenUrl.searchParams.set("service", challenge.params.service);
  tokenUrl.searchParams.set("scope", challenge.params.scope ?? `repository:${image.repository}:pull`);
  const shownTokenUrl = `${tokenUrl.origin}${tokenUrl.pathname}`;
  // A registry may name any realm: credentials go only to one on its host or named in the configuration.
  const mayReceive = credentials !== undefined && realmMayReceive(tokenUrl, image.registry, credentials, context.scheme);
  const sent = mayReceive ? credentials : undefined;
  const withheld =
    credentials && !mayReceive
      ? ` (${credentials.source} not sent to the token realm ${shownTokenUrl} ${tokenUrl.protocol === "http:" && context.scheme === "https" ? "over plain HTTP" : "on another host"}; name it under registries."${image.registry}".realms in mdeploy.yml to allow it)`
      : undefined;
  let response: HttpResponse;
  try {
    response = await context.endpoint.send({ method: "GET", url: tokenUrl.href, displayAs: shownTokenUrl, headers: sent ? { authorization: basicAuth(sent) } : {}, maxBytes: TOKEN_MAX_BODY_BYTES });
  } catch (error) {
    throw noAnswer(error, `cannot reach the token service of ${context.where}: GET ${shownTokenUrl}`);
  }
  if (response.status === 401 || response.status === 403) {
    throw new UnreachableError(
      `the token service of ${context.where} rejected ${sent ? `the credentials from ${sent.source}` : "anonymous access"} (${response.status} on GET ${shownTokenUrl})${withheld ?? ""}`,
    );
  }
  if (response.status !== 200) throw new UnreachableError(`the token service of ${context.where} answered GET ${shownTokenUrl}: ${response.status} ${response.statusText}`.trim());
  let body: unknown;
  try {
    body = JSON.parse(response.body);
  } catch {
    body = undefined; // Not JSON: reported below as "without a token".
  }
  // The spec allows either name (distribution token authentication).
  const token = (body as { token?: unknown; access_token?: unknown } | undefined)?.token ?? (body as { access_token?: unknown } | undefined)?.access_token;
  if (typeof token !== "string" || token === "") throw new UnreachableError(`the token service of ${context.where} answered GET ${shownTokenUrl} without a token`);
  return { header: `Bearer ${token}`, bearer: true, ...(sent ? { sent } : {}), ...(withheld ? { withheld } : {}) };
}
