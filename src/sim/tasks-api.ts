import type { AppDefinition } from "../marathon/types.js";
import { absoluteAppId, stripVersion } from "./app-definition.js";
import { isActive, taskJson, type Instance } from "./instance.js";
import type { ApiReply } from "./api-types.js";
import type { MarathonEngine } from "./marathon-engine.js";
import { queryFlag } from "./query-flags.js";

/**
 * Marathon's task kills (AppTasksResource `deleteOne`/`deleteMany`, TasksResource
 * `killTasks`, TaskKiller): without `scale` each task is killed and its instance, still
 * wanted, is relaunched; `wipe=true` forgets the instance instead (a new one replaces it);
 * `scale=true` kills and lowers `instances` by the tasks killed, as one deployment.
 */

/** What the kill routes need from the REST layer. */
export interface KillContext {
  engine: MarathonEngine;
  /** A 409/403 reply when a running deployment holds one of the apps (and force is off). */
  lockCheck(appIds: string[], force: boolean): ApiReply | undefined;
}

interface KillFlags {
  scale: boolean;
  force: boolean;
  wipe: boolean;
}

const json = (status: number, body?: unknown, headers?: Record<string, string>): ApiReply => ({ status, body, headers });
const message = (status: number, text: string): ApiReply => json(status, { message: text });

function flagsOf(q: URLSearchParams): KillFlags {
  return { scale: queryFlag(q, "scale", false), force: queryFlag(q, "force", false), wipe: queryFlag(q, "wipe", false) };
}

/** Task.Id.parse: the instance and app a task id names, whatever its incarnation; undefined if it is no Marathon task id. */
function parseTaskId(taskId: string): { instanceId: string; appId: string } | undefined {
  const m = /^(([a-z0-9_.-]+?)\.instance-[0-9a-f-]+)(?:\.[^.]+\.\d+)?$/.exec(taskId);
  if (!m) return undefined;
  return { instanceId: m[1] as string, appId: `/${(m[2] as string).replace(/_/g, "/")}` };
}

function activeInstances(engine: MarathonEngine, appId: string): Instance[] {
  return [...engine.instancesOf(appId)].filter(isActive);
}

/**
 * Kills the found instances of each app. With `scale`, one deployment lowers every app's
 * `instances` by its instances that were not already being killed (never below 0).
 */
function kill(ctx: KillContext, byApp: Map<string, Instance[]>, flags: KillFlags, single: boolean): ApiReply {
  const { engine } = ctx;
  if (flags.scale && flags.wipe) return message(400, "You cannot use scale and wipe at the same time.");
  const now = engine.clock.now();
  if (!flags.scale) {
    const tasks = [...byApp.values()].flat().map((i) => taskJson(i, now));
    for (const instances of byApp.values()) for (const i of instances) engine.kill(i, "KillingTasksViaApi", true, flags.wipe);
    return single ? json(200, { task: tasks[0] }) : json(200, { tasks });
  }
  const locked = ctx.lockCheck([...byApp.keys()], flags.force);
  if (locked) return locked;
  const changes: { appId: string; def: AppDefinition }[] = [];
  for (const [appId, instances] of byApp) {
    const app = engine.app(appId);
    if (!app) continue;
    const toKill = instances.filter((i) => isActive(i) && i.goal === "running");
    for (const i of toKill) engine.kill(i, "KillingTasksViaApi");
    const def = stripVersion(app.def);
    def.instances = Math.max(0, (def.instances ?? 1) - toKill.length);
    changes.push({ appId, def });
  }
  const d = engine.deploy(changes, flags.force);
  return json(200, { deploymentId: d.id, version: d.version }, { "Marathon-Deployment-Id": d.id });
}

/** DELETE /v2/apps/{id}/tasks/{taskId}: the task's instance, found by any incarnation of its task id. */
export function killOneTask(ctx: KillContext, appId: string, taskId: string, q: URLSearchParams): ApiReply {
  if (!ctx.engine.app(appId)) return message(404, `App '${appId}' does not exist`);
  const parsed = parseTaskId(taskId);
  const found = activeInstances(ctx.engine, appId).filter((i) => i.instanceId === parsed?.instanceId);
  const flags = flagsOf(q);
  if (found.length === 0 && !flags.scale) return message(404, `Task '${taskId}' does not exist`);
  return kill(ctx, new Map([[appId, found]]), flags, true);
}

/** DELETE /v2/apps/{id}/tasks[?host=]: every task of the app (on that host; `*` = any). */
export function killAppTasks(ctx: KillContext, appId: string, q: URLSearchParams): ApiReply {
  if (!ctx.engine.app(appId)) return message(404, `App '${appId}' does not exist`);
  const host = q.get("host");
  const found = activeInstances(ctx.engine, appId).filter((i) => host === null || host === "*" || i.agent.hostname.includes(host));
  return kill(ctx, new Map([[appId, found]]), flagsOf(q), false);
}

/** POST /v2/tasks/delete with `{"ids": [...]}`: tasks of any apps; unknown ids are skipped, malformed ones refused. */
export function killTasksById(ctx: KillContext, body: string, q: URLSearchParams): ApiReply {
  let ids: unknown;
  try {
    ids = (JSON.parse(body) as { ids?: unknown } | null)?.ids;
  } catch (error) {
    return json(400, { message: "Invalid JSON", details: `Unexpected input: ${(error as Error).message}` });
  }
  if (!Array.isArray(ids) || ids.some((id) => typeof id !== "string")) {
    return json(422, { message: "Invalid JSON", details: [{ path: "/ids", errors: ["error.expected.jsarray"] }] });
  }
  const byApp = new Map<string, Instance[]>();
  for (const id of new Set(ids as string[])) {
    const parsed = parseTaskId(id);
    if (!parsed) return message(400, `Invalid task id '${id}'.`);
    const appId = absoluteAppId(parsed.appId);
    const instance = activeInstances(ctx.engine, appId).find((i) => i.instanceId === parsed.instanceId);
    if (!instance || !ctx.engine.app(appId)) continue;
    byApp.set(appId, [...(byApp.get(appId) ?? []), instance]);
  }
  return kill(ctx, byApp, flagsOf(q), false);
}
