// Twin of src/validate/app-rules.ts and src/validate/validate-app.ts (Marathon's 422 rules, kept twice on purpose: src/sim/README.md "Twins"); cross-checked by test/twins-422.test.ts.
import {
  APP_DEFAULTS,
  DEFAULT_CONTAINER_TYPE,
  DEFAULT_HEALTH_CHECK_PROTOCOL,
  DOCKER_DEFAULTS,
  HEALTH_CHECK_TIMING_DEFAULTS,
  HTTP_HEALTH_CHECK_DEFAULTS,
  NETWORK_HEALTH_CHECK_DEFAULTS,
  PORT_DEFAULTS,
  READINESS_CHECK_DEFAULTS,
} from "../marathon/defaults.js";
import type { AppDefinition, HealthCheck, MarathonErrorBody } from "../marathon/types.js";
import type { ErrorDetail } from "./api-types.js";
import { canonicalPath, parentOf } from "./groups.js";
import { residentDefaults } from "./resident.js";

/**
 * Marathon's reading, validation and defaulting of app definitions (app.raml,
 * AppValidation.scala, AppDefinition.scala), enough for the simulator to answer
 * 422 with the same paths and messages Marathon uses. Pure.
 */

type Kind = "string" | "number" | "integer" | "boolean" | "array" | "object";

/** Top-level field types; `null` is accepted where Marathon's JSON reads it as "absent". */
const FIELD_TYPES: Record<string, { kind: Kind; nullable?: boolean; items?: Kind }> = {
  id: { kind: "string" },
  cmd: { kind: "string", nullable: true },
  args: { kind: "array", nullable: true, items: "string" },
  user: { kind: "string", nullable: true },
  instances: { kind: "integer" },
  cpus: { kind: "number" },
  mem: { kind: "number" },
  disk: { kind: "number" },
  gpus: { kind: "integer" },
  executor: { kind: "string" },
  constraints: { kind: "array", items: "array" },
  uris: { kind: "array", items: "string" },
  fetch: { kind: "array", items: "object" },
  storeUrls: { kind: "array", items: "string" },
  backoffSeconds: { kind: "number" },
  backoffFactor: { kind: "number" },
  maxLaunchDelaySeconds: { kind: "number" },
  container: { kind: "object", nullable: true },
  healthChecks: { kind: "array", items: "object" },
  readinessChecks: { kind: "array", items: "object" },
  dependencies: { kind: "array", items: "string" },
  upgradeStrategy: { kind: "object" },
  labels: { kind: "object" },
  acceptedResourceRoles: { kind: "array", items: "string" },
  env: { kind: "object" },
  secrets: { kind: "object" },
  portDefinitions: { kind: "array", items: "object" },
  ports: { kind: "array", items: "integer" },
  requirePorts: { kind: "boolean" },
  networks: { kind: "array", items: "object" },
  killSelection: { kind: "string" },
  taskKillGracePeriodSeconds: { kind: "number", nullable: true },
  role: { kind: "string" },
  version: { kind: "string" },
};

const JS_ERROR: Record<Kind, string> = {
  string: "error.expected.jsstring",
  number: "error.expected.jsnumber",
  integer: "error.expected.jsnumber",
  boolean: "error.expected.jsboolean",
  array: "error.expected.jsarray",
  object: "error.expected.jsobject",
};

function hasKind(value: unknown, kind: Kind): boolean {
  switch (kind) {
    case "string":
      return typeof value === "string";
    case "number":
      return typeof value === "number" && Number.isFinite(value);
    case "integer":
      return typeof value === "number" && Number.isInteger(value);
    case "boolean":
      return typeof value === "boolean";
    case "array":
      return Array.isArray(value);
    case "object":
      return typeof value === "object" && value !== null && !Array.isArray(value);
  }
}

/**
 * Type-level problems Marathon reports as 422 "Invalid JSON" (1.5+): wrong JSON
 * types and, for `upgradeStrategy`, missing fields. Array elements use Marathon's
 * `/field(0)` path notation.
 */
