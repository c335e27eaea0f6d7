// Twin of src/sim/app-definition.ts (Marathon's 422 rules, kept twice on purpose: src/sim/README.md "Twins"); cross-checked by test/twins-422.test.ts.
/**
 * The cross-field rules Marathon enforces with 422 (notes: AppValidation.scala,
 * PathId.scala, SchedulingValidation.scala), checked before anything is sent
 * so a bad template fails in `render`, not in the middle of a deploy. Paths
 * are JSON pointers as Marathon's 422 `details` have them; "/" is the whole app.
 */
import type { AppDefinition, HealthCheck } from "../marathon/types.js";
import type { Problem } from "../core/problem.js";

/** One path segment: dot-separated labels of [a-z0-9-], no label starting or ending with "-". */
const ID_SEGMENT = /^(([a-z0-9]|[a-z0-9][a-z0-9-]*[a-z0-9])\.)*([a-z0-9]|[a-z0-9][a-z0-9-]*[a-z0-9])$/;
const RESERVED_LAST_SEGMENTS = ["restart", "tasks", "versions"];

/** Checks an app id (or dependency) against Marathon's path rules; returns the first broken rule in words. */
export function checkAppId(id: string): string | undefined {
  if (!id.startsWith("/")) return `"${id}" must be absolute (start with "/")`;
  const segments = id.slice(1).split("/");
  if (segments.length === 1 && segments[0] === "") return `"${id}" is the root group, not an app`;
  for (const segment of segments) {
    if (segment === "") return `"${id}" has an empty path segment (// or a trailing /)`;
    if (!ID_SEGMENT.test(segment)) return `"${id}": segment "${segment}" may only contain lower-case letters, digits, "-" and ".", and may not start or end with "-" or "."`;
  }
  const last = segments[segments.length - 1] ?? "";
  if (RESERVED_LAST_SEGMENTS.includes(last)) return `"${id}": the last segment may not be "${last}" (Marathon uses it in its API paths)`;
  return undefined;
}

/** Every 422 rule mdeploy checks, as problems with JSON pointers. The app has already passed the schema. */
export function appRuleProblems(app: AppDefinition): Problem[] {
  const problems: Problem[] = [];
  const add = (path: string, message: string) => problems.push({ path, message });

  const idProblem = checkAppId(app.id);
  if (idProblem) add("/id", `invalid app id ${idProblem}`);
  (app.dependencies ?? []).forEach((dep, i) => {
    const depProblem = checkAppId(dep);
    if (depProblem) add(`/dependencies/${i}`, `invalid dependency ${depProblem}`);
  });

  // Exactly one of cmd/args, or a container (which may run the image's own entrypoint).
  const hasCmd = typeof app.cmd === "string";
  const hasArgs = Array.isArray(app.args);
  const hasContainer = app.container !== undefined && app.container !== null;
  if (hasCmd && hasArgs) add("/", "AppDefinition must contain either 'cmd' or 'args', not both");
  if (!hasCmd && !hasArgs && !hasContainer) add("/", "AppDefinition must contain one of 'cmd' or 'args', and/or a 'container'");

  upgradeStrategyRules(app, add);
  constraintRules(app, add);
  containerRules(app, add);
  portUniquenessRules(app, add);
  healthCheckRules(app, add);
  readinessRules(app, add);

  if (app.unreachableStrategy && typeof app.unreachableStrategy === "object") {
    const { inactiveAfterSeconds = 0, expungeAfterSeconds = 0 } = app.unreachableStrategy;
    if (inactiveAfterSeconds > expungeAfterSeconds) add("/unreachableStrategy/inactiveAfterSeconds", `got ${inactiveAfterSeconds}, expected at most expungeAfterSeconds (${expungeAfterSeconds})`);
  }

  for (const [name, value] of Object.entries(app.env ?? {})) {
    if (typeof value === "object" && !(app.secrets && Object.hasOwn(app.secrets, value.secret))) {
      add(`/env/${name}`, `refers to secret "${value.secret}", which is not defined under secrets`);
    }
  }
  return problems;
}

type Add = (path: string, message: string) => void;

function isResident(app: AppDefinition): boolean {
  const volumes = app.container?.volumes ?? [];
  return app.residency !== undefined || volumes.some((v) => typeof v === "object" && v !== null && "persistent" in v);
}

