/**
 * Which registry credentials apply to which registry. CI job credentials are sent only to
 * the job's own registry (`CI_REGISTRY`), never to Docker Hub or another host. Pure: the
 * environment is passed in.
 */

export interface RegistryCredentials {
  username: string;
  password: string;
  /** Where they came from, for messages (never the values). */
  source: string;
}

function pair(env: NodeJS.ProcessEnv, user: string, password: string): RegistryCredentials | undefined {
  const username = env[user];
  const secret = env[password];
  return username && secret ? { username, password: secret, source: `${user}/${password}` } : undefined;
}

/**
 * Credentials for `registry` (host[:port]) from the environment, in this order:
 * `MDEPLOY_REGISTRY_USER`/`MDEPLOY_REGISTRY_PASSWORD` (any registry, e.g. a read_registry
 * deploy token), then, when `registry` is the job's `CI_REGISTRY` (or that is unset),
 * `CI_REGISTRY_USER`/`CI_REGISTRY_PASSWORD` (valid during the job only) and GitLab's
 * `gitlab-deploy-token` as `CI_DEPLOY_USER`/`CI_DEPLOY_PASSWORD`.
 */
export function registryCredentialsFromEnv(env: NodeJS.ProcessEnv, registry: string): RegistryCredentials | undefined {
  const explicit = pair(env, "MDEPLOY_REGISTRY_USER", "MDEPLOY_REGISTRY_PASSWORD");
  if (explicit) return explicit;
  const jobRegistry = env.CI_REGISTRY?.trim();
  if (jobRegistry && jobRegistry !== registry) return undefined;
  return pair(env, "CI_REGISTRY_USER", "CI_REGISTRY_PASSWORD") ?? pair(env, "CI_DEPLOY_USER", "CI_DEPLOY_PASSWORD");
}
