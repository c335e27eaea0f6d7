import type { IncomingMessage, ServerResponse } from "node:http";
import type { AppDefinition, UncheckedMarathonEvent } from "../marathon/types.js";
import {
  absoluteAppId,
  invalidJsonBody,
  normalizeApp,
  notValidBody,
  readErrors,
  stripVersion,
  validationErrors,
} from "./app-definition.js";
import { sseFrame } from "./event-bus.js";
import { queryFlag } from "./query-flags.js";
import { residentErrors } from "./resident.js";
import { killAppTasks, killOneTask, killTasksById, type KillContext } from "./tasks-api.js";
import { handleGroups, type GroupContext } from "./groups-api.js";
import { parentOf } from "./groups.js";
import { isActive, taskJson } from "./instance.js";
import { appJson, deploymentJson, parseEmbeds, queueJson } from "./marathon-json.js";
import type { MarathonEngine } from "./marathon-engine.js";
import type { ApiReply, ApiRequest } from "./api-types.js";

/** What the REST layer needs to know about the HA setup. */
export interface LeaderInfo {
  /** "host:port" of the current leader. */
  leaderHostPort(): string | undefined;
  /** Gives up leadership (DELETE /v2/leader). */
  abdicate(): void;
  version: string;
  httpPort: number;
  mesosUrl: string;
}

const json = (status: number, body?: unknown, headers?: Record<string, string>): ApiReply => ({ status, body, headers });
const message = (status: number, text: string): ApiReply => json(status, { message: text });

/**
 * Marathon's REST API over the engine: routes, status codes, headers and bodies of
 * Marathon 1.10/1.11 (AppsResource, DeploymentsResource, QueueResource, ...).
 */
export class MarathonApi {
  private readonly killContext: KillContext;
  private readonly groupContext: GroupContext;

  constructor(
    private readonly engine: MarathonEngine,
    private readonly leader: LeaderInfo,
  ) {
    this.killContext = { engine, lockCheck: (appIds, force) => this.lockCheck(appIds, force) };
    this.groupContext = { engine, lockCheck: (appIds, force, groupId) => this.lockCheck(appIds, force, groupId), apiPostEvent: (req, def) => this.apiPostEvent(req, def) };
  }

  handle(req: ApiRequest): ApiReply {
    const { method } = req;
    const path = req.url.pathname.replace(/\/+$/, "") || "/";
    const q = req.url.searchParams;
    if (path === "/ping") return method === "GET" || method === "HEAD" ? { status: 200, text: "pong" } : message(405, "Method not allowed");
    if (path === "/v2/info") return method === "GET" ? json(200, this.info()) : message(405, "Method not allowed");
    if (path === "/v2/leader") {
      const leader = this.leader.leaderHostPort();
      if (method === "GET") return leader ? json(200, { leader }) : message(404, "There is no leader");
      if (method === "DELETE") {
        this.leader.abdicate();
        return json(200, { message: "Leadership abdicated" });
      }
      return message(405, "Method not allowed");
    }
    if (path === "/v2/queue") return method === "GET" ? json(200, queueJson(this.engine)) : message(405, "Method not allowed");
    const delay = /^\/v2\/queue\/(.+)\/delay$/.exec(path);
    if (delay && method === "DELETE") {
      const appId = absoluteAppId(decodeURIComponent(delay[1] as string));
      if (!this.engine.app(appId)) return message(404, `App '${appId}' does not exist`);
      this.engine.resetBackoff(appId);
      return { status: 204 };
    }
    if (path === "/v2/tasks") return method === "GET" ? json(200, { tasks: this.allTasks() }) : message(405, "Method not allowed");
    if (path === "/v2/tasks/delete") return method === "POST" ? killTasksById(this.killContext, req.body, q) : message(405, "Method not allowed");
    if (path === "/v2/deployments") return method === "GET" ? json(200, [...this.engine.deployments.values()].map((d) => deploymentJson(this.engine, d))) : message(405, "Method not allowed");
    const dep = /^\/v2\/deployments\/([^/]+)$/.exec(path);
    if (dep) return method === "DELETE" ? this.deleteDeployment(decodeURIComponent(dep[1] as string), queryFlag(q, "force", false)) : message(405, "Method not allowed");
    if (path === "/v2/apps") {
      if (method === "GET") return this.listApps(q);
      if (method === "POST") return this.createApp(req);
      if (method === "PUT" || method === "PATCH") return this.updateMany(req, method === "PATCH" || queryFlag(q, "partialUpdate", true));
      return message(405, "Method not allowed");
    }
    if (path.startsWith("/v2/apps/")) return this.appRoute(req, decodeURIComponent(path.slice("/v2/apps".length)));
    if (path === "/v2/groups" || path.startsWith("/v2/groups/")) return handleGroups(this.groupContext, req, decodeURIComponent(path.slice("/v2/groups".length)));
    return message(404, `Not found: ${path}`);
  }

