/**
 * The writes the progressive strategies make to their two copies, each one
 * sent through the shared write path (src/deploy/apply-write.ts: lock waits,
 * ambiguous answers read back) and followed to a verified end, or removed and
 * waited for until it is gone. None of them throws for the cluster's state:
 * the caller gets what happened and decides (go on, clean up, or exit 5).
 */
import type { Clock } from "../../core/ports/clock.js";
import { MdeployError } from "../../errors.js";
import type { AppDefinition, AppStatus } from "../../marathon/types.js";
import { applyWrite, describeApp } from "../apply-write.js";
import type { DeployMarathon } from "../deploy-app.js";
import { startEventWatch } from "../event-watch.js";
import { isTransientReadFailure, messageOf } from "../failure-kinds.js";
import { follow } from "../follow-with-progress.js";
import type { Progress } from "../../core/ports/progress.js";

export interface CopyDeps {
  marathon: DeployMarathon;
  clock: Clock;
  progress: Progress;
}

/** How one write ended. */
export type CopyOutcome =
  | { kind: "verified"; app: AppStatus; version: string }
  | { kind: "failed"; reason: string; details: string[] }
  /** `signal` stopped it (a signal, the deadline). */
  | { kind: "stopped"; reason: string };

export interface CopyWrite {
  environment: string;
  appId: string;
  /** The definition to send, made from the app as it is right now (undefined: it does not exist). */
  make: (now: AppStatus | undefined) => AppDefinition;
  /** Absolute clock time by which the write must be verified. */
  deadline: number;
  signal: AbortSignal;
  /** Override a deployment of the app in progress (`?force=true`): only for a copy mdeploy is taking down. */
  force?: boolean;
}

/** How long a write waits for the event stream before following by polling alone. */
const STREAM_OPEN_WAIT_MS = 60_000;

/** Sends the definition and follows the deployment to a verified end. */
export async function writeAndVerify(input: CopyWrite, deps: CopyDeps): Promise<CopyOutcome> {
  const { marathon, clock } = deps;
  const watch = startEventWatch({ marathon, clock, appId: input.appId });
  try {
    await watch.whenOpen(STREAM_OPEN_WAIT_MS);
    const write = await applyWrite(
      {
        environment: input.environment,
        appId: input.appId,
        force: input.force ?? false,
        lockDeadline: input.deadline,
        lockSeconds: Math.max(0, Math.round((input.deadline - clock.now()) / 1000)),
        watch,
        signal: input.signal,
        prepare: async () => {
          const before = await marathon.findApp(input.appId, { embed: ["app.tasks", "app.deployments"], signal: input.signal });
          return { kind: "write", before, definition: input.make(before) };
        },
      },
      deps,
    );
    if (write.kind === "stop") return { kind: "failed", reason: write.reason, details: [] };
    const outcome = await follow(deps, watch, input.appId, write.result, input.deadline, input.signal);
    if (outcome.kind === "success") return { kind: "verified", app: outcome.app, version: outcome.version };
    if (input.signal.aborted) return { kind: "stopped", reason: String(input.signal.reason) };
    const reason = outcome.kind === "failed" ? outcome.reason : outcome.kind === "timeout" ? "did not finish in time" : `was replaced by version ${outcome.byVersion}, deployed by someone else`;
    return { kind: "failed", reason: `${input.appId} ${reason}`, details: outcome.details };
  } catch (error) {
    if (input.signal.aborted) return { kind: "stopped", reason: String(input.signal.reason) };
    // Typed errors are the cluster answering badly (unreachable, refused, locked too long): the caller cleans up.
    if (error instanceof MdeployError) return { kind: "failed", reason: `${input.appId}: ${error.message}`, details: [...error.details] };
    throw error;
  } finally {
    await watch.close();
  }
}

/** How a removal ended. */
export type RemoveOutcome = { kind: "removed" } | { kind: "failed"; reason: string; last?: AppStatus };

/** Removes the app (`DELETE ?force=true`, cancelling its deployments) and waits until Marathon no longer has it nor a deployment stopping it. */
export async function removeAndWait(appId: string, deadline: number, signal: AbortSignal, deps: CopyDeps): Promise<RemoveOutcome> {
  const { marathon, clock } = deps;
  let last: AppStatus | undefined;
  try {
    const now = await marathon.findApp(appId, { signal });
    if (!now) return { kind: "removed" };
    await marathon.deleteApp(appId, { force: true });
  } catch (error) {
    if (signal.aborted) return { kind: "failed", reason: `removing ${appId} was stopped (${String(signal.reason)})` };
    if (error instanceof MdeployError) return { kind: "failed", reason: `cannot remove ${appId}: ${messageOf(error)}` };
    throw error;
  }
  // One look even at the deadline: a removal that was quick counts.
  for (let i = 0; i === 0 || (i < 100_000 && clock.now() < deadline && !signal.aborted); i++) {
    try {
      last = await marathon.findApp(appId, { embed: ["app.tasks", "app.deployments"], signal });
      // Marathon drops the app at once but stops its tasks in a deployment: the room is free when that is done too.
      if (!last && !(await marathon.getDeployments({ signal })).some((d) => d.affectedApps.includes(appId))) return { kind: "removed" };
    } catch (error) {
      if (signal.aborted || !isTransientReadFailure(error)) {
        if (signal.aborted) break;
        throw error;
      }
    }
    await clock.sleep(500, signal).catch((error: unknown) => {
      // A stop ends the wait; the loop then says so.
      if (!signal.aborted) throw error;
    });
  }
  return { kind: "failed", reason: signal.aborted ? `removing ${appId} was stopped (${String(signal.reason)})` : `${appId} was not gone in time`, ...(last ? { last } : {}) };
}

/** One line on what an app runs now, or that it does not exist, for a person taking over; a read that fails says so. */
export async function stateOf(appId: string, deps: Pick<CopyDeps, "marathon">): Promise<string> {
  try {
    const app = await deps.marathon.findApp(appId, { embed: ["app.tasks", "app.deployments"] });
    return app ? `${appId}: ${describeApp(app)}` : `${appId}: not on Marathon`;
  } catch (error) {
    if (!(error instanceof MdeployError)) throw error;
    return `${appId}: cannot be read (${messageOf(error)})`;
  }
}