function upgradeStrategyRules(app: AppDefinition, add: Add): void {
  const strategy = app.upgradeStrategy as Partial<AppDefinition["upgradeStrategy"]> | undefined;
  if (strategy) {
    // Marathon 1.5+ requires both once upgradeStrategy is sent (1.4 defaulted them).
    for (const field of ["minimumHealthCapacity", "maximumOverCapacity"] as const) {
      const value = strategy[field];
      if (value === undefined) add(`/upgradeStrategy/${field}`, "is required when upgradeStrategy is given");
      else if (value < 0 || value > 1) add(`/upgradeStrategy/${field}`, `got ${value}, expected between 0.0 and 1.0`);
    }
  }
  if (isResident(app)) {
    if (strategy?.maximumOverCapacity !== undefined && strategy.maximumOverCapacity !== 0) {
      add("/upgradeStrategy/maximumOverCapacity", `got ${strategy.maximumOverCapacity}, expected 0.0 (an app with persistent volumes cannot run extra instances)`);
    }
    if (app.unreachableStrategy !== undefined && app.unreachableStrategy !== "disabled") {
      add("/unreachableStrategy", 'must be "disabled" for an app with persistent volumes');
    }
  }
  if (app.labels?.MARATHON_SINGLE_INSTANCE_APP === "true") {
    if (!strategy || strategy.minimumHealthCapacity !== 0 || strategy.maximumOverCapacity !== 0) {
      add("/upgradeStrategy", "a MARATHON_SINGLE_INSTANCE_APP needs minimumHealthCapacity 0 and maximumOverCapacity 0");
    }
    if (typeof app.instances === "number" && app.instances > 1) add("/instances", `got ${app.instances}, a MARATHON_SINGLE_INSTANCE_APP runs at most 1`);
  }
}

/** Operators and what their value must be (notes section 5, "Constraints"). */
const OPERATORS: Record<string, { value: "none" | "optional" | "required"; check?: (value: string) => string | undefined }> = {
  UNIQUE: { value: "none" },
  CLUSTER: { value: "optional" },
  GROUP_BY: { value: "optional", check: integerValue },
  MAX_PER: { value: "required", check: integerValue },
  LIKE: { value: "required", check: regexValue },
  UNLIKE: { value: "required", check: regexValue },
  IS: { value: "required" },
};

function integerValue(value: string): string | undefined {
  return /^\d+$/.test(value) ? undefined : `value "${value}" must be a whole number`;
}

function regexValue(value: string): string | undefined {
  try {
    new RegExp(value);
    return undefined;
  } catch {
    return `value "${value}" is not a valid regular expression`;
  }
}

function constraintRules(app: AppDefinition, add: Add): void {
  (app.constraints ?? []).forEach((constraint, i) => {
    const path = `/constraints/${i}`;
    const [field, operator, value] = constraint as string[];
    if (constraint.length < 2 || constraint.length > 3) {
      add(path, `got ${JSON.stringify(constraint)}: a constraint is [field, OPERATOR] or [field, OPERATOR, value]`);
      return;
    }
    if (!field) add(path, "the field name (first element) is empty");
    const rule = OPERATORS[operator ?? ""];
    if (!rule) {
      add(path, `unknown operator "${operator}" (expected one of ${Object.keys(OPERATORS).join(", ")})`);
      return;
    }
    if (rule.value === "none" && value !== undefined) add(path, `${operator} takes no value: write ["${field}", "${operator}"]`);
    if (rule.value === "required" && value === undefined) add(path, `${operator} needs a value: ["${field}", "${operator}", value]`);
    if (value !== undefined && rule.check) {
      const problem = rule.check(value);
      if (problem) add(path, `${operator}: ${problem}`);
    }
  });
}

/** Whether tasks share the agent's network (so no port mappings apply). */
function usesHostNetwork(app: AppDefinition): boolean {
  const dockerNetwork = app.container?.docker?.network;
  if (dockerNetwork) return dockerNetwork === "HOST";
  const modes = (app.networks ?? []).map((n) => n.mode ?? "host");
  return modes.length === 0 || modes.includes("host");
}

function portMappings(app: AppDefinition): { list: NonNullable<AppDefinition["portDefinitions"]> | { name?: string }[]; path: string } | undefined {
  if (app.container?.portMappings) return { list: app.container.portMappings, path: "/container/portMappings" };
  if (app.container?.docker?.portMappings) return { list: app.container.docker.portMappings, path: "/container/docker/portMappings" };
  return undefined;
}

/** The ports a health check's portIndex may address and readiness portName may name. */
function appPorts(app: AppDefinition): { count: number; names: string[] } {
  if (!usesHostNetwork(app)) {
    const mappings = portMappings(app)?.list ?? [];
    return { count: mappings.length, names: mappings.flatMap((m) => (m.name ? [m.name] : [])) };
  }
  if (app.portDefinitions) return { count: app.portDefinitions.length, names: app.portDefinitions.flatMap((p) => (p.name ? [p.name] : [])) };
  if (app.ports) return { count: app.ports.length, names: [] };
  // Marathon gives a host-networked app without ports one dynamic port by default.
  return { count: 1, names: [] };
}

