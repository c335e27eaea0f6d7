/**
 * The routing table a Traefik Marathon provider (v2.11 or v1.7) would build from the
 * apps' labels and tasks, so tests can ask "which version gets this rule's traffic,
 * and is any of it healthy". Pure: it sees apps and tasks as plain data.
 *
 * What it follows (traefik/README.md, "Two apps behind one service"):
 * - Only apps labelled `traefik.enable=true` (the repo's config has exposedByDefault false).
 * - Only TASK_RUNNING tasks; Marathon's health results are ignored. During a deployment,
 *   tasks of an app with readiness checks are routed only once ready (respectReadinessChecks).
 * - v2: every app yields its own routers and services; services of the same name from
 *   several apps merge into one (servers of all apps) when their settings other than the
 *   servers agree, and are dropped otherwise; a router defined by several apps survives
 *   only when all definitions are equal. An app with no routable task contributes nothing.
 * - v1.7: apps with the same `traefik.backend` share one backend; the first of them (in
 *   Marathon's app order) owns the frontend and its rule, later ones only add servers,
 *   each with its own app's `traefik.weight` (default 1).
 * - Of routes with the same rule, the one with the highest priority (label, else the
 *   rule's length) takes the requests; a tie is flagged, Traefik picks either.
 * Simplifications: v1.7 segment labels (`traefik.<segment>.*`), IP-per-task addresses,
 * TCP/UDP routers and Traefik's own health checks are not modelled.
 */

/** One task as the provider sees it (Marathon's task JSON plus what the simulator knows). */
export interface TrafficTask {
  taskId: string;
  appId: string;
  /** App version the task was launched with. */
  version: string;
  host: string;
  ports: number[];
  state: string;
  /** Readiness checks pass (true when the task's definition has none). */
  ready: boolean;
  /** Healthy by Marathon's checks (or running without checks); not used for routing. */
  healthy: boolean;
}

/** One app as the provider sees it. */
export interface TrafficApp {
  id: string;
  labels: Record<string, string>;
  /** `portDefinitions[].port` and names, for `name:` ports and tasks without ports. */
  portDefinitions: { port: number; name?: string }[];
  hasReadinessChecks: boolean;
  /** A deployment of the app is running (Marathon's `deployments` is not empty). */
  deploying: boolean;
  tasks: TrafficTask[];
}

/** Provider settings that change the table. */
export interface TrafficSettings {
  /** v2 `defaultRule` with `{{ normalize .Name }}` (default: the repo's traefik.yml). */
  defaultRuleV2?: string;
  /** v1.7 `domain` for the default `Host:<app>.<domain>` rule (default: the repo's traefik.toml). */
  domainV1?: string;
  /** Default true, as in the repo's configs. */
  respectReadinessChecks?: boolean;
}

/** One task receiving a rule's traffic. */
export interface RoutedServer {
  appId: string;
  taskId: string;
  version: string;
  /** host:port Traefik forwards to. */
  address: string;
  weight: number;
  /** Fraction of the rule's requests (weights over the sum of weights). */
  share: number;
  healthy: boolean;
}

/** One router (v2) or frontend (v1.7) and where its traffic goes. */
export interface Route {
  traefik: "v2" | "v1";
  rule: string;
  /** Router name (v2) or frontend name (v1.7). */
  router: string;
  /** Service (v2) or backend (v1.7) name. */
  service: string;
  /** Apps whose labels define the router (several when they agree). */
  definedBy: string[];
  servers: RoutedServer[];
  /** Servers that are healthy by Marathon's checks. */
  healthy: number;
  /** The priority label, or the rule's length without one (both generations). */
  priority: number;
  /** Another route with the same rule and a higher priority takes all its requests. */
  shadowed: boolean;
  /** Why the route gets no traffic although it is defined (missing or conflicting service). */
  problem?: string;
}

/** Everything the provider would route, plus what it dropped. */
export interface RoutingTable {
  routes: Route[];
  /** Routers or services Traefik drops because apps define them differently, with the apps. */
  conflicts: { traefik: "v2"; kind: "router" | "service"; name: string; apps: string[] }[];
}