  private info(): Record<string, unknown> {
    const leader = this.leader.leaderHostPort();
    return {
      name: "marathon",
      version: this.leader.version,
      buildref: "mdeploy-sim",
      elected: leader !== undefined,
      leader: leader ?? null,
      frameworkId: this.engine.frameworkId,
      marathon_config: {
        checkpoint: true,
        executor: "//cmd",
        failover_timeout: 604800,
        features: [],
        framework_name: "marathon",
        ha: true,
        hostname: "127.0.0.1",
        launch_token: 100,
        master: this.leader.mesosUrl,
        max_instances_per_offer: this.engine.maxInstancesPerOffer,
        mesos_role: null,
        mesos_user: "root",
        task_launch_confirm_timeout: 300000,
        task_launch_timeout: 300000,
        webui_url: null,
      },
      zookeeper_config: { zk: "zk://localhost:2181/marathon", zk_max_versions: 50, zk_session_timeout: 10000, zk_timeout: 10000 },
      http_config: { http_port: this.leader.httpPort, https_port: 8443 },
    };
  }

  private allTasks(): unknown[] {
    const now = this.engine.clock.now();
    return this.engine.visibleApps().flatMap((app) => [...app.instances.values()].filter(isActive).map((i) => taskJson(i, now)));
  }

  private listApps(q: URLSearchParams): ApiReply {
    const embeds = parseEmbeds(q.getAll("embed"), false);
    const idFilter = q.get("id");
    const cmdFilter = q.get("cmd");
    const labelFilter = q.get("label");
    const apps = this.engine.visibleApps().filter((app) => {
      if (idFilter && !app.id.includes(idFilter)) return false;
      if (cmdFilter && !(app.def.cmd ?? "").includes(cmdFilter)) return false;
      if (labelFilter) {
        const [key, value] = labelFilter.split("==");
        const labels = app.def.labels ?? {};
        if (!key || !(key in labels) || (value !== undefined && labels[key] !== value)) return false;
      }
      return true;
    });
    return json(200, { apps: apps.map((a) => appJson(this.engine, a, embeds)) });
  }

