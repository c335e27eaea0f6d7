/**
 * Template helpers for private-registry pull credentials (the GitLab area owns this file;
 * the template engine registers whatever `registryAuthHelpers` holds). They add the Marathon
 * fetch entry for the `docker.tar.gz` that `mdeploy registry-auth` writes:
 *
 * - `"fetch": [ {{registryAuthFetch}} ]` gives
 *   `{"uri":"file:///etc/docker.tar.gz","extract":true,"executable":false,"cache":false}`;
 *   `{{registryAuthFetch "https://files.internal/docker.tar.gz"}}` fetches it from elsewhere.
 * - `"uris": [ {{registryAuthUri}} ]` gives the quoted URI, for apps still on the old `uris` field.
 *
 * `cache: false` so a rotated deploy token reaches agents on the next task start.
 */
import { HelperUsageError, MissingHelperArgument, type TemplateHelper, type TemplateLocation } from "./helpers.js";

/** Where Marathon's docs (and `mdeploy registry-auth`'s hint) put the archive on each agent. */
const DEFAULT_DOCKER_AUTH_URI = "file:///etc/docker.tar.gz";

/** URI schemes the Mesos fetcher understands. */
const FETCHABLE = /^(file|https?|ftp|ftps|hdfs|s3|s3a|s3n):\/\/\S+$/;

function helper(name: string, render: (uri: string) => string): TemplateHelper {
  return (...raw: unknown[]) => {
    const options = raw[raw.length - 1] as { loc?: TemplateLocation } | undefined;
    const args = raw.slice(0, -1);
    if (args.length > 1) throw new HelperUsageError(`${name} takes at most one argument (the archive's URI)`, options?.loc);
    // No argument means the default place; an argument that resolves to nothing is a typo
    // (say `env.DOCKER_AUTH_URL` unset), which strict templates report rather than paper over.
    if (args.length === 1 && args[0] === undefined) throw new MissingHelperArgument(name, 0, options?.loc);
    const uri = args.length === 0 ? DEFAULT_DOCKER_AUTH_URI : args[0];
    if (typeof uri !== "string" || !FETCHABLE.test(uri) || !uri.endsWith(".tar.gz")) {
      throw new HelperUsageError(`${name}: the URI must be a file://, http(s):// (or hdfs/s3/ftp) URL of a .tar.gz, got ${JSON.stringify(uri)}`, options?.loc);
    }
    return render(uri);
  };
}

export const registryAuthHelpers: Record<string, TemplateHelper> = {
  registryAuthFetch: helper("registryAuthFetch", (uri) => JSON.stringify({ uri, extract: true, executable: false, cache: false })),
  registryAuthUri: helper("registryAuthUri", (uri) => JSON.stringify(uri)),
};