/** One app-version's part of a rule, the timeline's compact form. */
export interface RouteShare {
  appId: string;
  version: string;
  servers: number;
  healthy: number;
  share: number;
}

/** A rule and its parts; one per route of the table. */
export interface RouteSummary {
  rule: string;
  router: string;
  traefik: "v2" | "v1";
  healthy: number;
  backends: RouteShare[];
}

const DEFAULT_RULE_V2 = "Host(`{{ normalize .Name }}.apps.example.com`)";
const DEFAULT_DOMAIN_V1 = "apps.example.com";
const V1_KEYS = ["traefik.frontend.", "traefik.backend", "traefik.port", "traefik.portindex", "traefik.weight", "traefik.domain"];

/** Traefik's `normalize`: runs of characters other than letters and digits become one dash. */
export function normalizeName(name: string): string {
  return name.split(/[^\p{L}\p{N}]+/u).filter((part) => part.length > 0).join("-");
}

/** Labels with lower-case keys: Traefik matches label keys without regard to case. */
function lowerKeys(labels: Record<string, string>): Map<string, string> {
  return new Map(Object.entries(labels).map(([k, v]) => [k.toLowerCase(), v]));
}

function isEnabled(labels: Map<string, string>): boolean {
  return labels.get("traefik.enable")?.toLowerCase() === "true";
}

/** Which provider generation's labels the app carries; v2 unless it has only v1.7 keys. */
function dialectOf(labels: Map<string, string>): "v1" | "v2" {
  const keys = [...labels.keys()];
  if (keys.some((k) => k.startsWith("traefik.http.") || k.startsWith("traefik.tcp.") || k.startsWith("traefik.udp."))) return "v2";
  return keys.some((k) => V1_KEYS.some((prefix) => k.startsWith(prefix))) ? "v1" : "v2";
}

/** The provider's task filter: running, and ready while a deployment runs. */
function routable(app: TrafficApp, task: TrafficTask, settings: TrafficSettings): boolean {
  if (task.state !== "TASK_RUNNING") return false;
  if ((settings.respectReadinessChecks ?? true) && app.deploying && app.hasReadinessChecks) return task.ready;
  return true;
}

/** The port a server label asks for: a number, `index:N`, `name:x`, or the task's first port. */
function pickPort(app: TrafficApp, task: TrafficTask, spec: string | undefined): number | undefined {
  const available = task.ports.length > 0 ? task.ports : app.portDefinitions.map((p) => p.port);
  if (spec === undefined || spec === "") return available[0];
  if (spec.startsWith("name:")) return app.portDefinitions.find((p) => p.name === spec.slice(5) && p.port > 0)?.port;
  if (spec.startsWith("index:")) return available[Number(spec.slice(6))];
  const port = Number(spec);
  return Number.isInteger(port) && port > 0 ? port : undefined;
}

/** Labels under `prefix.<name>.`, grouped by name, with the rest of the key. */
function groupByName(labels: Map<string, string>, prefix: string): Map<string, Map<string, string>> {
  const out = new Map<string, Map<string, string>>();
  for (const [key, value] of labels) {
    if (!key.startsWith(prefix)) continue;
    const rest = key.slice(prefix.length);
    const dot = rest.indexOf(".");
    if (dot <= 0) continue;
    const name = rest.slice(0, dot);
    const group = out.get(name) ?? new Map<string, string>();
    group.set(rest.slice(dot + 1), value);
    out.set(name, group);
  }
  return out;
}

function sameSettings(a: Map<string, string>, b: Map<string, string>): boolean {
  return a.size === b.size && [...a].every(([k, v]) => b.get(k) === v);
}

interface V2Service {
  settings: Map<string, string>;
  servers: RoutedServer[];
  apps: string[];
}

interface V2Router {
  settings: Map<string, string>;
  apps: string[];
}

function server(task: TrafficTask, port: number, weight: number): RoutedServer {
  return { appId: task.appId, taskId: task.taskId, version: task.version, address: `${task.host}:${port}`, weight, share: 0, healthy: task.healthy };
}

function priorityOf(label: string | undefined, rule: string): number {
  const explicit = Number(label ?? "0");
  return Number.isInteger(explicit) && explicit > 0 ? explicit : rule.length;
}