  private appRoute(req: ApiRequest, rest: string): ApiReply {
    const q = req.url.searchParams;
    const method = req.method;
    let m = /^(.*)\/versions\/([^/]+)$/.exec(rest);
    if (m) {
      const app = this.engine.app(absoluteAppId(m[1] as string));
      if (!app) return message(404, `App '${absoluteAppId(m[1] as string)}' does not exist`);
      const def = app.versions.get(m[2] as string);
      return def ? json(200, def) : message(404, `App '${app.id}' does not exist in version ${m[2] as string}`);
    }
    m = /^(.*)\/versions$/.exec(rest);
    if (m) {
      const app = this.engine.app(absoluteAppId(m[1] as string));
      if (!app) return message(404, `App '${absoluteAppId(m[1] as string)}' does not exist`);
      return json(200, { versions: [...app.versionOrder].reverse() });
    }
    m = /^(.*)\/tasks\/([^/]+)$/.exec(rest);
    if (m && method === "DELETE") return killOneTask(this.killContext, absoluteAppId(m[1] as string), m[2] as string, q);
    m = /^(.*)\/tasks$/.exec(rest);
    if (m) {
      const app = this.engine.app(absoluteAppId(m[1] as string));
      if (!app) return message(404, `App '${absoluteAppId(m[1] as string)}' does not exist`);
      const now = this.engine.clock.now();
      if (method === "GET") return json(200, { tasks: [...app.instances.values()].filter(isActive).map((i) => taskJson(i, now)) });
      if (method === "DELETE") return killAppTasks(this.killContext, app.id, q);
      return message(405, "Method not allowed");
    }
    m = /^(.*)\/restart$/.exec(rest);
    if (m && method === "POST") {
      const appId = absoluteAppId(m[1] as string);
      const app = this.engine.app(appId);
      if (!app) return message(404, `App '${appId}' does not exist`);
      const locked = this.lockCheck([appId], queryFlag(q, "force", false));
      if (locked) return locked;
      const d = this.engine.deploy([{ appId, def: stripVersion(app.def), restart: true }], queryFlag(q, "force", false), { groupId: parentOf(appId) });
      return json(200, { deploymentId: d.id, version: d.version }, { "Marathon-Deployment-Id": d.id });
    }
    const appId = absoluteAppId(rest);
    if (method === "GET") {
      const app = this.engine.app(appId);
      if (!app) return message(404, `App '${appId}' does not exist`);
      return json(200, { app: appJson(this.engine, app, parseEmbeds(q.getAll("embed"), true)) });
    }
    if (method === "PUT" || method === "PATCH") return this.updateOne(req, appId, method === "PATCH" || queryFlag(q, "partialUpdate", true), method === "PATCH");
    if (method === "DELETE") {
      if (!this.engine.app(appId)) return message(404, `App '${appId}' does not exist`);
      // DELETE defaults to force=true in Marathon.
      const force = queryFlag(q, "force", true);
      const locked = this.lockCheck([appId], force);
      if (locked) return locked;
      const d = this.engine.deploy([{ appId, def: undefined }], force, { groupId: parentOf(appId) });
      return json(200, { deploymentId: d.id, version: d.version }, { "Marathon-Deployment-Id": d.id });
    }
    return message(405, "Method not allowed");
  }

  /** 409 when a running deployment holds one of the apps and force is off; 403 past the deployment limit. */
  private lockCheck(appIds: string[], force: boolean, groupId = groupOf(appIds)): ApiReply | undefined {
    if (force) return undefined;
    if (this.engine.deployments.size >= this.engine.maxRunningDeployments) {
      // TooManyRunningDeploymentsException's text, missing space included.
      const text = `Max number (${this.engine.maxRunningDeployments}) of running deployments is achieved. Wait for existing deployments to complete or cancel oneusing force=true parameter. You can increase max deployment number by using --max_running_deployments parameter but be advised that this can have negative effects on the performance.`;
      this.engine.emitGroupChangeFailed(groupId, this.engine.isoNow(), text);
      return message(403, text);
    }
    const holding = [...new Set(appIds.map((id) => this.engine.runningDeploymentOf(id)).filter((d) => d !== undefined))];
    if (holding.length === 0) return undefined;
    this.engine.emitLockedPlanFailure(groupId);
    return json(409, {
      message: `App is locked by one or more deployments. Override with the option '?force=true'. View details at '/v2/deployments/<DEPLOYMENT_ID>'.`,
      deployments: holding.map((d) => ({ id: d.id })),
    });
  }

  private parse(req: ApiRequest): { ok: true; value: unknown } | { ok: false; reply: ApiReply } {
    try {
      return { ok: true, value: JSON.parse(req.body === "" ? "null" : req.body) as unknown };
    } catch (error) {
      return { ok: false, reply: json(400, { message: "Invalid JSON", details: `Unexpected input: ${(error as Error).message}` }) };
    }
  }

  private apiPostEvent(req: ApiRequest, def: AppDefinition): void {
    this.engine.emit("api_post_event", { clientIp: req.remoteAddress, uri: req.url.pathname, appDefinition: def });
  }

