/**
 * Deploy preflight: does the image tag exist in its registry? One Docker Registry v2
 * `HEAD /v2/<repository>/manifests/<tag>`, after the token dance the registry asks for
 * (`401` + `WWW-Authenticate: Bearer realm=…` → `GET realm?service&scope` with Basic
 * credentials → `HEAD` again with the Bearer token).
 */
import { UnreachableError, ValidationError } from "../errors.js";
import { readFetchBody } from "../http/body-limit.js";
import type { RegistryCredentials } from "./credentials.js";
import { parseImageReference, registryApiHost, type ImageReference } from "./image-reference.js";
import { parseAuthChallenge, type AuthChallenge } from "./www-authenticate.js";

/**
 * Every manifest type a tag can point to. Without the OCI types, registries answer
 * 404 or "OCI manifest found, but accept header does not support OCI manifests" for images
 * built by buildah, kaniko or `docker buildx` (OCI index).
 */
export const MANIFEST_MEDIA_TYPES = [
  "application/vnd.oci.image.index.v1+json",
  "application/vnd.oci.image.manifest.v1+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
  "application/vnd.docker.distribution.manifest.v2+json",
] as const;

export interface ImageCheckOptions {
  /** Image reference as in the app definition, e.g. `registry.gitlab.com/group/app:1.4.2`. */
  image: string;
  /** Basic credentials for the registry or its token service; anonymous when absent. */
  credentials?: RegistryCredentials;
  /** Bound on the whole check, token exchange included. */
  timeoutMs: number;
  /** Injected transport (tests, proxies); global fetch by default. */
  fetch?: typeof globalThis.fetch;
  /** Talk plain HTTP. Default: only for loopback registries (`localhost`, `127.0.0.1`), like Docker. */
  plainHttp?: boolean;
  /**
   * Waits before retrying a read that failed transiently (connection error, 429, 5xx);
   * default [250, 1000]. Every call is idempotent (HEAD, token GET), so retrying is safe.
   */
  retryDelaysMs?: readonly number[];
}

const DEFAULT_RETRY_DELAYS_MS = [250, 1000] as const;

function isTransientStatus(status: number): boolean {
  return status === 429 || status >= 500;
}

