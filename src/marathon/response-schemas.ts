/**
 * JSON schemas for the parts of Marathon's answers that mdeploy depends on
 * (STYLE.md rule 7). Deliberately loose: fields are required only where a
 * decision reads them, extra fields pass through, and Marathon 1.4 to 1.11
 * answers all validate. A failure lists every problem with its JSON path.
 */
const stringArray = { type: "array", items: { type: "string" } } as const;

const healthCheckResult = {
  type: "object",
  required: ["alive"],
  properties: { alive: { type: "boolean" }, consecutiveFailures: { type: "number" } },
} as const;

const task = {
  type: "object",
  required: ["id", "version"],
  properties: {
    id: { type: "string" },
    appId: { type: "string" },
    host: { type: "string" },
    version: { type: "string" },
    state: { type: "string" },
    ports: { type: "array", items: { type: "number" } },
    healthCheckResults: { type: "array", items: healthCheckResult },
  },
} as const;

const appStatus = {
  type: "object",
  required: ["id", "version"],
  properties: {
    id: { type: "string" },
    version: { type: "string" },
    instances: { type: "integer", minimum: 0 },
    tasksStaged: { type: "integer" },
    tasksRunning: { type: "integer" },
    tasksHealthy: { type: "integer" },
    tasksUnhealthy: { type: "integer" },
    deployments: { type: "array", items: { type: "object", required: ["id"], properties: { id: { type: "string" } } } },
    tasks: { type: "array", items: task },
    lastTaskFailure: {
      anyOf: [{ type: "null" }, { type: "object", required: ["message", "state", "version"], properties: { message: { type: "string" }, state: { type: "string" }, version: { type: "string" } } }],
    },
    readinessCheckResults: {
      type: "array",
      items: { type: "object", required: ["taskId", "ready"], properties: { taskId: { type: "string" }, ready: { type: "boolean" } } },
    },
    healthChecks: { type: "array", items: { type: "object" } },
  },
} as const;

const action = { type: "object", required: ["action"], properties: { action: { type: "string" }, app: { type: "string" } } } as const;

const deployment = {
  type: "object",
  required: ["id", "version", "affectedApps", "currentStep", "totalSteps"],
  properties: {
    id: { type: "string" },
    version: { type: "string" },
    affectedApps: stringArray,
    currentStep: { type: "integer" },
    totalSteps: { type: "integer" },
    steps: { type: "array", items: { type: "object", properties: { actions: { type: "array", items: action } } } },
    currentActions: { type: "array", items: action },
  },
} as const;

/** The schemas by name; the client validates each answer against one of them. */
export const marathonResponseSchemas = {
  appEnvelope: { type: "object", required: ["app"], properties: { app: appStatus } },
  appsEnvelope: { type: "object", required: ["apps"], properties: { apps: { type: "array", items: appStatus } } },
  appDefinition: { type: "object", required: ["id"], properties: { id: { type: "string" }, version: { type: "string" } } },
  deploymentResult: {
    type: "object",
    required: ["deploymentId", "version"],
    properties: { deploymentId: { type: "string" }, version: { type: "string" } },
  },
  deployments: { type: "array", items: deployment },
  versions: { type: "object", required: ["versions"], properties: { versions: stringArray } },
  queue: {
    type: "object",
    required: ["queue"],
    properties: {
      queue: {
        type: "array",
        items: {
          type: "object",
          required: ["count"],
          properties: {
            count: { type: "integer" },
            app: { type: "object", required: ["id"], properties: { id: { type: "string" } } },
            delay: { type: "object", properties: { timeLeftSeconds: { type: "number" }, overdue: { type: "boolean" } } },
          },
        },
      },
    },
  },
  leader: { type: "object", required: ["leader"], properties: { leader: { type: "string" } } },
  info: { type: "object", properties: { version: { type: "string" }, name: { type: "string" } } },
} as const;

export type MarathonResponseKind = keyof typeof marathonResponseSchemas;
