/**
 * Brings a rendered app definition and the one Marathon returns into the same
 * shape, so that a diff shows only what a deploy would change: Marathon's
 * defaults (cpus 1, mem 128, health check timings, ...) are not changes, nor are
 * fields Marathon fills in itself (versions, task counts, assigned service ports).
 */
import {
  APP_DEFAULT_ALTERNATIVES,
  APP_DEFAULTS,
  DEFAULT_CONTAINER_TYPE,
  DEFAULT_HEALTH_CHECK_PROTOCOL,
  DOCKER_DEFAULTS,
  FETCH_DEFAULTS,
  HEALTH_CHECK_TIMING_DEFAULTS,
  HTTP_HEALTH_CHECK_DEFAULTS,
  NETWORK_HEALTH_CHECK_DEFAULTS,
  PORT_DEFAULTS,
  READINESS_CHECK_DEFAULTS,
} from "../marathon/defaults.js";
import type { AppDefinition } from "../marathon/types.js";

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
/** A normalized app: plain JSON without defaults, read-only or server-filled fields. */
export type NormalizedApp = { [key: string]: Json };

/** Fields in GET /v2/apps/{id} that describe state, not the definition. */
const READ_ONLY = new Set([
  "version",
  "versionInfo",
  "tasksStaged",
  "tasksRunning",
  "tasksHealthy",
  "tasksUnhealthy",
  "deployments",
  "tasks",
  "lastTaskFailure",
  "readinessCheckResults",
  "taskStats",
  "tasksStats",
  "counts",
  // Legacy mirror of portDefinitions; Marathon derives it.
  "ports",
]);

/** Fields Marathon fills in when the definition leaves them out; only a change when the new definition names them. */
const SERVER_FILLED = new Set(["role", "executorResources", "ipAddress", "residency", "tty", "check", "networks"]);

/** Top-level values equal to Marathon's defaults (Marathon 1.4–1.11; several values where versions differ). */
const TOP_DEFAULTS: Record<string, Json[]> = Object.fromEntries(
  [...new Set([...Object.keys(APP_DEFAULTS), ...Object.keys(APP_DEFAULT_ALTERNATIVES)])].map((key) => [
    key,
    [...(key in APP_DEFAULTS ? [APP_DEFAULTS[key]] : []), ...(APP_DEFAULT_ALTERNATIVES[key] ?? [])] as Json[],
  ]),
);

const HEALTH_DEFAULTS: Record<string, Json> = {
  protocol: DEFAULT_HEALTH_CHECK_PROTOCOL,
  ...HEALTH_CHECK_TIMING_DEFAULTS,
  ignoreHttp1xx: HTTP_HEALTH_CHECK_DEFAULTS.ignoreHttp1xx,
  ...NETWORK_HEALTH_CHECK_DEFAULTS,
};

const READINESS_DEFAULTS = READINESS_CHECK_DEFAULTS as unknown as Record<string, Json>;
const FETCH_ENTRY_DEFAULTS: Record<string, Json> = FETCH_DEFAULTS;
const DOCKER_FIELD_DEFAULTS = DOCKER_DEFAULTS as unknown as Record<string, Json>;
// Marathon shows empty labels on a port it was given none for.
const PORT_FIELD_DEFAULTS: Record<string, Json> = { ...PORT_DEFAULTS, labels: {} };

/**
 * Normalizes a pair: the running app (`before`, may be undefined for a new app)
 * and the definition about to be sent (`after`). Both lose defaults; `before`
 * loses server-filled fields `after` does not name, and service ports Marathon
 * assigned where `after` asks for any (port 0).
 */
export function normalizePair(before: AppDefinition | undefined, after: AppDefinition): { before: NormalizedApp | undefined; after: NormalizedApp } {
  const afterN = normalizeApp(after);
  if (!before) return { before: undefined, after: afterN };
  const beforeN = normalizeApp(before);
  for (const key of SERVER_FILLED) if (!(key in after)) delete beforeN[key];
  alignAssignedPorts(beforeN, afterN, after);
  return { before: beforeN, after: afterN };
}

/** Normalizes one definition on its own (defaults removed, nulls dropped, keys sorted). */
export function normalizeApp(app: AppDefinition): NormalizedApp {
  const out: NormalizedApp = {};
  for (const key of Object.keys(app).sort()) {
    if (READ_ONLY.has(key)) continue;
    let value = toJson(app[key]);
    if (value === null || value === undefined) continue;
    value = normalizeField(key, value);
    if (isDefault(TOP_DEFAULTS[key], value)) continue;
    out[key] = value;
  }
  // `uris` is the old spelling of `fetch`; Marathon answers with `fetch`.
  if (Array.isArray(out.uris)) {
    const fromUris = out.uris.map((uri) => ({ uri }) as Json);
    out.fetch = [...(Array.isArray(out.fetch) ? out.fetch : []), ...fromUris];
    delete out.uris;
  }
  return out;
}

