/**
 * JSON schemas for the event-stream frames mdeploy reads, checked the way REST
 * answers are (response-schemas.ts, STYLE.md rule 7): a frame that decides a
 * deploy is trusted only once it has the fields its decision reads. Loose like
 * the response schemas: extra fields pass, and a field is required only where a
 * decision or a report line reads it. A pod's plan action names `pod`, not `app`,
 * so `app` stays optional (another team's pod deploy must not break our stream).
 */
import { createResponseChecker } from "../http/response-checker.js";
import type { MarathonEvent, MarathonEventType } from "./types.js";

const action = { type: "object", required: ["action"], properties: { action: { type: "string" }, app: { type: "string" }, pod: { type: "string" } } } as const;
const step = { type: "object", required: ["actions"], properties: { actions: { type: "array", items: action } } } as const;
const plan = {
  type: "object",
  required: ["id", "version", "steps"],
  properties: { id: { type: "string" }, version: { type: "string" }, steps: { type: "array", items: step } },
} as const;
const base = { eventType: { type: "string" }, timestamp: { type: "string" } } as const;

function event(required: readonly string[], properties: Record<string, object>): object {
  return { type: "object", required: ["eventType", ...required], properties: { ...base, ...properties } };
}

const deploymentProgress = event(["plan"], { plan, currentStep: step });

/**
 * The schema of each event kind mdeploy reads; a kind not listed here is not passed on.
 * @public scripts/build-validators.mjs compiles them from dist/, where knip cannot follow.
 */
export const marathonEventSchemas: Readonly<Record<MarathonEventType, object>> = {
  event_stream_attached: event([], { remoteAddress: { type: "string" } }),
  deployment_info: deploymentProgress,
  deployment_step_success: deploymentProgress,
  deployment_step_failure: deploymentProgress,
  deployment_success: event(["id", "plan"], { id: { type: "string" }, plan }),
  deployment_failed: event(["id", "plan"], { id: { type: "string" }, plan, reason: { type: "string" } }),
  status_update_event: event(["taskId", "taskStatus", "appId", "version"], {
    taskId: { type: "string" },
    taskStatus: { type: "string" },
    appId: { type: "string" },
    version: { type: "string" },
    host: { type: "string" },
    message: { type: "string" },
  }),
  instance_health_changed_event: event(["instanceId", "runSpecId", "healthy"], {
    instanceId: { type: "string" },
    runSpecId: { type: "string" },
    healthy: { type: "boolean" },
    runSpecVersion: { type: "string" },
  }),
  health_status_changed_event: event(["appId", "version", "alive"], {
    appId: { type: "string" },
    version: { type: "string" },
    alive: { type: "boolean" },
    instanceId: { type: "string" },
    taskId: { type: "string" },
  }),
  unhealthy_instance_kill_event: event(["appId", "taskId", "version"], {
    appId: { type: "string" },
    taskId: { type: "string" },
    version: { type: "string" },
    host: { type: "string" },
    reason: { type: "string" },
  }),
};

/** What one frame's JSON is to mdeploy. */
export type EventReading =
  /** A kind mdeploy reads, in the shape its decisions need. */
  | { kind: "event"; event: MarathonEvent }
  /** A kind mdeploy does not read (Marathon sends many): dropped, harmless. */
  | { kind: "unread"; eventType: string }
  /** A kind mdeploy reads, without the fields it needs: it cannot be trusted, so it counts as a gap. */
  | { kind: "invalid"; eventType: string; problems: string[] };

/** Checks event objects (JSON with a string `eventType`); compiles each schema on first use. */
export type EventChecker = (value: { eventType: string }) => EventReading;

/** A checker of its own per caller, like the REST clients' (no module-level state). */
export function createEventChecker(): EventChecker {
  const check = createResponseChecker(marathonEventSchemas, "marathon-events");
  return (value) => {
    const { eventType } = value;
    if (!Object.hasOwn(marathonEventSchemas, eventType)) return { kind: "unread", eventType };
    const problems = check(eventType as MarathonEventType, value);
    return problems.length === 0 ? { kind: "event", event: value as MarathonEvent } : { kind: "invalid", eventType, problems };
  };
}