/** Marks routes a same-rule route of higher priority hides; flags ties. */
function rankSameRules(routes: Route[]): void {
  for (const route of routes) {
    const rivals = routes.filter((r) => r !== route && r.rule === route.rule);
    const top = Math.max(route.priority, ...rivals.map((r) => r.priority));
    route.shadowed = route.priority < top;
    const tied = rivals.filter((r) => r.priority === route.priority);
    if (!route.shadowed && tied.length > 0) route.problem ??= `same rule and priority as ${tied.map((r) => r.router).join(", ")}: Traefik picks either`;
  }
}

/** v2.11: per app what buildConfiguration yields, then provider.Merge across apps (in app id order). */
function routesV2(apps: TrafficApp[], settings: TrafficSettings, conflicts: RoutingTable["conflicts"]): Route[] {
  const services = new Map<string, V2Service>();
  const routers = new Map<string, V2Router>();
  const badServices = new Set<string>();
  const badRouters = new Set<string>();
  for (const app of [...apps].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))) {
    const labels = lowerKeys(app.labels);
    const ownServices = groupByName(labels, "traefik.http.services.");
    const appName = app.id.replace(/^\//, "").replaceAll("/", "_");
    if (ownServices.size === 0) ownServices.set(appName, new Map());
    const tasks = app.tasks.filter((t) => routable(app, t, settings));
    const built = new Map<string, RoutedServer[]>();
    for (const [name, service] of ownServices) {
      const servers = tasks.flatMap((t) => {
        const port = pickPort(app, t, service.get("loadbalancer.server.port"));
        return port === undefined ? [] : [server(t, port, 1)];
      });
      built.set(name, servers);
    }
    // A service without servers is an error that skips the whole app, its routers too.
    if ([...built.values()].some((s) => s.length === 0)) continue;
    const ownRouters = groupByName(labels, "traefik.http.routers.");
    if (ownRouters.size === 0 && ownServices.size <= 1) ownRouters.set(appName, new Map());
    for (const [name, router] of ownRouters) {
      if (!router.has("rule")) router.set("rule", (settings.defaultRuleV2 ?? DEFAULT_RULE_V2).replace(/\{\{\s*normalize \.Name\s*\}\}/g, normalizeName(app.id)));
      if (!router.has("service")) {
        if (ownServices.size > 1) continue;
        router.set("service", [...ownServices.keys()][0] as string);
      }
      const existing = routers.get(name);
      if (!existing) routers.set(name, { settings: router, apps: [app.id] });
      else {
        existing.apps.push(app.id);
        if (!sameSettings(existing.settings, router)) badRouters.add(name);
      }
    }
    for (const [name, service] of ownServices) {
      // Mergeable compares everything but the servers.
      const rest = new Map([...service].filter(([k]) => !k.startsWith("loadbalancer.server.")));
      const servers = built.get(name) ?? [];
      const existing = services.get(name);
      if (!existing) services.set(name, { settings: rest, servers, apps: [app.id] });
      else {
        existing.apps.push(app.id);
        if (!sameSettings(existing.settings, rest)) badServices.add(name);
        const seen = new Set(existing.servers.map((s) => s.address));
        existing.servers.push(...servers.filter((s) => !seen.has(s.address)));
      }
    }
  }
  for (const name of badServices) conflicts.push({ traefik: "v2", kind: "service", name, apps: services.get(name)?.apps ?? [] });
  for (const name of badRouters) conflicts.push({ traefik: "v2", kind: "router", name, apps: routers.get(name)?.apps ?? [] });
  const routes: Route[] = [];
  for (const [name, router] of routers) {
    if (badRouters.has(name)) continue;
    const serviceName = router.settings.get("service") as string;
    const service = badServices.has(serviceName) ? undefined : services.get(serviceName);
    const rule = router.settings.get("rule") as string;
    const route: Route = { traefik: "v2", rule, router: name, service: serviceName, definedBy: router.apps, servers: service?.servers.map((s) => ({ ...s })) ?? [], healthy: 0, priority: priorityOf(router.settings.get("priority"), rule), shadowed: false };
    if (!service) route.problem = badServices.has(serviceName) ? `service ${serviceName} is defined differently by ${(services.get(serviceName)?.apps ?? []).join(", ")}` : `service ${serviceName} does not exist`;
    routes.push(route);
  }
  return routes;
}

