/**
 * The normalized diff between the running app and the one a deploy would send:
 * Marathon's defaults are not changes, and secret values are never shown, only
 * that they changed.
 */
import type { AppDefinition } from "../marathon/types.js";
import { REDACTED, isSecretVariableName } from "../core/redact.js";
import { normalizePair, sameJson, type Json } from "./normalize-app.js";

/** One difference, at a dotted JSON path such as `container.docker.image` or `healthChecks[0].path`. */
export interface AppChange {
  path: string;
  kind: "added" | "removed" | "changed";
  before?: Json;
  after?: Json;
}

export interface DiffOptions {
  /** Redacts known secret values inside shown text (the CLI passes its redactor). */
  redact?: (text: string) => string;
}

/** Changes from `before` (the running app; undefined for a new app) to `after`. Secret env values are replaced by [REDACTED]. */
export function diffApps(before: AppDefinition | undefined, after: AppDefinition, options: DiffOptions = {}): AppChange[] {
  const changes: AppChange[] = [];
  if (!before) {
    // A new app: show what is sent, as written (defaults a template spells out included).
    const raw = JSON.parse(JSON.stringify(after)) as { [key: string]: Json };
    walk({}, raw, "", changes);
  } else {
    const pair = normalizePair(before, after);
    walk(pair.before ?? {}, pair.after, "", changes);
  }
  return changes.map((change) => hideSecrets(change, options.redact));
}

/** Paths a restart is triggered by: anything but `instances` (and the strategy, which mdeploy chooses). */
export function changesNeedRestart(changes: readonly AppChange[]): boolean {
  return changes.some((c) => c.path !== "instances" && c.path !== "upgradeStrategy" && !c.path.startsWith("upgradeStrategy."));
}

function walk(before: Json | undefined, after: Json | undefined, path: string, out: AppChange[]): void {
  if (sameJson(before, after)) return;
  if (before === undefined) {
    out.push({ path, kind: "added", after: after as Json });
    return;
  }
  if (after === undefined) {
    out.push({ path, kind: "removed", before });
    return;
  }
  if (isPlainObject(before) && isPlainObject(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    for (const key of keys) walk(before[key], after[key], path ? `${path}.${key}` : key, out);
    return;
  }
  // Arrays of objects (health checks, port definitions) diff per element; arrays of scalars as a whole.
  if (Array.isArray(before) && Array.isArray(after) && [...before, ...after].every(isPlainObject)) {
    const length = Math.max(before.length, after.length);
    for (let i = 0; i < length; i++) walk(before[i], after[i], `${path}[${i}]`, out);
    return;
  }
  out.push({ path, kind: "changed", before, after });
}

function isPlainObject(value: Json | undefined): value is { [key: string]: Json } {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Env entries named like secrets (`*_PASSWORD`, `*_TOKEN`, ...) show no value; everything else passes the redactor. */
function hideSecrets(change: AppChange, redact: ((text: string) => string) | undefined): AppChange {
  const envKey = /^env\.(.+)$/.exec(change.path)?.[1];
  // A variable that holds a known secret on one side held one on the other too (a rotated
  // password): the old value is unknown to the redactor, so the whole value is hidden.
  const holdsSecret = (value: Json | undefined) => typeof value === "string" && redact !== undefined && redact(value) !== value;
  const secretEnv = envKey !== undefined && (isSecretVariableName(envKey) || holdsSecret(change.before) || holdsSecret(change.after));
  const show = (value: Json | undefined): Json | undefined => {
    if (value === undefined) return undefined;
    if (secretEnv && typeof value === "string") return REDACTED;
    if (change.path === "env" && isPlainObject(value)) {
      const copy: { [key: string]: Json } = {};
      for (const [k, v] of Object.entries(value)) copy[k] = isSecretVariableName(k) && typeof v === "string" ? REDACTED : v;
      value = copy;
    }
    return redact ? redactStrings(value, redact) : value;
  };
  const out: AppChange = { path: change.path, kind: change.kind };
  if (change.before !== undefined) out.before = show(change.before);
  if (change.after !== undefined) out.after = show(change.after);
  return out;
}

function redactStrings(value: Json, redact: (text: string) => string): Json {
  if (typeof value === "string") return redact(value);
  if (Array.isArray(value)) return value.map((v) => redactStrings(v, redact));
  if (isPlainObject(value)) {
    const out: { [key: string]: Json } = {};
    for (const [k, v] of Object.entries(value)) out[k] = redactStrings(v, redact);
    return out;
  }
  return value;
}

/** Text for people: one line per change, `+` added, `-` removed, `~` changed. */
export function formatDiff(changes: readonly AppChange[]): string[] {
  if (changes.length === 0) return ["no changes to the app definition"];
  return changes.map((c) => {
    const label = c.path || "(app)";
    if (c.kind === "added") return `+ ${label}: ${brief(c.after)}`;
    if (c.kind === "removed") return `- ${label}: ${brief(c.before)}`;
    const secretUnchangedLooking = c.before === REDACTED && c.after === REDACTED;
    return secretUnchangedLooking ? `~ ${label}: changed (secret value hidden)` : `~ ${label}: ${brief(c.before)} -> ${brief(c.after)}`;
  });
}

function brief(value: Json | undefined): string {
  const text = JSON.stringify(value) ?? "undefined";
  return text.length > 200 ? `${text.slice(0, 197)}...` : text;
}
