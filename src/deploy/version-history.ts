/**
 * An app's stored versions read as a history, and the choice a plain
 * `mdeploy rollback` makes among them. Pure: the caller reads the versions
 * and their definitions from Marathon and passes them in.
 *
 * What "healthy" means here: Marathon keeps no health history, so it is known
 * only from mdeploy's labels. A version named by a later version's
 * `MDEPLOY_PREVIOUS_HEALTHY` was running fully healthy when mdeploy deployed
 * over it; one named by `MDEPLOY_ROLLBACK_OF` (and never by the former) was
 * rolled back from before it became healthy; the version that runs now is
 * healthy when all its instances are. Anything else is unknown.
 */
import type { AppDefinition, AppStatus } from "../marathon/types.js";
import { changesInWhatRuns, PREVIOUS_HEALTHY_LABEL } from "./app-provenance.js";
import { BLUE_GREEN_LABEL } from "./progressive/copy-labels.js";
import { ROLLBACK_OF_LABEL } from "./replan-version.js";
import { describeRuns, summarizeVersion, type VersionSummary } from "./version-display.js";

/** One stored version and its definition (GET /v2/apps/{id}/versions/{version}). */
export interface StoredVersion {
  version: string;
  definition: AppDefinition;
}

/** One row of `mdeploy history`. */
export interface HistoryEntry extends VersionSummary {
  /** "yes": seen fully healthy; "never": rolled back from before it was; "unknown": no record either way. */
  healthy: "yes" | "never" | "unknown";
  /** This is the version Marathon runs now. */
  runsNow: boolean;
  /** The version this one was a rollback from, when mdeploy made it by rolling back. */
  rollbackOf?: string;
}

/** Versions newest first, each with what it runs, where it came from and whether it became healthy. */
export function buildHistory(current: AppStatus, stored: readonly StoredVersion[]): HistoryEntry[] {
  const everHealthy = new Set<string>();
  const rolledBackFrom = new Set<string>();
  for (const { definition } of stored) {
    const labels = definition.labels ?? {};
    if (labels[PREVIOUS_HEALTHY_LABEL]) everHealthy.add(labels[PREVIOUS_HEALTHY_LABEL]);
    if (labels[ROLLBACK_OF_LABEL]) rolledBackFrom.add(labels[ROLLBACK_OF_LABEL]);
  }
  const instances = current.instances ?? 1;
  if ((current.deployments ?? []).length === 0 && instances > 0 && current.tasksHealthy >= instances) everHealthy.add(current.version);
  return newestFirst(stored).map(({ version, definition }) => {
    const rollbackOf = definition.labels?.[ROLLBACK_OF_LABEL];
    return {
      ...summarizeVersion(version, definition),
      healthy: everHealthy.has(version) ? "yes" : rolledBackFrom.has(version) ? "never" : "unknown",
      runsNow: version === current.version,
      ...(rollbackOf ? { rollbackOf } : {}),
    };
  });
}

/** Lines for people, one per version. */
export function formatHistory(entries: readonly HistoryEntry[]): string[] {
  return entries.map((e) => {
    const notes = [describeRuns(e)];
    if (e.commitSha) notes.push(`commit ${e.commitSha.slice(0, 8)}${e.ref ? ` (${e.ref})` : ""}`);
    if (e.pipelineUrl) notes.push(`pipeline ${e.pipelineUrl}`);
    if (e.rollbackOf) notes.push(`rollback from ${e.rollbackOf}`);
    notes.push(e.healthy === "yes" ? "became healthy" : e.healthy === "never" ? "never healthy" : "health unknown");
    return `${e.runsNow ? "*" : " "} ${e.version}  ${notes.join(", ")}${e.runsNow ? "  <- runs now" : ""}`;
  });
}

/** The choice a plain rollback made, and why, or why there is none. */
export type RollbackChoice = { version: string; reason: string } | { version: undefined; reason: string };

/**
 * The version a plain `mdeploy rollback` goes back to: the newest version older
 * than the current configuration that runs something different from what runs
 * now (a change of scale or upgradeStrategy alone does not count), and that is
 * neither a version a rollback left nor a copy of what one left. That last rule
 * is what keeps a second plain rollback from flipping forward again: after
 * going back from 1.1.0 to 1.0.0, 1.1.0 is a version rolled back from, so the
 * next plain rollback looks further back (or says there is nothing), and only
 * `--to` goes forward.
 */
export function chooseRollbackVersion(current: AppStatus, stored: readonly StoredVersion[]): RollbackChoice {
  const currentConfig = current.versionInfo?.lastConfigChangeAt ?? current.version;
  const rolledBackFrom = new Set<string>();
  for (const { definition } of [...stored, { definition: current }]) {
    const from = definition.labels?.[ROLLBACK_OF_LABEL];
    if (from) rolledBackFrom.add(from);
  }
  const leftBehind = stored.filter((s) => rolledBackFrom.has(s.version)).map((s) => s.definition);
  const skipped: string[] = [];
  for (const candidate of newestFirst(stored).filter((s) => s.version < currentConfig)) {
    const runs = describeRuns(summarizeVersion(candidate.version, candidate.definition));
    if (candidate.definition.labels?.[BLUE_GREEN_LABEL] === "standby") {
      // Blue's standby during a blue/green switch: it ran without traffic (traefik.enable=false), so restoring it would take the public rule down.
      skipped.push(`${candidate.version} was a blue/green standby without traffic`);
    } else if (rolledBackFrom.has(candidate.version)) {
      skipped.push(`${candidate.version} (${runs}) was rolled back from`);
    } else if (changesInWhatRuns(candidate.definition, current).length === 0) {
      skipped.push(`${candidate.version} runs the same as now`);
    } else if (leftBehind.some((left) => changesInWhatRuns(left, candidate.definition).length === 0)) {
      skipped.push(`${candidate.version} (${runs}) runs what a rollback left`);
    } else {
      const changed = changesInWhatRuns(current, candidate.definition).map((c) => c.path);
      return {
        version: candidate.version,
        reason: `${candidate.version} (${runs}) is the newest earlier version that runs something else (${changed.slice(0, 3).join(", ")}${changed.length > 3 ? ", ..." : ""})${skipped.length ? `; skipped ${skipped.join("; ")}` : ""}`,
      };
    }
  }
  return {
    version: undefined,
    reason: `no earlier version runs something else that a rollback has not already left${skipped.length ? ` (skipped ${skipped.join("; ")})` : ""}; name one with --to (see mdeploy history)`,
  };
}

/** Up to `count` stored versions nearest in time to `asked` (for "unknown version" messages). */
export function nearestVersions(versions: readonly string[], asked: string, count = 3): string[] {
  // Marathon versions are ISO 8601 timestamps; anything else (a tag such as "1.1.0") has no "near".
  const askedMs = /^\d{4}-\d{2}-\d{2}T/.test(asked) ? Date.parse(asked) : Number.NaN;
  if (Number.isNaN(askedMs)) return [...versions].sort().reverse().slice(0, count);
  return [...versions].sort((a, b) => Math.abs(Date.parse(a) - askedMs) - Math.abs(Date.parse(b) - askedMs) || (a < b ? 1 : -1)).slice(0, count);
}

function newestFirst(stored: readonly StoredVersion[]): StoredVersion[] {
  return [...stored].sort((a, b) => (a.version < b.version ? 1 : a.version > b.version ? -1 : 0));
}