export function readErrors(body: unknown, prefix = ""): ErrorDetail[] {
  const details: ErrorDetail[] = [];
  const add = (path: string, error: string) => details.push({ path: `${prefix}${path}`, errors: [error] });
  if (!hasKind(body, "object")) {
    add("/", "error.expected.jsobject");
    return details;
  }
  const app = body as Record<string, unknown>;
  for (const [field, type] of Object.entries(FIELD_TYPES)) {
    const value = app[field];
    if (value === undefined || (value === null && type.nullable)) continue;
    if (!hasKind(value, type.kind)) {
      add(`/${field}`, JS_ERROR[type.kind]);
      continue;
    }
    if (type.items && Array.isArray(value)) {
      value.forEach((item, i) => {
        if (!hasKind(item, type.items as Kind)) add(`/${field}(${i})`, JS_ERROR[type.items as Kind]);
      });
    }
  }
  if (hasKind(app.upgradeStrategy, "object")) {
    const us = app.upgradeStrategy as Record<string, unknown>;
    for (const f of ["minimumHealthCapacity", "maximumOverCapacity"]) {
      if (us[f] === undefined) add(`/upgradeStrategy/${f}`, "error.path.missing");
      else if (!hasKind(us[f], "number")) add(`/upgradeStrategy/${f}`, "error.expected.jsnumber");
    }
  }
  for (const map of ["labels", "env"] as const) {
    if (!hasKind(app[map], "object")) continue;
    for (const [k, v] of Object.entries(app[map] as Record<string, unknown>)) {
      const ok = typeof v === "string" || (map === "env" && hasKind(v, "object") && typeof (v as { secret?: unknown }).secret === "string");
      if (!ok) add(`/${map}/${k}`, "error.expected.jsstring");
    }
  }
  if (Array.isArray(app.healthChecks)) {
    app.healthChecks.forEach((hc, i) => {
      if (!hasKind(hc, "object")) return;
      for (const [f, kind] of Object.entries({ gracePeriodSeconds: "integer", intervalSeconds: "integer", timeoutSeconds: "integer", maxConsecutiveFailures: "integer", portIndex: "integer", path: "string", protocol: "string" } as const)) {
        const v = (hc as Record<string, unknown>)[f];
        if (v !== undefined && !hasKind(v, kind)) add(`/healthChecks(${i})/${f}`, JS_ERROR[kind]);
      }
    });
  }
  if (hasKind(app.container, "object")) {
    const docker = (app.container as Record<string, unknown>).docker;
    if (docker !== undefined && !hasKind(docker, "object")) add("/container/docker", "error.expected.jsobject");
    else if (hasKind(docker, "object")) {
      const image = (docker as Record<string, unknown>).image;
      if (image !== undefined && typeof image !== "string") add("/container/docker/image", "error.expected.jsstring");
    }
  }
  return details;
}

const ID_SEGMENT = /^(([a-z0-9]|[a-z0-9][a-z0-9-]*[a-z0-9])\.)*([a-z0-9]|[a-z0-9][a-z0-9-]*[a-z0-9])$|^(\.|\.\.)$/;
const ID_REGEX_TEXT = "^(([a-z0-9]|[a-z0-9][a-z0-9\\-]*[a-z0-9])\\.)*([a-z0-9]|[a-z0-9][a-z0-9\\-]*[a-z0-9])|(\\.|\\.\\.)$";
const OPERATORS = new Set(["UNIQUE", "CLUSTER", "GROUP_BY", "LIKE", "UNLIKE", "MAX_PER", "IS"]);
const HC_PROTOCOLS = new Set(["HTTP", "HTTPS", "TCP", "COMMAND", "MESOS_HTTP", "MESOS_HTTPS", "MESOS_TCP"]);

/** Scala prints doubles with a decimal point ("got 1.0, expected 0.0"). */
function scalaDouble(n: number): string {
  return Number.isInteger(n) ? n.toFixed(1) : String(n);
}

/** Turns `/a/b` or `a/b` into Marathon's absolute, normalised app id. */
export function absoluteAppId(id: string): string {
  const segments = id.split("/").filter((s) => s !== "");
  return `/${segments.join("/")}`;
}