function isAbort(error: unknown): boolean {
  return error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError");
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

/** Runs an idempotent request, retrying transient failures while the deadline allows. */
async function withRetries(request: () => Promise<Response>, delays: readonly number[], signal: AbortSignal): Promise<Response> {
  for (let attempt = 0; ; attempt += 1) {
    const delay = delays[attempt];
    try {
      const response = await request();
      if (delay === undefined || !isTransientStatus(response.status)) return response;
    } catch (error) {
      if (delay === undefined || isAbort(error)) throw error;
    }
    await pause(delay, signal);
  }
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
  return `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString("base64")}`;
}

function describeFailure(error: unknown): string {
  if (error instanceof Error) {
    if (error.name === "TimeoutError" || error.name === "AbortError") return "no answer within the time limit";
    // fetch wraps the socket error ("fetch failed"); the cause says what happened.
    const cause = (error as { cause?: { code?: unknown; message?: unknown } }).cause;
    if (cause && typeof cause.code === "string") return cause.code;
    if (cause && typeof cause.message === "string") return cause.message;
    return error.message;
  }
  return String(error);
}

/**
 * Checks that `image`'s tag (or digest) exists.
 * - resolves `{ exists: true, digest, mediaType }` on 200 and `{ exists: false }` on 404;
 * - throws ValidationError (exit 2) for a malformed image reference;
 * - throws UnreachableError (exit 6) when the registry or its token service cannot be reached,
 *   times out, answers 5xx, or refuses the credentials (401/403).
 * Credentials never appear in results or messages.
 */
export async function checkImageTagExists(options: ImageCheckOptions): Promise<ImageCheckResult> {
  const parsed = parseImageReference(options.image);
  if (typeof parsed === "string") throw new ValidationError(`image ${parsed}`);
  const doFetch = options.fetch ?? globalThis.fetch;
  const signal = AbortSignal.timeout(options.timeoutMs);
  const scheme = (options.plainHttp ?? isLoopback(parsed.registry)) ? "http" : "https";
  const url = `${scheme}://${registryApiHost(parsed.registry)}/v2/${parsed.repository}/manifests/${parsed.reference}`;
  const where = `registry ${parsed.registry}`;

  const delays = options.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS;
  const head = async (authorization?: string): Promise<Response> => {
    try {
      return await withRetries(
        () => doFetch(url, { method: "HEAD", headers: { accept: MANIFEST_MEDIA_TYPES.join(", "), ...(authorization ? { authorization } : {}) }, signal }),
        delays,
        signal,
      );
    } catch (error) {
      throw new UnreachableError(`cannot reach ${where}: HEAD ${url}: ${describeFailure(error)}`);
    }
  };

  let response = await head();
  if (response.status === 401) {
    const challenge = parseAuthChallenge(response.headers.get("www-authenticate"));
    const authorization = await authorize(challenge, parsed, options.credentials, { doFetch, signal, where, url, delays });
    response = await head(authorization);
    if (response.status === 401 || response.status === 403) {
      throw new UnreachableError(
        `${where} refused access to ${parsed.repository} (${response.status} on HEAD ${url})${options.credentials ? ` with ${options.credentials.source}` : " without credentials"}`,
      );
    }
  }
  const result: ImageCheckResult = { exists: false, registry: parsed.registry, repository: parsed.repository, reference: parsed.reference, url };
  if (response.status === 404) return result;
  if (response.status === 200) {
    const digest = response.headers.get("docker-content-digest");
    const mediaType = response.headers.get("content-type")?.split(";")[0]?.trim();
    return { ...result, exists: true, ...(digest ? { digest } : {}), ...(mediaType ? { mediaType } : {}) };
  }
  throw new UnreachableError(`${where} answered HEAD ${url}: ${response.status} ${response.statusText}`.trim());
}

/** Cap on a token service's answer (a token is a few KB); past it: ResponseTooLargeError, exit 6. */
const TOKEN_MAX_BODY_BYTES = 1024 * 1024;

interface AuthContext {
  doFetch: typeof globalThis.fetch;
  delays: readonly number[];
  signal: AbortSignal;
  where: string;
  url: string;
}

/** Turns a 401 challenge into an Authorization header, fetching a Bearer token when asked to. */
async function authorize(
  challenge: AuthChallenge | undefined,
  image: ImageReference,
  credentials: RegistryCredentials | undefined,
  context: AuthContext,
): Promise<string> {
  if (challenge?.scheme === "basic") {
    if (!credentials) throw new UnreachableError(`${context.where} requires credentials (Basic) and none were given: set CI_REGISTRY_USER/CI_REGISTRY_PASSWORD or a deploy token`);
    return basicAuth(credentials);
  }
  if (challenge?.scheme !== "bearer" || !challenge.params.realm) {
    throw new UnreachableError(`${context.where} answered 401 on HEAD ${context.url} without a usable WWW-Authenticate challenge`);
  }
  const tokenUrl = new URL(challenge.params.realm);
  if (challenge.params.service) tokenUrl.searchParams.set("service", challenge.params.service);
  tokenUrl.searchParams.set("scope", challenge.params.scope ?? `repository:${image.repository}:pull`);
  const shownTokenUrl = `${tokenUrl.origin}${tokenUrl.pathname}`;
  let response: Response;
  try {
    response = await withRetries(
      () => context.doFetch(tokenUrl, { headers: credentials ? { authorization: basicAuth(credentials) } : {}, signal: context.signal }),
      context.delays,
      context.signal,
    );
  } catch (error) {
    throw new UnreachableError(`cannot reach the token service of ${context.where}: GET ${shownTokenUrl}: ${describeFailure(error)}`);
  }
  if (response.status === 401 || response.status === 403) {
    throw new UnreachableError(
      `the token service of ${context.where} rejected ${credentials ? `the credentials from ${credentials.source}` : "anonymous access"} (${response.status} on GET ${shownTokenUrl})`,
    );
  }
  if (response.status !== 200) throw new UnreachableError(`the token service of ${context.where} answered GET ${shownTokenUrl}: ${response.status} ${response.statusText}`.trim());
  const text = await readFetchBody(response, { method: "GET", url: shownTokenUrl, maxBytes: TOKEN_MAX_BODY_BYTES });
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined; // Not JSON: reported below as "without a token".
  }
  // The spec allows either name (distribution token authentication).
  const token = (body as { token?: unknown; access_token?: unknown } | undefined)?.token ?? (body as { access_token?: unknown } | undefined)?.access_token;
  if (typeof token !== "string" || token === "") throw new UnreachableError(`the token service of ${context.where} answered GET ${shownTokenUrl} without a token`);
  return `Bearer ${token}`;
}