/** Marathon rejects duplicate fixed host ports and duplicate port names (AppValidation: "must be unique"). */
function portUniquenessRules(app: AppDefinition, add: Add): void {
  const definitions = app.portDefinitions ?? [];
  const seenPorts = new Map<number, number>();
  definitions.forEach((definition, i) => {
    if (definition.port === undefined || definition.port === 0) return;
    const first = seenPorts.get(definition.port);
    if (first !== undefined) add(`/portDefinitions/${i}/port`, `port ${definition.port} is already used by /portDefinitions/${first}; fixed ports must be unique`);
    else seenPorts.set(definition.port, i);
  });
  const named: [string, { name?: string }[]][] = [["/portDefinitions", definitions]];
  const mappings = portMappings(app);
  if (mappings) named.push([mappings.path, mappings.list]);
  for (const [path, list] of named) {
    const seenNames = new Map<string, number>();
    list.forEach((entry, i) => {
      if (!entry.name) return;
      const first = seenNames.get(entry.name);
      if (first !== undefined) add(`${path}/${i}/name`, `port name "${entry.name}" is already used by ${path}/${first}; names must be unique`);
      else seenNames.set(entry.name, i);
    });
  }
}

function containerRules(app: AppDefinition, add: Add): void {
  const container = app.container;
  if (!container) return;
  const type = container.type ?? "DOCKER";
  if (type === "DOCKER" && !container.docker) add("/container/docker", "a DOCKER container needs docker.image");
  if (container.docker?.pullConfig) {
    if (type !== "MESOS") add("/container/docker/pullConfig", "pullConfig works only with the MESOS container type");
    const secret = container.docker.pullConfig.secret;
    if (!(app.secrets && Object.hasOwn(app.secrets, secret))) add("/container/docker/pullConfig/secret", `"${secret}" is not defined under secrets`);
  }
  const mappings = portMappings(app);
  if (mappings && mappings.list.length > 0 && usesHostNetwork(app)) {
    add(mappings.path, "port mappings need bridge or container networking; with host networking use portDefinitions");
  }
  if (container.docker?.network === "BRIDGE" && app.networks?.some((n) => n.mode === "host")) {
    add("/networks", "docker.network BRIDGE conflicts with networks mode host");
  }
}

const MESOS_CHECKS = new Set(["COMMAND", "MESOS_HTTP", "MESOS_HTTPS", "MESOS_TCP"]);

function healthCheckRules(app: AppDefinition, add: Add): void {
  const checks: HealthCheck[] = app.healthChecks ?? [];
  const ports = appPorts(app);
  let mesosChecks = 0;
  checks.forEach((check, i) => {
    const path = `/healthChecks/${i}`;
    const protocol = check.protocol ?? "HTTP";
    if (MESOS_CHECKS.has(protocol)) mesosChecks++;
    if (protocol === "COMMAND") {
      if (!check.command?.value) add(`${path}/command`, "a COMMAND health check needs command.value");
      for (const field of ["port", "portIndex", "path"] as const) if (check[field] !== undefined) add(`${path}/${field}`, `a COMMAND health check takes no ${field}`);
      return;
    }
    if (check.command !== undefined) add(`${path}/command`, `only COMMAND health checks take a command (this one is ${protocol})`);
    if ((protocol === "TCP" || protocol === "MESOS_TCP") && check.path !== undefined) add(`${path}/path`, `a ${protocol} health check takes no path`);
    if (check.ipProtocol === "IPv6" && !protocol.startsWith("MESOS_")) add(`${path}/ipProtocol`, "IPv6 works only with MESOS_* health checks");
    if (check.port !== undefined && check.portIndex !== undefined) add(path, "give either port or portIndex, not both");
    if (check.port === undefined) {
      const index = check.portIndex ?? 0;
      if (index >= ports.count) {
        add(`${path}/portIndex`, ports.count === 0 ? `portIndex ${index} addresses no port: the app defines no ports` : `portIndex ${index} addresses no port: the app has ${ports.count} (0..${ports.count - 1})`);
      }
    }
  });
  if (mesosChecks > 1) add("/healthChecks", `at most one COMMAND or MESOS_* health check is allowed per app (found ${mesosChecks})`);
}

function readinessRules(app: AppDefinition, add: Add): void {
  const checks = app.readinessChecks ?? [];
  if (checks.length > 1) add("/readinessChecks", `at most one readiness check is allowed (found ${checks.length})`);
  const ports = appPorts(app);
  checks.forEach((check, i) => {
    const path = `/readinessChecks/${i}`;
    const interval = check.intervalSeconds ?? 30;
    const timeout = check.timeoutSeconds ?? 10;
    if (timeout >= interval) add(`${path}/timeoutSeconds`, `got ${timeout}, expected less than intervalSeconds (${interval})`);
    const portName = check.portName ?? "http-api";
    if (!ports.names.includes(portName)) {
      add(`${path}/portName`, `no port is named "${portName}"${ports.names.length ? ` (names: ${ports.names.join(", ")})` : " (give a port a name, or set portName)"}`);
    }
  });
}
