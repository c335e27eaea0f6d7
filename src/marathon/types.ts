/**
 * Marathon REST API shapes (Marathon 1.10/1.11, fields as in the official RAML
 * types and examples). Shared by validation, the simulator, the Marathon adapter,
 * the planner and the Ansible-facing code. Only the fields mdeploy reads or writes
 * are typed; everything else passes through untouched.
 */

export type ConstraintOperator = "UNIQUE" | "CLUSTER" | "GROUP_BY" | "LIKE" | "UNLIKE" | "MAX_PER" | "IS";
/** `[field, operator, value?]` as Marathon's JSON has it. */
export type Constraint = [string, ConstraintOperator | string, string?] | string[];

export interface UpgradeStrategy {
  minimumHealthCapacity: number;
  maximumOverCapacity: number;
}

export interface PortDefinition {
  port: number;
  protocol?: string;
  name?: string;
  labels?: Record<string, string>;
}

export interface PortMapping {
  containerPort?: number;
  hostPort?: number;
  servicePort?: number;
  protocol?: string;
  name?: string;
  labels?: Record<string, string>;
}

export interface HealthCheck {
  protocol?: "HTTP" | "HTTPS" | "TCP" | "COMMAND" | "MESOS_HTTP" | "MESOS_HTTPS" | "MESOS_TCP" | string;
  path?: string;
  portIndex?: number;
  port?: number;
  command?: { value: string };
  gracePeriodSeconds?: number;
  intervalSeconds?: number;
  timeoutSeconds?: number;
  maxConsecutiveFailures?: number;
  delaySeconds?: number;
  ignoreHttp1xx?: boolean;
  ipProtocol?: "IPv4" | "IPv6";
}

export interface ReadinessCheck {
  name?: string;
  protocol?: "HTTP" | "HTTPS";
  path?: string;
  portName?: string;
  intervalSeconds?: number;
  timeoutSeconds?: number;
  httpStatusCodesForReady?: number[];
  preserveLastResponse?: boolean;
}

export interface DockerSpec {
  image: string;
  network?: string;
  forcePullImage?: boolean;
  privileged?: boolean;
  parameters?: { key: string; value: string }[];
  portMappings?: PortMapping[];
  pullConfig?: { secret: string };
}

export interface Container {
  type?: "DOCKER" | "MESOS";
  docker?: DockerSpec;
  portMappings?: PortMapping[];
  volumes?: unknown[];
}

export interface Network {
  mode?: "host" | "container/bridge" | "container";
  name?: string;
  labels?: Record<string, string>;
}

/** An env value is a string or a reference into `secrets`. */
export type EnvValue = string | { secret: string };

/** What a user sends to `PUT /v2/apps/{id}` and Marathon returns under `app`. */
export interface AppDefinition {
  id: string;
  cmd?: string | null;
  args?: string[] | null;
  user?: string | null;
  instances?: number;
  cpus?: number;
  mem?: number;
  disk?: number;
  gpus?: number;
  executor?: string;
  constraints?: Constraint[];
  uris?: string[];
  fetch?: { uri: string; extract?: boolean; executable?: boolean; cache?: boolean; destPath?: string }[];
  storeUrls?: string[];
  backoffSeconds?: number;
  backoffFactor?: number;
  maxLaunchDelaySeconds?: number;
  container?: Container | null;
  healthChecks?: HealthCheck[];
  readinessChecks?: ReadinessCheck[];
  dependencies?: string[];
  upgradeStrategy?: UpgradeStrategy;
  labels?: Record<string, string>;
  acceptedResourceRoles?: string[];
  residency?: unknown;
  secrets?: Record<string, { source: string }>;
  env?: Record<string, EnvValue>;
  portDefinitions?: PortDefinition[];
  ports?: number[];
  requirePorts?: boolean;
  networks?: Network[];
  killSelection?: "YOUNGEST_FIRST" | "OLDEST_FIRST";
  unreachableStrategy?: { inactiveAfterSeconds: number; expungeAfterSeconds: number } | "disabled";
  taskKillGracePeriodSeconds?: number | null;
  /** Mesos role the app's tasks run under (1.9+; "*" by default). */
  role?: string;
  version?: string;
  versionInfo?: { lastScalingAt: string; lastConfigChangeAt: string };
  [extra: string]: unknown;
}

