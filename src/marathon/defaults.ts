/**
 * Marathon's default values for the fields an app definition leaves out, as
 * `GET /v2/apps/{id}` shows them (Marathon 1.10/1.11, app.raml and
 * AppConversion). One table for everything that needs them: the simulator fills
 * them in, the planner's diff treats them as no change.
 */
import type { AppDefinition, DockerSpec, ReadinessCheck } from "./types.js";

/** Top-level app fields and their defaults. */
export const APP_DEFAULTS: Readonly<Partial<AppDefinition>> = {
  backoffFactor: 1.15,
  backoffSeconds: 1,
  constraints: [],
  cpus: 1,
  dependencies: [],
  disk: 0,
  env: {},
  executor: "",
  fetch: [],
  gpus: 0,
  healthChecks: [],
  instances: 1,
  labels: {},
  maxLaunchDelaySeconds: 300,
  mem: 128,
  networks: [{ mode: "host" }],
  readinessChecks: [],
  requirePorts: false,
  role: "*",
  killSelection: "YOUNGEST_FIRST",
  unreachableStrategy: { inactiveAfterSeconds: 0, expungeAfterSeconds: 0 },
  upgradeStrategy: { minimumHealthCapacity: 1, maximumOverCapacity: 1 },
  secrets: {},
};

/**
 * Defaults of other Marathon versions (1.4–1.9) where they differ from
 * {@link APP_DEFAULTS}, and empty values Marathon shows for fields it fills.
 * A running app may carry any of them without having been given them.
 */
export const APP_DEFAULT_ALTERNATIVES: Readonly<Record<string, readonly unknown[]>> = {
  maxLaunchDelaySeconds: [3600],
  unreachableStrategy: [{ inactiveAfterSeconds: 300, expungeAfterSeconds: 600 }],
  acceptedResourceRoles: [[], ["*"]],
  uris: [[]],
  storeUrls: [[]],
  // Bridge and container networking have no host port definitions.
  portDefinitions: [[]],
  tty: [false],
};

/** `container.type` when left out. */
export const DEFAULT_CONTAINER_TYPE = "DOCKER";

/** `container.docker` fields. */
export const DOCKER_DEFAULTS: Readonly<Pick<DockerSpec, "forcePullImage" | "privileged" | "parameters">> = { forcePullImage: false, privileged: false, parameters: [] };

/** Port definition and port mapping fields. */
export const PORT_DEFAULTS = { protocol: "tcp" } as const;

/** `fetch` entries. */
export const FETCH_DEFAULTS = { extract: true, executable: false, cache: false } as const;

/** The protocol of a health check that names none. */
export const DEFAULT_HEALTH_CHECK_PROTOCOL = "HTTP";

/** Timing fields of every health check. */
export const HEALTH_CHECK_TIMING_DEFAULTS = {
  gracePeriodSeconds: 300,
  intervalSeconds: 60,
  timeoutSeconds: 20,
  maxConsecutiveFailures: 3,
  delaySeconds: 15,
} as const;

/** Fields of network (HTTP, HTTPS, TCP) health checks. */
export const NETWORK_HEALTH_CHECK_DEFAULTS = { ipProtocol: "IPv4" } as const;

/** Fields of HTTP and HTTPS health checks. */
export const HTTP_HEALTH_CHECK_DEFAULTS = { path: "/", ignoreHttp1xx: false } as const;

/** Readiness check fields. */
export const READINESS_CHECK_DEFAULTS: Readonly<ReadinessCheck> = {
  name: "readinessCheck",
  protocol: "HTTP",
  path: "/",
  portName: "http-api",
  intervalSeconds: 30,
  timeoutSeconds: 10,
  httpStatusCodesForReady: [200],
  preserveLastResponse: false,
};