/** v1.7: apps grouped by backend name, the first app of each owning the frontend. */
function routesV1(apps: TrafficApp[], settings: TrafficSettings): Route[] {
  const backends = new Map<string, Route>();
  for (const app of apps) {
    const labels = lowerKeys(app.labels);
    const backendLabel = labels.get("traefik.backend");
    const backend = normalizeName(`backend${backendLabel ?? app.id}`);
    const weight = Number(labels.get("traefik.weight") ?? "1");
    const portSpec = labels.get("traefik.port") ?? (labels.has("traefik.portindex") ? `index:${labels.get("traefik.portindex") ?? ""}` : undefined);
    const servers = app.tasks
      .filter((t) => routable(app, t, settings))
      .flatMap((t) => {
        const port = pickPort(app, t, portSpec);
        return port === undefined ? [] : [server(t, port, Number.isFinite(weight) ? weight : 1)];
      });
    const existing = backends.get(backend);
    if (existing) {
      existing.servers.push(...servers);
      existing.definedBy.push(app.id);
      continue;
    }
    const domain = labels.get("traefik.domain") ?? settings.domainV1 ?? DEFAULT_DOMAIN_V1;
    const rule = labels.get("traefik.frontend.rule") ?? `Host:${app.id.replace(/^\//, "").replaceAll("/", "-")}.${domain}`;
    const priority = priorityOf(labels.get("traefik.frontend.priority"), rule);
    backends.set(backend, { traefik: "v1", rule, router: normalizeName(`frontend${app.id}`), service: backend, definedBy: [app.id], servers, healthy: 0, priority, shadowed: false });
  }
  return [...backends.values()];
}

/** The routing table Traefik would build from these apps (in Marathon's app order). */
export function computeRouting(apps: TrafficApp[], settings: TrafficSettings = {}): RoutingTable {
  const enabled = apps.filter((a) => isEnabled(lowerKeys(a.labels)));
  const conflicts: RoutingTable["conflicts"] = [];
  const v2 = routesV2(enabled.filter((a) => dialectOf(lowerKeys(a.labels)) === "v2"), settings, conflicts);
  const v1 = routesV1(enabled.filter((a) => dialectOf(lowerKeys(a.labels)) === "v1"), settings);
  const routes = [...v2, ...v1];
  rankSameRules(routes);
  for (const route of routes) {
    const total = route.servers.reduce((sum, s) => sum + Math.max(0, s.weight), 0);
    for (const s of route.servers) s.share = total > 0 ? Math.max(0, s.weight) / total : 1 / route.servers.length;
    route.healthy = route.servers.filter((s) => s.healthy).length;
  }
  return { routes, conflicts };
}

/** The table folded to one line per route that gets requests: each app version's servers, healthy servers and share. */
export function summarizeRouting(table: RoutingTable): RouteSummary[] {
  return table.routes.filter((route) => !route.shadowed).map((route) => {
    const parts = new Map<string, RouteShare>();
    for (const s of route.servers) {
      const key = `${s.appId}\u0000${s.version}`;
      const part = parts.get(key) ?? { appId: s.appId, version: s.version, servers: 0, healthy: 0, share: 0 };
      part.servers++;
      if (s.healthy) part.healthy++;
      part.share += s.share;
      parts.set(key, part);
    }
    return { rule: route.rule, router: route.router, traefik: route.traefik, healthy: route.healthy, backends: [...parts.values()] };
  });
}

/** Which servers a share question is about: an app id, or any test on the server. */
export type ServerSelector = string | ((server: { appId: string; version: string }) => boolean);

/** The fraction of a rule's traffic going to the selected servers (0 when the rule is not routed). */
export function shareIn(summary: readonly RouteSummary[], rule: string, select: ServerSelector): number {
  const test = typeof select === "string" ? (s: { appId: string }) => s.appId === select : select;
  const route = summary.find((r) => r.rule === rule);
  return (route?.backends ?? []).filter(test).reduce((sum, b) => sum + b.share, 0);
}
