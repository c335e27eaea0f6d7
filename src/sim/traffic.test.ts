import { describe, expect, it } from "vitest";
import { computeRouting, shareIn, summarizeRouting, type TrafficApp, type TrafficTask } from "./traffic.js";

function tasks(appId: string, version: string, count: number, extra: Partial<TrafficTask> = {}): TrafficTask[] {
  return Array.from({ length: count }, (_, i) => ({
    taskId: `${appId.slice(1)}.${version}.${i}`,
    appId,
    version,
    host: `agent-${i}`,
    ports: [31000 + i],
    state: "TASK_RUNNING",
    ready: true,
    healthy: true,
    ...extra,
  }));
}

function app(id: string, labels: Record<string, string>, taskList: TrafficTask[], extra: Partial<TrafficApp> = {}): TrafficApp {
  return { id, labels, portDefinitions: [{ port: 0 }], hasReadinessChecks: false, deploying: false, tasks: taskList, ...extra };
}

/** The labels mdeploy's canary puts on both apps (v2.11): one router, one service, same settings. */
const shared = {
  "traefik.enable": "true",
  "traefik.http.routers.shop.rule": "Host(`shop.example.com`)",
  "traefik.http.routers.shop.service": "shop",
  "traefik.http.services.shop.loadbalancer.server.port": "index:0",
};

describe("computeRouting, v2.11 labels", () => {
  it("merges two apps defining the same service into one route, split by running task count", () => {
    const canary = tasks("/shop-canary", "v2", 1, { host: "agent-9" });
    const table = computeRouting([app("/shop", shared, tasks("/shop", "v1", 3)), app("/shop-canary", shared, canary)]);
    expect(table.routes).toHaveLength(1);
    expect(table.routes[0]?.rule).toBe("Host(`shop.example.com`)");
    expect(table.routes[0]?.definedBy).toEqual(["/shop", "/shop-canary"]);
    expect(table.routes[0]?.servers.map((s) => s.address)).toEqual(["agent-0:31000", "agent-1:31001", "agent-2:31002", "agent-9:31000"]);
    expect(table.conflicts).toEqual([]);
    const summary = summarizeRouting(table);
    expect(shareIn(summary, "Host(`shop.example.com`)", "/shop-canary")).toBeCloseTo(0.25, 5);
    expect(shareIn(summary, "Host(`shop.example.com`)", (s) => s.version === "v1")).toBeCloseTo(0.75, 5);
    expect(summary[0]?.healthy).toBe(4);
  });

  it("routes nothing of an app without traefik.enable=true", () => {
    const { "traefik.enable": _enable, ...withoutEnable } = shared;
    const table = computeRouting([app("/shop", withoutEnable, tasks("/shop", "v1", 2)), app("/other", { ...shared, "traefik.enable": "false" }, tasks("/other", "v1", 1))]);
    expect(table.routes).toEqual([]);
  });

  it("drops a router two apps define with different rules, and a service they configure differently", () => {
    const table = computeRouting([
      app("/a", shared, tasks("/a", "v1", 1)),
      app("/b", { ...shared, "traefik.http.routers.shop.rule": "Host(`other.example.com`)", "traefik.http.services.shop.loadbalancer.passhostheader": "false" }, tasks("/b", "v1", 1, { host: "agent-7" })),
    ]);
    expect(table.routes).toEqual([]);
    expect(table.conflicts.map((c) => `${c.kind} ${c.name} ${c.apps.join(",")}`).sort()).toEqual(["router shop /a,/b", "service shop /a,/b"]);
  });

  it("sends nothing to an app that names the router's service without defining a service of that name", () => {
    const routerOnly = { "traefik.enable": "true", "traefik.http.routers.shop.rule": shared["traefik.http.routers.shop.rule"], "traefik.http.routers.shop.service": "shop" };
    const summary = summarizeRouting(computeRouting([app("/shop", shared, tasks("/shop", "v1", 2)), app("/shop-canary", routerOnly, tasks("/shop-canary", "v2", 2, { host: "agent-9" }))]));
    // Its tasks land in a service named after the app (shop-canary), which no router uses.
    expect(shareIn(summary, "Host(`shop.example.com`)", "/shop-canary")).toBe(0);
    expect(shareIn(summary, "Host(`shop.example.com`)", "/shop")).toBeCloseTo(1, 5);
  });

  it("counts only running tasks, and during a deployment only ready ones; health never filters", () => {
    const stable = [...tasks("/shop", "v1", 2, { healthy: false }), ...tasks("/shop", "v1", 1, { host: "agent-5", state: "TASK_STAGING" })];
    const fresh = tasks("/shop", "v2", 1, { host: "agent-6", ready: false });
    const table = computeRouting([app("/shop", shared, [...stable, ...fresh], { hasReadinessChecks: true, deploying: true })]);
    expect(table.routes[0]?.servers.map((s) => s.taskId)).toEqual(["shop.v1.0", "shop.v1.1"]);
    expect(table.routes[0]?.healthy).toBe(0);
    const after = computeRouting([app("/shop", shared, [...stable, ...fresh], { hasReadinessChecks: true, deploying: false })]);
    expect(after.routes[0]?.servers).toHaveLength(3);
  });

  it("drops every router of an app with no routable task, and gives an unlabelled app the default rule", () => {
    const table = computeRouting([app("/shop-canary", { ...shared, "traefik.http.routers.preview.rule": "Host(`preview.example.com`)" }, []), app("/team/web", { "traefik.enable": "true" }, tasks("/team/web", "v1", 1))]);
    expect(table.routes.map((r) => `${r.router} ${r.rule} ${r.service}`)).toEqual(["team_web Host(`team-web.apps.example.com`) team_web"]);
  });

  it("takes a port by number, index or name", () => {
    const named = app("/shop", { ...shared, "traefik.http.services.shop.loadbalancer.server.port": "name:http" }, tasks("/shop", "v1", 1), { portDefinitions: [{ port: 10001, name: "admin" }, { port: 10002, name: "http" }] });
    expect(computeRouting([named]).routes[0]?.servers[0]?.address).toBe("agent-0:10002");
    const fixed = app("/shop", { ...shared, "traefik.http.services.shop.loadbalancer.server.port": "8080" }, tasks("/shop", "v1", 1));
    expect(computeRouting([fixed]).routes[0]?.servers[0]?.address).toBe("agent-0:8080");
  });
});

