/**
 * `mdeploy registry-auth`: writes `docker.tar.gz` holding `.docker/config.json` for a
 * private registry, from a `read_registry` deploy token. Marathon apps fetch it (template
 * helper `registryAuthFetch`) so agents can pull long after the CI job's own registry
 * credentials (`CI_REGISTRY_PASSWORD`, valid only while the job runs) have expired.
 */
import { positiveFlag } from "../core/positive-number.js";
import { rename, rm, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import type { CliContext } from "../core/ports/cli-context.js";
import { basicAuthSecrets } from "../core/redact.js";
import { PreflightRefusedError, UsageError } from "../errors.js";
import { buildDockerAuthArchive } from "../registry/docker-config.js";

export interface RegistryAuthFlags {
  registry?: string;
  username?: string;
  out: string;
  /** An image to check the credentials against before writing anything. */
  verifyImage?: string;
  timeout: string;
  /** `--registry-ca`: PEM file with the registry's CA, for --verify-image. */
  registryCa?: string;
}

export interface RegistryAuthSettings {
  registry: string;
  username: string;
  password: string;
  /** Where the credentials came from, for messages. */
  source: string;
}

/**
 * Credentials for the archive: `--username` or `MDEPLOY_REGISTRY_USER` or `CI_DEPLOY_USER`,
 * with `MDEPLOY_REGISTRY_PASSWORD` or `CI_DEPLOY_PASSWORD` (passwords never come from flags:
 * flags show up in process lists and CI logs).
 */
function resolveRegistryAuth(flags: RegistryAuthFlags, env: NodeJS.ProcessEnv): RegistryAuthSettings {
  const registry = flags.registry ?? env.CI_REGISTRY;
  if (!registry) throw new UsageError("no registry: pass --registry <host[:port]> or set CI_REGISTRY");
  const fromMdeploy = env.MDEPLOY_REGISTRY_PASSWORD ? { password: env.MDEPLOY_REGISTRY_PASSWORD, user: env.MDEPLOY_REGISTRY_USER, source: "MDEPLOY_REGISTRY_USER/MDEPLOY_REGISTRY_PASSWORD" } : undefined;
  const fromDeployToken = env.CI_DEPLOY_PASSWORD ? { password: env.CI_DEPLOY_PASSWORD, user: env.CI_DEPLOY_USER, source: "CI_DEPLOY_USER/CI_DEPLOY_PASSWORD" } : undefined;
  const chosen = fromMdeploy ?? fromDeployToken;
  if (!chosen) {
    const jobOnly = env.CI_REGISTRY_PASSWORD ? " (CI_REGISTRY_PASSWORD is valid only while the job runs, so agents could not pull later)" : "";
    throw new UsageError(`no deploy token: set MDEPLOY_REGISTRY_USER/MDEPLOY_REGISTRY_PASSWORD to a read_registry deploy token, or create one named gitlab-deploy-token${jobOnly}`);
  }
  const username = flags.username ?? chosen.user;
  if (!username) throw new UsageError(`no user name for the deploy token: pass --username or set ${chosen.source.split("/")[0]}`);
  return { registry, username, password: chosen.password, source: chosen.source };
}

/** The command: writes the archive atomically with mode 0600; nothing is written when a check fails. */
export async function runRegistryAuth(flags: RegistryAuthFlags, context: CliContext): Promise<void> {
  const settings = resolveRegistryAuth(flags, context.env);
  for (const secret of basicAuthSecrets(settings.username, settings.password)) context.output.redactor.add(secret);
  const timeoutSeconds = positiveFlag("--timeout", flags.timeout, { unit: "seconds" });

  if (flags.verifyImage) {
    const { checkImageTagExists } = await import("../registry/image-check.js");
    const { parseImageReference } = await import("../registry/image-reference.js");
    const { trustedRealms } = await import("../registry/credentials.js");
    const parsed = parseImageReference(flags.verifyImage);
    // Checked before anything is sent: the deploy token must not go to another registry.
    if (typeof parsed !== "string" && parsed.registry !== settings.registry) throw new UsageError(`--verify-image ${flags.verifyImage} is not in registry ${settings.registry}`);
    // The token is for --registry: it goes to realms on that host, or the job's GitLab for CI_REGISTRY.
    const realms = trustedRealms(settings.registry, context.env);
    const check = await checkImageTagExists({
      image: flags.verifyImage,
      credentials: { username: settings.username, password: settings.password, source: settings.source, realms },
      timeoutMs: timeoutSeconds * 1000,
      ...(flags.registryCa ? { caFile: resolve(context.cwd, flags.registryCa) } : {}),
    });
    if (!check.exists) throw new PreflightRefusedError(`image ${flags.verifyImage} not found in registry ${check.registry}; the credentials work, but nothing was written`);
  }

  const out = resolve(context.cwd, flags.out);
  const archive = buildDockerAuthArchive([{ registry: settings.registry, username: settings.username, password: settings.password }], new Date());
  const temporary = join(dirname(out), `.${process.pid}.docker.tar.gz.tmp`);
  try {
    await writeFile(temporary, archive, { mode: 0o600 });
    await rename(temporary, out);
  } catch (error) {
    await rm(temporary, { force: true });
    throw new UsageError(`cannot write ${flags.out}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  context.output.result({ file: out, registry: settings.registry, username: settings.username, source: settings.source });
  context.output.info(
    `wrote ${flags.out}: .docker/config.json for ${settings.registry} (user ${settings.username}, from ${settings.source}); put it where every agent can fetch it, e.g. file:///etc/docker.tar.gz, and add {{registryAuthFetch}} to the app's "fetch"`,
  );
}
