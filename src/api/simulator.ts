/**
 * The library API: `import { startSimulator } from "mdeploy/sim"` (package.json
 * `exports`). The Marathon + Mesos simulator with its options, cluster types and
 * the Marathon shapes its state answers in, so a strict TypeScript project can
 * name every type it gets back. Everything else in the package is the CLI's and
 * may change without notice.
 */
export { startSimulator, defaultCluster, loadClusterFile, parseClusterFile, VirtualClock, DEFAULT_CLOCK_START, Timeline } from "../sim/index.js";
export type {
  Simulator,
  SimulatorOptions,
  SimulatorState,
  ClusterSpec,
  AgentSpec,
  ImageBehaviour,
  MarathonSimSettings,
  FaultInjector,
  FaultScope,
  FaultTarget,
  TimelineEntry,
  TimelineKind,
  TimelineSample,
  VirtualClockOptions,
  TimerHandle,
  Route,
  RoutedServer,
  RouteShare,
  RouteSummary,
  RoutingTable,
  RuleChange,
  ServerSelector,
  TrafficView,
} from "../sim/index.js";
export type { AppDefinition, Deployment, MesosAgent, QueueItem, Task } from "../marathon/types.js";
/** Every event the simulator publishes, of any kind (the name predates the checked events mdeploy's engine reads). */
export type { UncheckedMarathonEvent as MarathonEvent } from "../marathon/types.js";