describe("computeRouting, blue/green with v2.11 labels", () => {
  const blue = { "traefik.enable": "true", "traefik.http.routers.shop.rule": "Host(`shop.example.com`)", "traefik.http.routers.shop.service": "shop-blue", "traefik.http.services.shop-blue.loadbalancer.server.port": "index:0" };
  const green = { "traefik.enable": "true", "traefik.http.routers.shop-preview.rule": "Host(`shop-preview.example.com`)", "traefik.http.routers.shop-preview.service": "shop-green", "traefik.http.services.shop-green.loadbalancer.server.port": "index:0" };
  const switched = { ...green, "traefik.http.routers.shop-green.rule": "Host(`shop.example.com`)", "traefik.http.routers.shop-green.service": "shop-green", "traefik.http.routers.shop-green.priority": "1000" };
  const apps = (greenLabels: Record<string, string>) => [app("/shop", blue, tasks("/shop", "v1", 2)), app("/shop-green", greenLabels, tasks("/shop-green", "v2", 2, { host: "agent-9" }))];

  it("keeps the public rule on blue while green answers only its preview rule", () => {
    const summary = summarizeRouting(computeRouting(apps(green)));
    expect(shareIn(summary, "Host(`shop.example.com`)", "/shop")).toBeCloseTo(1, 5);
    expect(shareIn(summary, "Host(`shop-preview.example.com`)", "/shop-green")).toBeCloseTo(1, 5);
  });

  it("moves the public rule at once when green adds a higher-priority router for it, blue's router staying for a rollback", () => {
    const table = computeRouting(apps(switched));
    expect(table.routes.find((r) => r.router === "shop")?.shadowed).toBe(true);
    const summary = summarizeRouting(table);
    expect(shareIn(summary, "Host(`shop.example.com`)", "/shop-green")).toBeCloseTo(1, 5);
    expect(shareIn(summary, "Host(`shop.example.com`)", "/shop")).toBe(0);
  });

  it("loses the public rule when green reuses blue's router name with another service", () => {
    const clash = { ...green, "traefik.http.routers.shop.rule": "Host(`shop.example.com`)", "traefik.http.routers.shop.service": "shop-green" };
    const table = computeRouting(apps(clash));
    expect(table.routes.some((r) => r.rule === "Host(`shop.example.com`)")).toBe(false);
    expect(table.conflicts.map((c) => `${c.kind} ${c.name}`)).toEqual(["router shop"]);
  });
});

describe("computeRouting, v1.7 labels", () => {
  const v1 = (extra: Record<string, string>) => ({ "traefik.enable": "true", "traefik.backend": "shop", "traefik.frontend.rule": "Host:shop.example.com", ...extra });

  it("puts apps with the same traefik.backend in one backend, the first app's frontend rule winning, weights per app", () => {
    const table = computeRouting([
      app("/shop", v1({ "traefik.weight": "3" }), tasks("/shop", "v1", 2)),
      app("/shop-canary", v1({ "traefik.frontend.rule": "Host:ignored.example.com" }), tasks("/shop-canary", "v2", 1, { host: "agent-8" })),
    ]);
    expect(table.routes).toHaveLength(1);
    expect(table.routes[0]?.traefik).toBe("v1");
    expect(table.routes[0]?.rule).toBe("Host:shop.example.com");
    expect(table.routes[0]?.service).toBe("backendshop");
    const summary = summarizeRouting(table);
    expect(shareIn(summary, "Host:shop.example.com", "/shop")).toBeCloseTo(6 / 7, 5);
    expect(shareIn(summary, "Host:shop.example.com", "/shop-canary")).toBeCloseTo(1 / 7, 5);
  });

  it("keeps a v1.7 frontend whose backend has no running task (it answers 503), with the default rule when none is set", () => {
    const table = computeRouting([app("/web", { "traefik.enable": "true", "traefik.port": "8080" }, tasks("/web", "v1", 1, { state: "TASK_KILLING" }))]);
    expect(table.routes.map((r) => `${r.rule} ${r.servers.length}`)).toEqual(["Host:web.apps.example.com 0"]);
  });
});