/** Semantic problems Marathon reports as 422 "Object is not valid". `app` already passed {@link readErrors}. */
export function validationErrors(app: AppDefinition): ErrorDetail[] {
  const details: ErrorDetail[] = [];
  const add = (path: string, error: string) => {
    const existing = details.find((d) => d.path === path);
    if (existing) existing.errors.push(error);
    else details.push({ path, errors: [error] });
  };
  const segments = app.id.split("/").filter((s) => s !== "");
  if (segments.length === 0) add("/id", "Path must contain at least one path element");
  for (const segment of segments) {
    if (!ID_SEGMENT.test(segment)) {
      add("/id", `must fully match regular expression '${ID_REGEX_TEXT}'`);
      break;
    }
  }
  const last = segments[segments.length - 1];
  if (last && ["restart", "tasks", "versions"].includes(last)) add("/id", `must not end with '${last}'`);
  for (const f of ["cpus", "mem", "disk"] as const) {
    const v = app[f];
    if (typeof v === "number" && v < 0) add(`/${f}`, `got ${scalaDouble(v)}, expected ${scalaDouble(0)} or more`);
  }
  if (typeof app.instances === "number" && app.instances < 0) add("/instances", `got ${app.instances}, expected 0 or more`);
  if (typeof app.backoffFactor === "number" && app.backoffFactor < 1) add("/backoffFactor", `got ${scalaDouble(app.backoffFactor)}, expected ${scalaDouble(1)} or more`);
  if (typeof app.backoffSeconds === "number" && app.backoffSeconds < 0) add("/backoffSeconds", `got ${app.backoffSeconds}, expected 0 or more`);
  const us = app.upgradeStrategy;
  if (us) {
    for (const f of ["minimumHealthCapacity", "maximumOverCapacity"] as const) {
      const v = us[f];
      if (v < 0 || v > 1) add(`/upgradeStrategy/${f}`, `got ${scalaDouble(v)}, expected between 0.0 and 1.0`);
    }
  }
  if (app.labels?.MARATHON_SINGLE_INSTANCE_APP === "true") {
    if (us && (us.minimumHealthCapacity !== 0 || us.maximumOverCapacity !== 0)) add("/upgradeStrategy", "Single instance app may only have minimumHealthCapacity = 0 and maximumOverCapacity = 0");
    if ((app.instances ?? 1) > 1) add("/instances", `got ${app.instances}, expected 1 or less`);
  }
  const hasCmd = typeof app.cmd === "string" && app.cmd !== "";
  const hasArgs = Array.isArray(app.args) && app.args.length > 0;
  const container = app.container ?? undefined;
  if ((!hasCmd && !hasArgs && !container) || (hasCmd && hasArgs)) add("/", "AppDefinition must either contain one of 'cmd' or 'args', and/or a 'container'.");
  if (container) {
    const type = container.type ?? "DOCKER";
    if (type !== "DOCKER" && type !== "MESOS") add("/container/type", "error.unknown.enum.literal");
    if (type === "DOCKER" && (!container.docker || !container.docker.image)) add("/container/docker/image", "must not be empty");
    const pull = container.docker?.pullConfig;
    if (pull) {
      // 1.5+: pull secrets are a Mesos-containerizer feature and must name a declared secret.
      if (type !== "MESOS") add("/container/docker/pullConfig", "pullConfig is supported only with Mesos containerizer");
      if (!(app.secrets && Object.hasOwn(app.secrets, pull.secret))) add("/container/docker/pullConfig/secret", "pullConfig.secret must refer to an existing secret");
    }
    const hostNetworking = (app.networks ?? []).every((n) => (n.mode ?? "host") === "host");
    if (hostNetworking && (container.portMappings?.length ?? 0) > 0) add("/container/portMappings", "Port mappings are only allowed with container or bridge networking");
  }
  (app.constraints ?? []).forEach((c, i) => {
    const [field, op, value] = c as string[];
    const path = `/constraints(${i})`;
    if (typeof field !== "string" || typeof op !== "string" || !OPERATORS.has(op)) {
      add(path, "Constraint operator must be one of the following UNIQUE, CLUSTER, GROUP_BY, LIKE, UNLIKE, MAX_PER or IS");
      return;
    }
    if (op === "UNIQUE" && value !== undefined) add(path, "Value specified but not used");
    if ((op === "LIKE" || op === "UNLIKE" || op === "IS" || op === "MAX_PER") && (value === undefined || value === "")) add(path, "Missing value");
    if ((op === "LIKE" || op === "UNLIKE") && value !== undefined) {
      try {
        new RegExp(value);
      } catch {
        add(path, `'${value}' is not a valid regular expression`);
      }
    }
    if ((op === "MAX_PER" || (op === "GROUP_BY" && value !== undefined)) && !/^\d+$/.test(value ?? "")) add(path, "Value was not an integer number");
  });
  const portCount = portCountOf(app);
  (app.healthChecks ?? []).forEach((hc, i) => {
    const path = `/healthChecks(${i})`;
    const protocol = hc.protocol ?? "HTTP";
    if (!HC_PROTOCOLS.has(protocol)) add(`${path}/protocol`, "error.unknown.enum.literal");
    if (protocol === "COMMAND") {
      if (!hc.command?.value) add(`${path}/command`, "must not be empty");
    } else if (hc.port === undefined && (hc.portIndex ?? 0) >= portCount) {
      add(path, "Health check port indices must address an element of the ports array or container port mappings.");
    }
    for (const f of ["gracePeriodSeconds", "intervalSeconds", "timeoutSeconds", "maxConsecutiveFailures"] as const) {
      const v = hc[f];
      if (typeof v === "number" && v < 0) add(`${path}/${f}`, `got ${v}, expected 0 or more`);
    }
  });
  if ((app.healthChecks ?? []).filter((hc) => (hc.protocol ?? "HTTP").startsWith("MESOS_") || hc.protocol === "COMMAND").length > 1) {
    add("/healthChecks", "AppDefinition can only have 1 Mesos health check");
  }
  const portNames = portNamesOf(app);
  (app.readinessChecks ?? []).forEach((rc, i) => {
    const path = `/readinessChecks(${i})`;
    const portName = rc.portName ?? "http-api";
    if (!portNames.includes(portName)) add(path, "readinessCheck.portName must reference a port name defined in portDefinitions or portMappings");
    const interval = rc.intervalSeconds ?? 30;
    const timeout = rc.timeoutSeconds ?? 10;
    if (timeout >= interval) add(path, "timeoutSeconds must be less than intervalSeconds");
  });
  if ((app.readinessChecks?.length ?? 0) > 1) add("/readinessChecks", "only 1 readinessCheck is currently supported");
  const unreachable = app.unreachableStrategy;
  if (unreachable && typeof unreachable === "object" && unreachable.inactiveAfterSeconds > unreachable.expungeAfterSeconds) {
    add("/unreachableStrategy/inactiveAfterSeconds", "inactiveAfterSeconds must be less or equal to expungeAfterSeconds");
  }
  if (app.killSelection !== undefined && app.killSelection !== "YOUNGEST_FIRST" && app.killSelection !== "OLDEST_FIRST") add("/killSelection", "error.unknown.enum.literal");
  for (const [name, value] of Object.entries(app.env ?? {})) {
    if (typeof value === "object" && !(app.secrets && value.secret in app.secrets)) add(`/env/${name}`, "references an undefined secret");
  }
  return details;
}

