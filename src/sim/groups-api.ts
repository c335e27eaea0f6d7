import type { AppDefinition } from "../marathon/types.js";
import { absoluteAppId, invalidJsonBody, normalizeApp, notValidBody, readErrors, stripVersion, validationErrors } from "./app-definition.js";
import { ancestorsOf, canonicalPath, dependencyEdges, hasDependencyCycle, isUnder, parentOf, type GroupRecord } from "./groups.js";
import type { ApiReply, ApiRequest, ErrorDetail } from "./api-types.js";
import type { DeployOptions, MarathonEngine } from "./marathon-engine.js";
import { appJson, type AppEmbeds } from "./marathon-json.js";
import { queryFlag } from "./query-flags.js";
import { residentErrors } from "./resident.js";

/**
 * `/v2/groups` as Marathon 1.10/1.11 answers it (GroupsResource, GroupApiService,
 * GroupConversion, DefaultInfoService.queryGroup): the tree of groups and apps, creation
 * and update of a subtree (apps and subgroups given replace the ones there, dependencies
 * resolved against the group), rollback to a root version, scaleBy, delete, versions.
 */

/** What the group routes need from the REST layer. */
export interface GroupContext {
  engine: MarathonEngine;
  lockCheck(appIds: string[], force: boolean, groupId: string): ApiReply | undefined;
  apiPostEvent(req: ApiRequest, def: AppDefinition): void;
}

/** The JSON of GroupUpdate (group.raml) the simulator reads. */
interface GroupUpdate {
  id?: unknown;
  apps?: unknown;
  groups?: unknown;
  dependencies?: unknown;
  scaleBy?: unknown;
  version?: unknown;
  enforceRole?: unknown;
}

interface Tree {
  apps: Map<string, AppDefinition>;
  groups: Map<string, GroupRecord>;
}

const json = (status: number, body?: unknown, headers?: Record<string, string>): ApiReply => ({ status, body, headers });
const message = (status: number, text: string): ApiReply => json(status, { message: text });

/** `embed=` of GET /v2/groups: group.groups/group.apps/group.pods (all three when none is given) and group.apps.* app embeds. */
function groupEmbeds(values: string[]): { groups: boolean; apps: boolean; app: AppEmbeds } {
  const set = new Set(values);
  const appValues = new Set(values.filter((v) => v.startsWith("group.apps.")).map((v) => v.slice("group.apps.".length)));
  const none = values.length === 0;
  return {
    groups: none || set.has("group.groups"),
    apps: none || set.has("group.apps"),
    app: {
      tasks: appValues.has("tasks") || appValues.has("failures"),
      counts: appValues.has("counts"),
      deployments: appValues.has("deployments") || appValues.has("tasks") || appValues.has("failures"),
      lastTaskFailure: appValues.has("lastTaskFailure") || appValues.has("failures"),
      readiness: appValues.has("readiness"),
      taskStats: appValues.has("taskStats"),
    },
  };
}

/** GroupInfo of `groupId` over a tree; `appOut` renders one app. */
function groupInfo(groupId: string, tree: Tree, embeds: { groups: boolean; apps: boolean }, appOut: (id: string) => Record<string, unknown>): Record<string, unknown> {
  const group = tree.groups.get(groupId) as GroupRecord;
  const childGroups = [...tree.groups.keys()].filter((id) => id !== "/" && id !== groupId && parentOf(id) === groupId).sort();
  const childApps = [...tree.apps.keys()].filter((id) => parentOf(id) === groupId).sort();
  return {
    id: groupId,
    apps: embeds.apps ? childApps.map(appOut) : [],
    groups: embeds.groups ? childGroups.map((id) => groupInfo(id, tree, embeds, appOut)) : [],
    pods: [],
    dependencies: [...group.dependencies],
    version: group.version,
    enforceRole: group.enforceRole,
  };
}

function currentTree(engine: MarathonEngine): Tree {
  return { apps: new Map(engine.visibleApps().map((a) => [a.id, a.def])), groups: new Map(engine.groups) };
}

