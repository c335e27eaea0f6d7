/**
 * Reads what `mdeploy history` and a plain `mdeploy rollback` decide from: the
 * app as it runs and its newest stored versions with their definitions. Reads only.
 */
import { UsageError } from "../errors.js";
import type { MarathonClient } from "../marathon/client.js";
import type { AppStatus } from "../marathon/types.js";
import type { StoredVersion } from "./version-history.js";

/** How many versions are read at once; Marathon keeps up to 50 by default (zk_max_versions). */
const PARALLEL_READS = 8;

/** The running app (or UsageError naming it "not deployed", as `status` says) and up to `limit` newest stored versions. */
export async function readAppHistory(
  marathon: Pick<MarathonClient, "findApp" | "getAppVersions" | "getAppVersion" | "urls">,
  appId: string,
  environment: string,
  limit: number,
): Promise<{ app: AppStatus; versions: string[]; stored: StoredVersion[] }> {
  const app = await marathon.findApp(appId, { embed: ["app.tasks", "app.deployments"] });
  if (!app) throw notDeployed(environment, appId, marathon.urls);
  const versions = await marathon.getAppVersions(appId);
  const newest = [...versions].sort().reverse().slice(0, limit);
  const stored: StoredVersion[] = [];
  for (let i = 0; i < newest.length; i += PARALLEL_READS) {
    const batch = newest.slice(i, i + PARALLEL_READS);
    const definitions = await Promise.all(batch.map((version) => marathon.getAppVersion(appId, version)));
    batch.forEach((version, j) => stored.push({ version, definition: definitions[j] ?? { id: appId } }));
  }
  return { app, versions, stored };
}

/** The message `status`, `history` and `rollback` give for an app Marathon does not have. */
function notDeployed(environment: string, appId: string, urls: readonly string[]): UsageError {
  return new UsageError(`${environment}: ${appId} is not deployed on ${urls.join(", ")}`, [`deploy it first: mdeploy deploy ${environment}`]);
}