/** Host-side ports an instance uses: portDefinitions under host networking, portMappings otherwise. */
function portCountOf(app: AppDefinition): number {
  const mappings = app.container?.portMappings ?? app.container?.docker?.portMappings;
  const hostNetworking = (app.networks ?? []).every((n) => (n.mode ?? "host") === "host");
  if (!hostNetworking && mappings) return mappings.length;
  return (app.portDefinitions ?? (app.ports ? app.ports.map((port) => ({ port })) : [{ port: 0 }])).length;
}

function portNamesOf(app: AppDefinition): string[] {
  const mappings = app.container?.portMappings ?? app.container?.docker?.portMappings ?? [];
  return [...(app.portDefinitions ?? []), ...mappings].map((p) => p.name).filter((n): n is string => typeof n === "string");
}

/** Host ports one instance asks for (0 = any), as the offer matcher needs them. */
export function requestedHostPorts(app: AppDefinition): number[] {
  const hostNetworking = (app.networks ?? []).every((n) => (n.mode ?? "host") === "host");
  const mappings = app.container?.portMappings ?? app.container?.docker?.portMappings;
  if (!hostNetworking) {
    // Container networking without hostPort uses no host port at all.
    return (mappings ?? []).filter((m) => m.hostPort !== undefined).map((m) => m.hostPort ?? 0);
  }
  const defs = app.portDefinitions ?? [];
  return defs.map((d) => (app.requirePorts ? d.port : 0));
}