/** Routes `/v2/groups[/{id}][/versions[/{v}]]`; `rest` is the path after `/v2/groups`. */
export function handleGroups(ctx: GroupContext, req: ApiRequest, rest: string): ApiReply {
  const q = req.url.searchParams;
  const force = queryFlag(q, "force", false);
  // GroupsResource's ListVersionsRE/GetVersionRE: a last (or last but one) segment `versions`.
  const versions = /^(?:(.+)\/)?versions(?:\/([^/]+))?$/.exec(rest.replace(/^\/+/, ""));
  if (req.method === "GET") {
    if (versions) return groupVersions(ctx.engine, absoluteAppId(versions[1] ?? ""), versions[2]);
    return getGroup(ctx.engine, absoluteAppId(rest), q.getAll("embed"));
  }
  if (req.method === "POST") return createGroup(ctx, req, absoluteAppId(rest), force);
  if (req.method === "PUT") return updateGroup(ctx, req, absoluteAppId(rest), force, queryFlag(q, "dryRun", false));
  if (req.method === "DELETE") return deleteGroup(ctx, absoluteAppId(rest), force);
  return message(405, "Method not allowed");
}

function getGroup(engine: MarathonEngine, groupId: string, embed: string[]): ApiReply {
  const tree = currentTree(engine);
  if (!tree.groups.has(groupId)) return message(404, `Group '${groupId}' does not exist`);
  const embeds = groupEmbeds(embed);
  return json(
    200,
    groupInfo(groupId, tree, embeds, (id) => appJson(engine, engine.app(id) as NonNullable<ReturnType<MarathonEngine["app"]>>, embeds.app)),
  );
}

/** GET /v2/groups/{id}/versions: root versions in which the group existed, newest first; /versions/{v}: the group then. */
function groupVersions(engine: MarathonEngine, groupId: string, version: string | undefined): ApiReply {
  if (version === undefined) {
    if (!engine.groups.has(groupId)) return message(404, `Group '${groupId}' does not exist`);
    return json(200, engine.rootVersions.filter((r) => r.groups.has(groupId)).map((r) => r.version).reverse());
  }
  const snapshot = engine.rootVersions.find((r) => r.version === version);
  if (!snapshot?.groups.has(groupId)) return message(404, `Group '${groupId}' does not exist`);
  return json(200, groupInfo(groupId, snapshot, { groups: true, apps: true }, (id) => structuredClone(snapshot.apps.get(id)) as Record<string, unknown>));
}