  /**
   * Reads one app definition for create or update: type errors (422 Invalid JSON),
   * the partial merge, defaults and Marathon's semantic rules (422 Object is not valid).
   */
  private prepare(body: unknown, appId: string, partial: boolean, prefix = ""): { ok: true; def: AppDefinition } | { ok: false; reply: ApiReply } {
    const typeErrors = readErrors(body, prefix);
    if (typeErrors.length > 0) return { ok: false, reply: json(422, invalidJsonBody(typeErrors)) };
    const input = body as AppDefinition;
    const existing = this.engine.app(appId);
    const base = partial && existing ? stripVersion(existing.def) : {};
    const merged = { ...base, ...input, id: appId } as AppDefinition;
    delete merged.version;
    delete merged.versionInfo;
    const problems = [...validationErrors(merged), ...residentErrors(normalizeApp(merged), existing?.def)];
    if (problems.length > 0) {
      return { ok: false, reply: json(422, notValidBody(problems.map((p) => ({ ...p, path: prefix + p.path })))) };
    }
    return { ok: true, def: merged };
  }

  private createApp(req: ApiRequest): ApiReply {
    const parsed = this.parse(req);
    if (!parsed.ok) return parsed.reply;
    const body = parsed.value as Record<string, unknown> | null;
    const typeErrors = readErrors(body);
    if (body && typeof body === "object" && !Array.isArray(body) && body.id === undefined) typeErrors.unshift({ path: "/id", errors: ["error.path.missing"] });
    if (typeErrors.length > 0) return json(422, invalidJsonBody(typeErrors));
    const appId = absoluteAppId(String(body?.id));
    const prepared = this.prepare(body, appId, false);
    if (!prepared.ok) return prepared.reply;
    if (this.engine.app(appId)) return message(409, `An app with id [${appId}] already exists.`);
    const force = queryFlag(req.url.searchParams, "force", false);
    const locked = this.lockCheck([appId], force);
    if (locked) return locked;
    this.apiPostEvent(req, normalizeApp(prepared.def));
    const d = this.engine.deploy([{ appId, def: prepared.def }], force, { groupId: parentOf(appId) });
    const app = this.engine.app(appId);
    const out = app ? appJson(this.engine, app, { tasks: true, counts: true, deployments: true, lastTaskFailure: false, readiness: false, taskStats: false }) : {};
    out.deployments = [{ id: d.id }];
    return json(201, out, { Location: `/v2/apps${appId}`, "Marathon-Deployment-Id": d.id });
  }

  private updateOne(req: ApiRequest, appId: string, partial: boolean, patch: boolean): ApiReply {
    const parsed = this.parse(req);
    if (!parsed.ok) return parsed.reply;
    const body = parsed.value;
    const force = queryFlag(req.url.searchParams, "force", false);
    const existing = this.engine.app(appId);
    if (patch && !existing) return message(404, `App '${appId}' does not exist`);
    if (body && typeof body === "object" && !Array.isArray(body) && "version" in body) {
      return this.rollback(req, appId, body as Record<string, unknown>, force);
    }
    const prepared = this.prepare(body, appId, partial);
    if (!prepared.ok) return prepared.reply;
    const locked = this.lockCheck([appId], force);
    if (locked) return locked;
    this.apiPostEvent(req, normalizeApp(prepared.def));
    const d = this.engine.deploy([{ appId, def: prepared.def }], force, { groupId: parentOf(appId) });
    return json(existing ? 200 : 201, { deploymentId: d.id, version: d.version }, { "Marathon-Deployment-Id": d.id, ...(existing ? {} : { Location: `/v2/apps${appId}` }) });
  }

  /** PUT `{"version": ts}`: redeploy a stored version (including its instances) as a new version. */
  private rollback(req: ApiRequest, appId: string, body: Record<string, unknown>, force: boolean): ApiReply {
    const extra = Object.keys(body).filter((k) => k !== "id" && k !== "version");
    if (extra.length > 0 || typeof body.version !== "string") {
      return json(422, notValidBody([{ path: "/", errors: ["The 'version' field may only be combined with the 'id' field."] }]));
    }
    const app = this.engine.app(appId);
    if (!app) return message(404, `App '${appId}' does not exist`);
    const def = app.versions.get(body.version);
    if (!def) return message(404, `App '${appId}' does not exist in version ${body.version}`);
    const locked = this.lockCheck([appId], force);
    if (locked) return locked;
    this.apiPostEvent(req, def);
    const d = this.engine.deploy([{ appId, def: stripVersion(def) }], force, { groupId: parentOf(appId) });
    return json(200, { deploymentId: d.id, version: d.version }, { "Marathon-Deployment-Id": d.id });
  }

