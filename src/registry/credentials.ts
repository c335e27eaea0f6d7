/**
 * Which registry credentials apply to which registry, and which token realms may receive
 * them. Every credential belongs to one registry host; it is never sent to another
 * registry, nor to a token realm on another host unless the configuration names that
 * realm. Pure: the environment and configuration are passed in.
 */
import type { RegistryAccess, RegistrySettings } from "../config/types.js";

export interface RegistryCredentials {
  username: string;
  password: string;
  /** Where they came from, for messages (never the values). */
  source: string;
  /**
   * Token realms besides the registry's own host that may receive them: full realm URLs
   * (`https://gitlab.example.com/jwt/auth`) or host names.
   */
  realms: string[];
}

/** Realms that are the registry's own although on another host (Docker Hub's token service). */
const BUILT_IN_REALMS: Record<string, string[]> = { "docker.io": ["https://auth.docker.io/token"] };

function pair(env: NodeJS.ProcessEnv, user: string, password: string): { username: string; password: string; source: string } | undefined {
  const username = env[user];
  const secret = env[password];
  return username && secret ? { username, password: secret, source: `${user}/${password}` } : undefined;
}

function hostOf(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    return new URL(url).hostname;
  } catch {
    return undefined;
  }
}

/**
 * Token realms on other hosts that may receive `registry`'s credentials: Docker Hub's own,
 * the configured ones, and for the job's `CI_REGISTRY` the job's GitLab (`CI_SERVER_URL`),
 * whose `/jwt/auth` is that registry's token realm.
 */
export function trustedRealms(registry: string, env: NodeJS.ProcessEnv, configured?: RegistrySettings): string[] {
  const realms = [...(BUILT_IN_REALMS[registry] ?? []), ...(configured?.realms ?? [])];
  const gitlab = registry === env.CI_REGISTRY?.trim() ? gitlabRealm(env.CI_SERVER_URL) : undefined;
  if (gitlab) realms.push(gitlab);
  return realms;
}

/**
 * The job's GitLab as a realm: its host name when it runs on HTTPS; on plain HTTP, only its
 * own `/jwt/auth` named in full, since a plain-HTTP realm must be named to get credentials.
 */
function gitlabRealm(serverUrl: string | undefined): string | undefined {
  const host = hostOf(serverUrl);
  if (!host || !serverUrl) return undefined;
  return serverUrl.startsWith("http:") ? `${serverUrl.replace(/\/+$/, "")}/jwt/auth` : host;
}

/**
 * Credentials for `registry` (host[:port] as written in the image), in this order:
 * 1. `registries.<registry>` in mdeploy.yml (`usernameEnv`/`passwordEnv`);
 * 2. `MDEPLOY_REGISTRY_USER`/`MDEPLOY_REGISTRY_PASSWORD` (e.g. a read_registry deploy token),
 *    for the registry `MDEPLOY_REGISTRY` names, else the job's `CI_REGISTRY`; with neither set
 *    they go nowhere;
 * 3. for the job's own `CI_REGISTRY`: `CI_REGISTRY_USER`/`CI_REGISTRY_PASSWORD` (valid during
 *    the job only), then GitLab's `gitlab-deploy-token` as `CI_DEPLOY_USER`/`CI_DEPLOY_PASSWORD`.
 * Each comes with its {@link trustedRealms}.
 */
export function registryCredentialsFor(registry: string, env: NodeJS.ProcessEnv, configured?: RegistrySettings): RegistryCredentials | undefined {
  const jobRegistry = env.CI_REGISTRY?.trim() || undefined;
  const realms = trustedRealms(registry, env, configured);
  if (configured?.credentials) return { ...configured.credentials, realms };
  const explicitFor = env.MDEPLOY_REGISTRY?.trim() || jobRegistry;
  const explicit = pair(env, "MDEPLOY_REGISTRY_USER", "MDEPLOY_REGISTRY_PASSWORD");
  if (explicit && explicitFor === registry) return { ...explicit, realms };
  if (registry !== jobRegistry) return undefined;
  const job = pair(env, "CI_REGISTRY_USER", "CI_REGISTRY_PASSWORD") ?? pair(env, "CI_DEPLOY_USER", "CI_DEPLOY_PASSWORD");
  return job ? { ...job, realms } : undefined;
}

/**
 * Whether a token realm may receive `registry`'s credentials: it is on the registry's own
 * host (any port, e.g. GitLab's registry on :5050 and /jwt/auth on :443), or it is one of the
 * credentials' realms (a full URL matches by origin and path, a bare name by host).
 * `registryScheme` is how the registry itself was reached: when that is HTTPS, a plain-HTTP
 * realm would put the Basic credentials on the wire, so only a full `http://` URL among the
 * realms (the operator said so) lets them go there.
 */
export function realmMayReceive(realm: URL, registry: string, credentials: RegistryCredentials, registryScheme: "https" | "http" = "https"): boolean {
  const registryHost = new URL(`https://${registry}`).hostname;
  const downgrade = realm.protocol === "http:" && registryScheme === "https";
  if (realm.hostname === registryHost && !downgrade) return true;
  return credentials.realms.some((allowed) => {
    if (!allowed.includes("/")) return !downgrade && (realm.hostname === allowed || realm.host === allowed);
    const named = URL.parse(allowed);
    return named !== null && named.origin === realm.origin && named.pathname.replace(/\/+$/, "") === realm.pathname.replace(/\/+$/, "");
  });
}

/** What the image check needs for one registry. */
export interface RegistryCheckAccess {
  credentials?: RegistryCredentials;
  /** PEM file with the registry's CA: the flag's, else the registry's own from the file. */
  caFile?: string;
  /** Listed as insecure: HTTPS without certificate checks, then plain HTTP (Docker's insecure-registries). */
  insecure: boolean;
}

/**
 * Collects credentials, CA and insecure flag for `registry` from the configuration
 * (`registries:`, `insecureRegistries:`, MDEPLOY_INSECURE_REGISTRIES), the deploy flags
 * (`--registry-ca`, `--insecure-registry`) and the environment.
 */
export function registryCheckAccess(
  registry: string,
  env: NodeJS.ProcessEnv,
  access: RegistryAccess | undefined,
  flags: { caFile?: string; insecureRegistries?: readonly string[] } = {},
): RegistryCheckAccess {
  const configured = access && Object.hasOwn(access.registries, registry) ? access.registries[registry] : undefined;
  const credentials = registryCredentialsFor(registry, env, configured);
  const caFile = flags.caFile ?? configured?.caFile;
  const insecure = [...(access?.insecureRegistries ?? []), ...(flags.insecureRegistries ?? [])].includes(registry);
  return { ...(credentials ? { credentials } : {}), ...(caFile ? { caFile } : {}), insecure };
}