function withHealthCheckDefaults(hc: HealthCheck): HealthCheck {
  const protocol = hc.protocol ?? DEFAULT_HEALTH_CHECK_PROTOCOL;
  const out: HealthCheck = { ...HEALTH_CHECK_TIMING_DEFAULTS, ...hc, protocol };
  if (protocol !== "COMMAND") {
    out.ipProtocol = hc.ipProtocol ?? NETWORK_HEALTH_CHECK_DEFAULTS.ipProtocol;
    if (hc.port === undefined) out.portIndex = hc.portIndex ?? 0;
  }
  if (protocol.includes("HTTP")) {
    out.path = hc.path ?? HTTP_HEALTH_CHECK_DEFAULTS.path;
    out.ignoreHttp1xx = hc.ignoreHttp1xx ?? HTTP_HEALTH_CHECK_DEFAULTS.ignoreHttp1xx;
  }
  return out;
}

/** Fills Marathon's defaults, as `GET /v2/apps/{id}` shows them. */
export function normalizeApp(input: AppDefinition): AppDefinition {
  const app: AppDefinition = { ...input, id: absoluteAppId(input.id) };
  // Marathon stores dependencies as absolute ids, resolved against the app's group.
  if (Array.isArray(app.dependencies)) app.dependencies = app.dependencies.map((d) => canonicalPath(d, parentOf(app.id)));
  const hostNetworking = (app.networks ?? []).every((n) => (n.mode ?? "host") === "host");
  if (app.ports && !app.portDefinitions) app.portDefinitions = app.ports.map((port) => ({ port, protocol: "tcp" }));
  delete app.ports;
  if (hostNetworking && !app.portDefinitions) app.portDefinitions = [{ port: 0, protocol: "tcp", name: "default" }];
  if (!hostNetworking) app.portDefinitions = [];
  Object.assign(app, residentDefaults(app));
  for (const [k, v] of Object.entries(APP_DEFAULTS)) if (app[k] === undefined || app[k] === null) app[k] = structuredClone(v);
  if (app.cmd === null) delete app.cmd;
  if (app.args === null) delete app.args;
  app.portDefinitions = (app.portDefinitions ?? []).map((p) => ({ ...PORT_DEFAULTS, ...p }));
  app.healthChecks = (app.healthChecks ?? []).map(withHealthCheckDefaults);
  app.readinessChecks = (app.readinessChecks ?? []).map((rc) => ({ ...structuredClone(READINESS_CHECK_DEFAULTS), ...rc }));
  if (app.container) {
    const type = app.container.type ?? DEFAULT_CONTAINER_TYPE;
    app.container = { ...app.container, type, volumes: app.container.volumes ?? [] };
    if (app.container.docker) app.container.docker = { ...structuredClone(DOCKER_DEFAULTS), ...app.container.docker };
  }
  return app;
}

/** A copy of a stored definition without its version stamps, to deploy it again as a new version. */
export function stripVersion(def: AppDefinition): AppDefinition {
  const copy = structuredClone(def);
  delete copy.version;
  delete copy.versionInfo;
  return copy;
}

/** Fields that are not part of a definition's identity (Marathon's `isUpgrade` ignores them). */
const NON_CONFIG = new Set(["instances", "version", "versionInfo"]);

/** Marathon's `isUpgrade`: anything but `instances` changed, so every instance must be replaced. */
export function isUpgrade(from: AppDefinition, to: AppDefinition): boolean {
  return canonical(stripped(from)) !== canonical(stripped(to));
}

function stripped(app: AppDefinition): Record<string, unknown> {
  return Object.fromEntries(Object.entries(app).filter(([k]) => !NON_CONFIG.has(k)));
}

/** JSON with sorted keys, so equal definitions compare equal whatever the key order. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === "object" && !Array.isArray(v) ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b))) : v,
  );
}

/** Builds Marathon's 422 bodies. */
export function invalidJsonBody(details: ErrorDetail[]): MarathonErrorBody {
  return { message: "Invalid JSON", details };
}

export function notValidBody(details: ErrorDetail[]): MarathonErrorBody {
  return { message: "Object is not valid", details };
}