export interface HealthCheckResult {
  alive: boolean;
  consecutiveFailures: number;
  firstSuccess: string | null;
  lastSuccess: string | null;
  lastFailure: string | null;
  lastFailureCause?: string | null;
  instanceId?: string;
  taskId?: string;
}

export type TaskState =
  | "TASK_STAGING"
  | "TASK_STARTING"
  | "TASK_RUNNING"
  | "TASK_KILLING"
  | "TASK_FINISHED"
  | "TASK_FAILED"
  | "TASK_KILLED"
  | "TASK_LOST"
  | "TASK_ERROR"
  | "TASK_DROPPED"
  | "TASK_UNREACHABLE"
  | "TASK_GONE"
  | "TASK_GONE_BY_OPERATOR"
  | "TASK_UNKNOWN";

export interface Task {
  id: string;
  appId: string;
  host: string;
  slaveId?: string;
  ports: number[];
  ipAddresses?: { ipAddress: string; protocol: string }[];
  stagedAt: string | null;
  startedAt: string | null;
  state?: TaskState;
  version: string;
  healthCheckResults?: HealthCheckResult[];
  servicePorts?: number[];
}

export interface TaskFailure {
  appId: string;
  host: string;
  message: string;
  slaveId?: string;
  state: TaskState;
  taskId: string;
  timestamp: string;
  version: string;
}

export interface ReadinessCheckResult {
  name: string;
  taskId: string;
  ready: boolean;
  lastResponse?: { status: number; contentType: string; body: string } | null;
}

/** `GET /v2/apps/{id}` returns `{ app: AppStatus }`. */
export interface AppStatus extends AppDefinition {
  version: string;
  tasksStaged: number;
  tasksRunning: number;
  tasksHealthy: number;
  tasksUnhealthy: number;
  deployments: { id: string }[];
  tasks?: Task[];
  lastTaskFailure?: TaskFailure | null;
  readinessCheckResults?: ReadinessCheckResult[];
}

export type DeploymentActionName =
  | "StartApplication"
  | "ScaleApplication"
  | "RestartApplication"
  | "StopApplication"
  | "ResolveArtifacts";

export interface DeploymentAction {
  action: DeploymentActionName;
  app: string;
}

export interface DeploymentStep {
  actions: DeploymentAction[];
}

/** An entry of `GET /v2/deployments`. */
export interface Deployment {
  id: string;
  version: string;
  affectedApps: string[];
  affectedPods: string[];
  steps: DeploymentStep[];
  currentActions: (DeploymentAction & { readinessCheckResults?: ReadinessCheckResult[] })[];
  currentStep: number;
  totalSteps: number;
}

/** `plan` inside deployment events (1.8+ shape). */
export interface DeploymentPlan {
  id: string;
  steps: DeploymentStep[];
  version: string;
}

/** Body of `PUT /v2/apps/{id}` and `DELETE /v2/deployments/{id}` (revert). */
export interface DeploymentResult {
  deploymentId: string;
  version: string;
}

export type OfferRejectReason =
  | "UnfulfilledRole"
  | "UnfulfilledConstraint"
  | "NoCorrespondingReservationFound"
  | "AgentMaintenance"
  | "InsufficientCpus"
  | "InsufficientMemory"
  | "InsufficientDisk"
  | "InsufficientGpus"
  | "InsufficientPorts"
  | "DeclinedScarceResources";

export interface QueueItem {
  app: AppDefinition;
  count: number;
  role?: string;
  delay: { timeLeftSeconds: number; overdue: boolean };
  since: string;
  processedOffersSummary: {
    processedOffersCount: number;
    unusedOffersCount: number;
    lastUnusedOfferAt?: string;
    lastUsedOfferAt?: string;
    rejectSummaryLastOffers: { reason: OfferRejectReason; declined: number; processed: number }[];
    rejectSummaryLaunchAttempt: { reason: OfferRejectReason; declined: number; processed: number }[];
  };
}