function parseBody(req: ApiRequest): { ok: true; value: GroupUpdate } | { ok: false; reply: ApiReply } {
  let value: unknown;
  try {
    value = JSON.parse(req.body === "" ? "null" : req.body) as unknown;
  } catch (error) {
    return { ok: false, reply: json(400, { message: "Invalid JSON", details: `Unexpected input: ${(error as Error).message}` }) };
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return { ok: false, reply: json(422, invalidJsonBody([{ path: "/", errors: ["error.expected.jsobject"] }])) };
  return { ok: true, value: value as GroupUpdate };
}

/**
 * GroupConversion.execute over a copy of the tree: apps and subgroups the update lists
 * replace those of the group (others are removed with everything under them);
 * dependencies, relative to the group, replace the old ones when given.
 */
function applyUpdate(update: GroupUpdate, groupId: string, tree: Tree, version: string, prefix: string, touched: Map<string, string>, problems: ErrorDetail[]): void {
  const existing = tree.groups.get(groupId);
  if (Array.isArray(update.groups)) {
    const subIds = update.groups.map((g: GroupUpdate) => canonicalPath(String(g.id ?? ""), groupId));
    for (const id of [...tree.groups.keys()]) {
      if (id !== groupId && parentOf(id) === groupId && !subIds.includes(id)) removeSubtree(tree, id);
    }
    update.groups.forEach((g: GroupUpdate, i: number) => {
      if (typeof g?.id !== "string") problems.push({ path: `${prefix}/groups(${i})/id`, errors: ["error.path.missing"] });
      else applyUpdate(g, subIds[i] as string, tree, version, `${prefix}/groups(${i})`, touched, problems);
    });
  }
  if (Array.isArray(update.apps)) {
    const appIds = update.apps.map((a) => canonicalPath(String((a as { id?: unknown } | null)?.id ?? ""), groupId));
    for (const id of [...tree.apps.keys()]) if (parentOf(id) === groupId && !appIds.includes(id)) tree.apps.delete(id);
    update.apps.forEach((app, i) => {
      const id = appIds[i] as string;
      if (typeof (app as { id?: unknown } | null)?.id !== "string") {
        problems.push({ path: `${prefix}/apps(${i})/id`, errors: ["error.path.missing"] });
        return;
      }
      if (parentOf(id) !== groupId) {
        problems.push({ path: `${prefix}/apps(${i})/id`, errors: [`Identifier is not child of '${groupId}'`] });
        return;
      }
      tree.apps.set(id, { ...(app as AppDefinition), id });
      touched.set(id, `${prefix}/apps(${i})`);
    });
  }
  const dependencies = Array.isArray(update.dependencies) ? update.dependencies.map((d) => canonicalPath(String(d), groupId)) : (existing?.dependencies ?? []);
  const enforceRole = typeof update.enforceRole === "boolean" ? update.enforceRole : (existing?.enforceRole ?? false);
  tree.groups.set(groupId, { id: groupId, dependencies, enforceRole, version });
  for (const id of ancestorsOf(groupId)) if (!tree.groups.has(id)) tree.groups.set(id, { id, dependencies: [], enforceRole: false, version });
}

function removeSubtree(tree: Tree, groupId: string): void {
  for (const id of [...tree.groups.keys()]) if (id !== "/" && isUnder(id, groupId)) tree.groups.delete(id);
  for (const id of [...tree.apps.keys()]) if (isUnder(id, groupId)) tree.apps.delete(id);
}

/**
 * Validates the apps the update wrote (type errors first, as Marathon reads before it
 * validates), refuses dependency cycles, and deploys the difference as one plan.
 */
function deployTree(ctx: GroupContext, req: ApiRequest, tree: Tree, touched: Map<string, string>, force: boolean, options: Required<Pick<DeployOptions, "groupId">>, created: boolean): ApiReply {
  const { engine } = ctx;
  const typeErrors: ErrorDetail[] = [];
  const problems: ErrorDetail[] = [];
  for (const [id, prefix] of touched) {
    const def = tree.apps.get(id) as AppDefinition;
    const errors = readErrors(def, prefix);
    if (errors.length > 0) typeErrors.push(...errors);
    else problems.push(...[...validationErrors(def), ...residentErrors(normalizeApp(def), engine.app(id)?.def)].map((e) => ({ ...e, path: `${prefix}${e.path === "/" ? "" : e.path}` })));
  }
  if (typeErrors.length > 0) return json(422, invalidJsonBody(typeErrors));
  if (problems.length > 0) return json(422, notValidBody(problems));
  const edges = dependencyEdges(
    [...tree.apps.values()].map((a) => ({ id: a.id, dependencies: normalizeApp(a).dependencies ?? [] })),
    [...tree.groups.values()],
  );
  if (hasDependencyCycle(edges)) {
    engine.emitGroupChangeFailed(options.groupId, engine.isoNow(), "Dependency graph has cyclic dependencies.");
    return json(422, notValidBody([{ path: "/", errors: ["Dependency graph has cyclic dependencies."] }]));
  }
  const changes: { appId: string; def: AppDefinition | undefined }[] = [];
  for (const app of engine.visibleApps()) if (!tree.apps.has(app.id)) changes.push({ appId: app.id, def: undefined });
  for (const id of touched.keys()) changes.push({ appId: id, def: tree.apps.get(id) });
  const locked = ctx.lockCheck(
    changes.map((c) => c.appId),
    force,
    options.groupId,
  );
  if (locked) return locked;
  for (const id of touched.keys()) ctx.apiPostEvent(req, normalizeApp(tree.apps.get(id) as AppDefinition));
  const d = engine.deploy(changes, force, { groupId: options.groupId, groups: tree.groups });
  const headers: Record<string, string> = { "Marathon-Deployment-Id": d.id };
  return json(created ? 201 : 200, { version: d.version, deploymentId: d.id }, headers);
}

function createGroup(ctx: GroupContext, req: ApiRequest, rootPath: string, force: boolean): ApiReply {
  const parsed = parseBody(req);
  if (!parsed.ok) return parsed.reply;
  const update = parsed.value;
  const groupId = typeof update.id === "string" ? canonicalPath(update.id, rootPath) : rootPath;
  const tree = currentTree(ctx.engine);
  if (tree.groups.has(groupId)) return message(409, `Group ${groupId} is already created. Use PUT to change this group.`);
  if (tree.apps.has(groupId)) return message(409, `An app with the path ${groupId} already exists.`);
  const touched = new Map<string, string>();
  const problems: ErrorDetail[] = [];
  applyUpdate(update, groupId, tree, ctx.engine.isoNow(), "", touched, problems);
  if (problems.length > 0) return json(422, notValidBody(problems));
  const reply = deployTree(ctx, req, tree, touched, force, { groupId: parentOf(rootPath) }, true);
  if (reply.status === 201) reply.headers = { ...reply.headers, Location: groupId };
  return reply;
}

function updateGroup(ctx: GroupContext, req: ApiRequest, rootPath: string, force: boolean, dryRun: boolean): ApiReply {
  const { engine } = ctx;
  const parsed = parseBody(req);
  if (!parsed.ok) return parsed.reply;
  const update = parsed.value;
  const groupId = typeof update.id === "string" ? canonicalPath(update.id, rootPath) : rootPath;
  const changeGroup = parentOf(rootPath);
  if (dryRun) return message(400, "The simulator does not plan dry runs (dryRun=true); nothing was changed.");
  const tree = currentTree(engine);
  const touched = new Map<string, string>();
  if (typeof update.version === "string") {
    // Rollback: the group's subtree as it was in that root version, as a new version.
    const snapshot = engine.rootVersions.find((r) => r.version === update.version);
    if (!snapshot?.groups.has(groupId)) {
      const reason = `Group ${groupId} not available in version ${update.version}`;
      engine.emitGroupChangeFailed(changeGroup, engine.isoNow(), reason);
      return message(422, reason);
    }
    removeSubtree(tree, groupId);
    for (const [id, group] of snapshot.groups) if (isUnder(id, groupId)) tree.groups.set(id, { ...group });
    for (const [id, def] of snapshot.apps) {
      if (!isUnder(id, groupId)) continue;
      tree.apps.set(id, stripVersion(def));
      touched.set(id, "");
    }
  } else if (typeof update.scaleBy === "number") {
    for (const [id, def] of tree.apps) {
      if (!isUnder(id, groupId)) continue;
      const copy = stripVersion(def);
      copy.instances = Math.ceil((def.instances ?? 1) * update.scaleBy);
      tree.apps.set(id, copy);
      touched.set(id, "");
    }
  } else {
    const problems: ErrorDetail[] = [];
    applyUpdate(update, groupId, tree, engine.isoNow(), "", touched, problems);
    if (problems.length > 0) return json(422, notValidBody(problems));
  }
  return deployTree(ctx, req, tree, touched, force, { groupId: changeGroup }, false);
}

function deleteGroup(ctx: GroupContext, groupId: string, force: boolean): ApiReply {
  const { engine } = ctx;
  const changeGroup = groupId === "/" ? "/" : parentOf(groupId);
  if (!engine.groups.has(groupId)) {
    engine.emitGroupChangeFailed(changeGroup, engine.isoNow(), `Group '${groupId}' does not exist`);
    return message(404, `Group '${groupId}' does not exist`);
  }
  const tree = currentTree(engine);
  removeSubtree(tree, groupId);
  if (groupId === "/") tree.groups = new Map([["/", { id: "/", dependencies: [], enforceRole: false, version: engine.isoNow() }]]);
  const changes = engine.visibleApps().filter((a) => !tree.apps.has(a.id)).map((a) => ({ appId: a.id, def: undefined }));
  const locked = ctx.lockCheck(
    changes.map((c) => c.appId),
    force,
    changeGroup,
  );
  if (locked) return locked;
  const d = engine.deploy(changes, force, { groupId: changeGroup, groups: tree.groups });
  return json(200, { version: d.version, deploymentId: d.id }, { "Marathon-Deployment-Id": d.id });
}
