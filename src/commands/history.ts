/** `mdeploy history <env>`: the app's stored versions, newest first, and which one runs. Reads only. */
import type { CliContext } from "../core/ports/cli-context.js";
import type { Clock } from "../core/ports/clock.js";
import { systemClock } from "../host/system-clock.js";
import { marathonClientFor } from "../deploy/cluster-clients.js";
import { loadCommandAppId } from "../deploy/load-target.js";
import { readAppHistory } from "../deploy/read-history.js";
import { buildHistory, formatHistory, type HistoryEntry } from "../deploy/version-history.js";

export interface HistoryOptions {
  environment: string;
  artifact?: string;
  /** How many versions to show (newest first). */
  limit: number;
}

export interface HistoryResult {
  environment: string;
  appId: string;
  /** The version that runs now. */
  current: string;
  /** How many versions Marathon stores (the list may be cut by --limit). */
  stored: number;
  versions: HistoryEntry[];
}

/** Prints the history; exit 0 whatever it shows. */
export async function runHistory(options: HistoryOptions, context: CliContext, clock: Clock = systemClock): Promise<HistoryResult> {
  const { output } = context;
  const loaded = await loadCommandAppId(context, options);
  const marathon = marathonClientFor(loaded.settings.marathon, clock);
  try {
    const { app, versions, stored } = await readAppHistory(marathon, loaded.appId, options.environment, options.limit);
    const entries = buildHistory(app, stored);
    output.info(`${options.environment}: ${app.id}, ${versions.length} stored version${versions.length === 1 ? "" : "s"}${versions.length > entries.length ? ` (newest ${entries.length} shown; --limit)` : ""}:`);
    for (const line of formatHistory(entries)) output.info(line);
    const result: HistoryResult = { environment: options.environment, appId: app.id, current: app.version, stored: versions.length, versions: entries };
    output.result(result);
    return result;
  } finally {
    marathon.close();
  }
}