function normalizeField(key: string, value: Json): Json {
  switch (key) {
    case "healthChecks":
      return Array.isArray(value) ? value.map((hc) => normalizeHealthCheck(hc)) : value;
    case "readinessChecks":
      return Array.isArray(value) ? value.map((rc) => dropDefaults(rc, READINESS_DEFAULTS)) : value;
    case "fetch":
      return Array.isArray(value) ? value.map((f) => dropDefaults(f, FETCH_ENTRY_DEFAULTS)) : value;
    case "portDefinitions":
      return Array.isArray(value) ? value.map((p) => dropDefaults(p, PORT_FIELD_DEFAULTS)) : value;
    case "container":
      return normalizeContainer(value);
    case "upgradeStrategy":
      // 1.4 filled a missing half with 1; later versions demand both.
      return isObject(value) ? { minimumHealthCapacity: value.minimumHealthCapacity ?? 1, maximumOverCapacity: value.maximumOverCapacity ?? 1 } : value;
    default:
      return value;
  }
}

function normalizeHealthCheck(value: Json): Json {
  if (!isObject(value)) return value;
  const out = dropDefaults(value, HEALTH_DEFAULTS) as { [key: string]: Json };
  const protocol = String(value.protocol ?? DEFAULT_HEALTH_CHECK_PROTOCOL);
  if (protocol.includes("HTTP") && out.path === HTTP_HEALTH_CHECK_DEFAULTS.path) delete out.path;
  if (out.portIndex === 0 && value.port === undefined) delete out.portIndex;
  if (!protocol.startsWith("MESOS")) delete out.delaySeconds;
  return out;
}

function normalizeContainer(value: Json): Json {
  if (!isObject(value)) return value;
  const out: { [key: string]: Json } = { ...value };
  if (out.type === undefined) out.type = DEFAULT_CONTAINER_TYPE;
  if (isObject(out.docker)) out.docker = dropDefaults(out.docker, DOCKER_FIELD_DEFAULTS);
  if (Array.isArray(out.volumes) && out.volumes.length === 0) delete out.volumes;
  if (Array.isArray(out.portMappings)) out.portMappings = out.portMappings.map((p) => dropDefaults(p, PORT_FIELD_DEFAULTS));
  return out;
}

/** Where the new definition asks for any service port (0), the one Marathon assigned is no change. */
function alignAssignedPorts(before: NormalizedApp, after: NormalizedApp, raw: AppDefinition): void {
  const beforePorts = before.portDefinitions;
  if (!Array.isArray(beforePorts)) return;
  if (raw.portDefinitions === undefined && raw.ports === undefined && !raw.container?.portMappings && !raw.container?.docker?.portMappings) {
    // Marathon gives a host-networked app one port when it names none.
    const only = beforePorts[0];
    if (beforePorts.length === 1 && isObject(only) && (only.name === undefined || only.name === "default") && Object.keys(only).every((k) => k === "port" || k === "name")) {
      delete before.portDefinitions;
    }
    return;
  }
  const afterPorts = after.portDefinitions;
  if (!Array.isArray(afterPorts)) return;
  afterPorts.forEach((p, i) => {
    const b = beforePorts[i];
    if (isObject(p) && isObject(b) && (p.port === 0 || p.port === undefined) && typeof b.port === "number") b.port = p.port ?? 0;
  });
}

function dropDefaults(value: Json, defaults: Record<string, Json>): Json {
  if (!isObject(value)) return value;
  const out: { [key: string]: Json } = {};
  for (const key of Object.keys(value).sort()) {
    const v = value[key];
    if (v === null || v === undefined) continue;
    if (key in defaults && sameJson(v, defaults[key] as Json)) continue;
    out[key] = v;
  }
  return out;
}

function isDefault(defaults: Json[] | undefined, value: Json): boolean {
  return defaults !== undefined && defaults.some((d) => sameJson(d, value));
}

function isObject(value: Json | undefined): value is { [key: string]: Json } {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Structural equality of JSON values (object key order ignored). */
export function sameJson(a: Json | undefined, b: Json | undefined): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((v, i) => sameJson(v, b[i]));
  }
  if (isObject(a) && isObject(b)) {
    const ka = Object.keys(a).filter((k) => a[k] !== undefined);
    const kb = Object.keys(b).filter((k) => b[k] !== undefined);
    return ka.length === kb.length && ka.every((k) => sameJson(a[k], b[k]));
  }
  return false;
}

function toJson(value: unknown): Json {
  return value === undefined ? null : (JSON.parse(JSON.stringify(value)) as Json);
}

export type { Json };