/** Marathon's error body: `{ message, details? }` (422 carries paths). */
export interface MarathonErrorBody {
  message: string;
  details?: { path: string; errors: string[] }[];
  deployments?: { id: string }[];
}

/**
 * Events on `/v2/events` that mdeploy reads, as they are once validated against
 * src/marathon/event-schemas.ts: a field is required here exactly when the schema
 * requires it, so a decision never reads a field the frame did not carry. Kinds
 * without a schema are not passed on (there is no catch-all event type).
 */
export interface MarathonEventBase {
  eventType: string;
  timestamp?: string;
}

/** `plan` inside deployment events: a pod's action names `pod`, not `app`. */
export interface EventPlan {
  id: string;
  version: string;
  steps: { actions: { action: string; app?: string; pod?: string }[] }[];
}

export interface DeploymentInfoEvent extends MarathonEventBase {
  eventType: "deployment_info";
  plan: EventPlan;
  currentStep?: { actions: { action: string; app?: string; pod?: string }[] };
}
export interface DeploymentStepEvent extends MarathonEventBase {
  eventType: "deployment_step_success" | "deployment_step_failure";
  plan: EventPlan;
  currentStep?: { actions: { action: string; app?: string; pod?: string }[] };
}
export interface DeploymentSuccessEvent extends MarathonEventBase {
  eventType: "deployment_success";
  id: string;
  plan: EventPlan;
}
export interface DeploymentFailedEvent extends MarathonEventBase {
  eventType: "deployment_failed";
  id: string;
  plan: EventPlan;
  reason?: string;
}
export interface StatusUpdateEvent extends MarathonEventBase {
  eventType: "status_update_event";
  taskId: string;
  taskStatus: string;
  appId: string;
  version: string;
  host?: string;
  message?: string;
  slaveId?: string;
  ipAddresses?: { ipAddress: string; protocol: string }[];
  ports?: number[];
}
export interface InstanceHealthChangedEvent extends MarathonEventBase {
  eventType: "instance_health_changed_event";
  instanceId: string;
  runSpecId: string;
  healthy: boolean;
  runSpecVersion?: string;
}
export interface HealthStatusChangedEvent extends MarathonEventBase {
  eventType: "health_status_changed_event";
  appId: string;
  version: string;
  alive: boolean;
  instanceId?: string;
  taskId?: string;
}
export interface UnhealthyInstanceKillEvent extends MarathonEventBase {
  eventType: "unhealthy_instance_kill_event";
  appId: string;
  taskId: string;
  version: string;
  instanceId?: string;
  reason?: string;
  host?: string;
  slaveId?: string;
}
export interface EventStreamAttachedEvent extends MarathonEventBase {
  eventType: "event_stream_attached";
  remoteAddress?: string;
}

export type MarathonEvent =
  | DeploymentInfoEvent
  | DeploymentStepEvent
  | DeploymentSuccessEvent
  | DeploymentFailedEvent
  | StatusUpdateEvent
  | InstanceHealthChangedEvent
  | HealthStatusChangedEvent
  | UnhealthyInstanceKillEvent
  | EventStreamAttachedEvent;

/**
 * Any event as Marathon sends it, of any kind and unchecked: what the simulator
 * publishes and what a frame holds before its schema check. mdeploy's decisions
 * read only {@link MarathonEvent}.
 */
export interface UncheckedMarathonEvent {
  eventType: string;
  timestamp?: string;
  [field: string]: unknown;
}

/** The kinds of {@link MarathonEvent}, the ones mdeploy validates and reads. */
export type MarathonEventType = MarathonEvent["eventType"];

/** Mesos master `/master/slaves` entry (the fields capacity planning needs). */
export interface MesosAgent {
  id: string;
  hostname: string;
  port?: number;
  active: boolean;
  attributes: Record<string, string | number>;
  /** Totals. `ports` is Mesos' range text, e.g. "[31000-32000]". */
  resources: MesosResources;
  used_resources: MesosResources;
  unreserved_resources?: MesosResources;
  reserved_resources?: Record<string, MesosResources>;
  offered_resources?: MesosResources;
}

export interface MesosResources {
  cpus: number;
  mem: number;
  disk: number;
  gpus?: number;
  ports?: string;
}