  /** PUT/PATCH /v2/apps with an array: one deployment for all of them. */
  private updateMany(req: ApiRequest, partial: boolean): ApiReply {
    const parsed = this.parse(req);
    if (!parsed.ok) return parsed.reply;
    if (!Array.isArray(parsed.value)) return json(422, invalidJsonBody([{ path: "/", errors: ["error.expected.jsarray"] }]));
    const force = queryFlag(req.url.searchParams, "force", false);
    const changes: { appId: string; def: AppDefinition }[] = [];
    for (const [index, item] of parsed.value.entries()) {
      const id = (item as { id?: unknown } | null)?.id;
      if (typeof id !== "string") return json(422, invalidJsonBody([{ path: `(${index})/id`, errors: ["error.path.missing"] }]));
      const appId = absoluteAppId(id);
      if (req.method === "PATCH" && !this.engine.app(appId)) return message(404, `App '${appId}' does not exist`);
      const prepared = this.prepare(item, appId, partial, `(${index})`);
      if (!prepared.ok) return prepared.reply;
      changes.push({ appId, def: prepared.def });
    }
    const locked = this.lockCheck(
      changes.map((c) => c.appId),
      force,
    );
    if (locked) return locked;
    for (const c of changes) this.apiPostEvent(req, normalizeApp(c.def));
    const d = this.engine.deploy(changes, force);
    return json(200, { deploymentId: d.id, version: d.version }, { "Marathon-Deployment-Id": d.id });
  }

  private deleteDeployment(id: string, force: boolean): ApiReply {
    const d = this.engine.deployments.get(id);
    if (!d) return message(404, `DeploymentPlan ${id} does not exist`);
    if (force) {
      this.engine.cancelDeployment(d, "The upgrade has been cancelled");
      return { status: 202 };
    }
    // Revert: a forced deployment back to the definitions from before the plan.
    this.engine.cancelDeployment(d, "The upgrade has been cancelled");
    const changes = [...d.original.entries()].map(([appId, def]) => ({ appId, def, keepVersion: def !== undefined }));
    const revert = this.engine.deploy(changes, true);
    return json(200, { deploymentId: revert.id, version: revert.version }, { "Marathon-Deployment-Id": revert.id });
  }

  /** Serves `/v2/events` as server-sent events until the client or a fault closes it. */
  streamEvents(req: IncomingMessage, res: ServerResponse, url: URL, onClose: (close: () => void) => () => void): void {
    const accept = req.headers.accept ?? "";
    if (!accept.includes("text/event-stream")) {
      res.writeHead(405, { "Content-Type": "application/json" }).end(JSON.stringify({ message: "Use Accept: text/event-stream" }));
      return;
    }
    const types = new Set(url.searchParams.getAll("event_type"));
    res.writeHead(200, { "Content-Type": "text/event-stream", "Cache-Control": "no-cache, no-store, must-revalidate", Connection: "keep-alive" });
    const send = (event: UncheckedMarathonEvent, always = false) => {
      if (!always && types.size > 0 && !types.has(event.eventType)) return;
      // Marathon drops a client that falls far behind instead of buffering forever.
      if (res.writableLength > 8 * 1024 * 1024) {
        res.destroy();
        return;
      }
      res.write(sseFrame(event));
    };
    // The client's own attach event comes first, whatever the filter: it is the handshake.
    send({ remoteAddress: req.socket.remoteAddress ?? "127.0.0.1", eventType: "event_stream_attached", timestamp: this.engine.isoNow() } as UncheckedMarathonEvent, true);
    const unsubscribe = this.engine.events.subscribe((event) => send(event));
    const unregister = onClose(() => res.destroy());
    const cleanup = () => {
      unsubscribe();
      unregister();
    };
    res.on("close", cleanup);
    req.on("close", cleanup);
  }
}

/** The group an app route changes through (GroupManager.updateRoot(appId.parent)): group_change_* `groupId`. */
function groupOf(appIds: string[]): string {
  return appIds.length === 1 ? parentOf(appIds[0] as string) : "/";
}
