/**
 * Which version `mdeploy rollback` goes back to, read from Marathon and decided
 * by the pure rule in version-history.ts. An unknown `--to` lists the stored
 * versions nearest to it instead of Marathon's bare 404.
 */
import { UsageError } from "../errors.js";
import type { MarathonClient } from "../marathon/client.js";
import type { AppStatus } from "../marathon/types.js";
import { readAppHistory } from "./read-history.js";
import { formatVersion, summarizeVersion, type VersionSummary } from "./version-display.js";
import { chooseRollbackVersion, nearestVersions } from "./version-history.js";

/** How many stored versions a plain rollback looks through (Marathon keeps 50 by default). */
const VERSIONS_READ = 50;

export interface PickedVersion {
  /** The app as it runs now. */
  app: AppStatus;
  version: string;
  /** Why this version, in words. */
  reason: string;
  /** What the chosen version runs, and what runs now. */
  restoredRuns: VersionSummary;
  fromRuns: VersionSummary;
}

/** The version to restore: `to` when Marathon stores it, otherwise the plain-rollback rule's choice. Throws UsageError (exit 2) when there is none. */
export async function pickRollbackVersion(
  marathon: Pick<MarathonClient, "findApp" | "getAppVersions" | "getAppVersion" | "urls">,
  appId: string,
  environment: string,
  to: string | undefined,
): Promise<PickedVersion> {
  const { app, versions, stored } = await readAppHistory(marathon, appId, environment, to ? 0 : VERSIONS_READ);
  if (to) {
    if (!versions.includes(to)) {
      throw new UsageError(`${environment}: ${appId} has no stored version ${to}; nothing was changed`, [
        `nearest stored versions: ${nearestVersions(versions, to).join(", ") || "(none)"}`,
        `all of them: mdeploy history ${environment}`,
      ]);
    }
    const restoredRuns = summarizeVersion(to, await marathon.getAppVersion(appId, to));
    return { app, version: to, reason: `${formatVersion(restoredRuns)} as asked (--to)`, restoredRuns, fromRuns: summarizeVersion(app.version, app) };
  }
  const choice = chooseRollbackVersion(app, stored);
  if (choice.version === undefined) throw new UsageError(`${environment}: ${appId} at ${formatVersion(summarizeVersion(app.version, app))}: ${choice.reason}; nothing was changed`);
  const chosen = stored.find((s) => s.version === choice.version);
  return { app, version: choice.version, reason: choice.reason, restoredRuns: summarizeVersion(choice.version, chosen?.definition ?? app), fromRuns: summarizeVersion(app.version, app) };
}
