import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startSimulator, type ClusterSpec, type Simulator } from "../src/sim/index.js";

/**
 * Group deployments as Marathon 1.10/1.11 plans them (DeploymentPlan.apply and
 * dependencyOrderedSteps): removed apps stop, new apps start with 0 instances, then one
 * step per length of the longest dependency path in the whole target tree, shortest
 * first; a step starts when the one before it has finished.
 */

type Json = Record<string, unknown>;

const cluster: ClusterSpec = {
  agents: [{ hostname: "big", cpus: 16, mem: 16_384, disk: 10_000, ports: "[31000-31500]" }],
  defaultImage: { startSeconds: 2, healthyAfterSeconds: 3, killSeconds: 1 },
};

let sim: Simulator;
beforeEach(async () => {
  sim = await startSimulator({ cluster, seed: 3 });
});
afterEach(async () => {
  await sim.close();
});

async function call(method: string, path: string, body?: unknown): Promise<{ status: number; body: Json }> {
  const res = await fetch(`${sim.marathonUrl}${path}`, { method, headers: { "Content-Type": "application/json" }, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : {}) as Json };
}

const app = (id: string, dependencies: string[] = [], cmd = "serve") => ({
  id,
  cmd,
  cpus: 0.1,
  mem: 16,
  instances: 2,
  dependencies,
  healthChecks: [{ protocol: "MESOS_HTTP", portIndex: 0, delaySeconds: 0, intervalSeconds: 1, gracePeriodSeconds: 30 }],
});

/** Steps of the running deployment as `[[action app, ...], ...]`. */
function planOf(deploymentId: unknown): string[][] {
  const d = sim.state.deployments().find((x) => x.id === deploymentId);
  if (!d) throw new Error(`no running deployment ${String(deploymentId)}`);
  return d.steps.map((s) => s.actions.map((a) => `${a.action} ${a.app as string}`).sort());
}

async function settle(): Promise<void> {
  expect(await sim.clock.runUntil(() => sim.state.deployments().length === 0, { maxMs: 300_000 })).toBe(true);
}

/** When the deployment's step scaling or restarting `appId` finished (its deployment_step_success). */
function stepFinishedAt(deploymentId: unknown, appId: string): number {
  const e = sim.state
    .events()
    .find((ev) => ev.eventType === "deployment_step_success" && ((ev as Json).plan as { id: string }).id === deploymentId && ((ev as Json).currentStep as { actions: { action: string; app: string }[] }).actions.some((a) => a.app === appId && a.action !== "StartApplication"));
  if (!e) throw new Error(`no finished step for ${appId}`);
  return Date.parse(e.timestamp ?? "");
}

function firstLaunchAt(appId: string, since = 0): number {
  const launch = sim.timeline.forApp(appId, "launch").find((e) => e.t >= since);
  if (!launch) throw new Error(`${appId} never launched`);
  return launch.t;
}

describe("group deployments with dependencies", () => {
  it("a three-app chain: one step per link, each app launched only after the step of what it needs finished", async () => {
    const post = await call("POST", "/v2/groups", { id: "/chain", apps: [app("c", ["b"]), app("b", ["a"]), app("a")] });
    expect(post.status).toBe(201);
    expect(planOf(post.body.deploymentId)).toEqual([
      ["StartApplication /chain/a", "StartApplication /chain/b", "StartApplication /chain/c"],
      ["ScaleApplication /chain/a"],
      ["ScaleApplication /chain/b"],
      ["ScaleApplication /chain/c"],
    ]);
    await settle();
    const id = post.body.deploymentId;
    expect(firstLaunchAt("/chain/b")).toBeGreaterThanOrEqual(stepFinishedAt(id, "/chain/a"));
    expect(firstLaunchAt("/chain/c")).toBeGreaterThanOrEqual(stepFinishedAt(id, "/chain/b"));
    // A step finishes when its instances are healthy, which takes time here: the order is not a tie.
    expect(stepFinishedAt(id, "/chain/a")).toBeGreaterThan(firstLaunchAt("/chain/a"));
    expect((await call("GET", "/v2/groups/chain")).body).toMatchObject({ id: "/chain", dependencies: [], enforceRole: false, pods: [], groups: [] });
  });

  it("a diamond: both middle apps in one step, the top after both", async () => {
    const post = await call("POST", "/v2/groups", { id: "/d", apps: [app("top", ["left", "right"]), app("left", ["base"]), app("right", ["/d/base"]), app("base")] });
    expect(planOf(post.body.deploymentId).slice(1)).toEqual([["ScaleApplication /d/base"], ["ScaleApplication /d/left", "ScaleApplication /d/right"], ["ScaleApplication /d/top"]]);
    await settle();
    const id = post.body.deploymentId;
    const middleDone = stepFinishedAt(id, "/d/left");
    expect(stepFinishedAt(id, "/d/right")).toBe(middleDone);
    expect(Math.min(firstLaunchAt("/d/left"), firstLaunchAt("/d/right"))).toBeGreaterThanOrEqual(stepFinishedAt(id, "/d/base"));
    expect(firstLaunchAt("/d/top")).toBeGreaterThanOrEqual(middleDone);
  });

  it("an unchanged app in the middle of a chain still orders the two changed ones (longest path over the whole tree)", async () => {
    await call("POST", "/v2/groups", { id: "/chain", apps: [app("c", ["b"]), app("b", ["a"]), app("a")] });
    await settle();
    const put = await call("PUT", "/v2/groups/chain", { apps: [app("c", ["b"], "serve v2"), app("b", ["a"]), app("a", [], "serve v2")] });
    expect(put.status).toBe(200);
    expect(planOf(put.body.deploymentId)).toEqual([["RestartApplication /chain/a"], ["RestartApplication /chain/c"]]);
    const t0 = sim.clock.now();
    await settle();
    expect(firstLaunchAt("/chain/c", t0)).toBeGreaterThanOrEqual(stepFinishedAt(put.body.deploymentId, "/chain/a"));
  });

  it("group dependencies: every app of a group waits for every app of the group it names", async () => {
    const post = await call("POST", "/v2/groups", {
      id: "/shop",
      groups: [
        { id: "front", dependencies: ["../back"], apps: [app("web")] },
        { id: "back", apps: [app("db"), app("cache")] },
      ],
    });
    expect(planOf(post.body.deploymentId).slice(1)).toEqual([["ScaleApplication /shop/back/cache", "ScaleApplication /shop/back/db"], ["ScaleApplication /shop/front/web"]]);
    await settle();
    const tree = (await call("GET", "/v2/groups/shop")).body;
    expect((tree.groups as Json[]).map((g) => [g.id, g.dependencies])).toEqual([
      ["/shop/back", []],
      ["/shop/front", ["/shop/back"]],
    ]);
  });

  it("refuses a dependency cycle with 422 and group_change_failed", async () => {
    const post = await call("POST", "/v2/groups", { id: "/loop", apps: [app("x", ["y"]), app("y", ["x"])] });
    expect(post).toEqual({ status: 422, body: { message: "Object is not valid", details: [{ path: "/", errors: ["Dependency graph has cyclic dependencies."] }] } });
    expect(sim.state.events().filter((e) => e.eventType === "group_change_failed").map((e) => (e as Json).reason)).toEqual(["Dependency graph has cyclic dependencies."]);
    expect(sim.state.apps()).toEqual([]);
  });

  it("group_change_success names the group the change went through; a locked change sends group_change_failed", async () => {
    await call("POST", "/v2/apps", app("/prod/web"));
    await call("PUT", "/v2/apps/prod/web?force=true", { cmd: "serve v2" });
    const locked = await call("PUT", "/v2/apps/prod/web", { cmd: "serve v3" });
    expect(locked.status).toBe(409);
    const events = sim.state.events();
    expect(events.filter((e) => e.eventType === "group_change_success").map((e) => (e as Json).groupId)).toEqual(["/prod", "/prod"]);
    expect(events.filter((e) => e.eventType === "group_change_failed")).toEqual([
      expect.objectContaining({ groupId: "/prod", reason: "App is locked by one or more deployments. Override with the option '?force=true'. View details at '/v2/deployments/<DEPLOYMENT_ID>'." }),
    ]);
  });

  it("versions and rollback: the group as it was, deployed as a new version; deleting an unknown group is 404", async () => {
    await call("POST", "/v2/groups", { id: "/g", apps: [app("one")] });
    await settle();
    await call("PUT", "/v2/groups/g", { apps: [app("one", [], "v2"), app("two")] });
    await settle();
    const versions = (await call("GET", "/v2/groups/g/versions")).body as unknown as string[];
    expect(versions).toHaveLength(2);
    const old = versions[1] as string;
    expect(((await call("GET", `/v2/groups/g/versions/${old}`)).body.apps as Json[]).map((a) => a.id)).toEqual(["/g/one"]);
    const back = await call("PUT", "/v2/groups/g", { version: old });
    expect(planOf(back.body.deploymentId)).toEqual([["StopApplication /g/two"], ["RestartApplication /g/one"]]);
    await settle();
    expect(sim.state.apps().map((a) => [a.id, a.cmd])).toEqual([["/g/one", "serve"]]);
    expect(await call("DELETE", "/v2/groups/nope")).toEqual({ status: 404, body: { message: "Group '/nope' does not exist" } });
  });
});

describe("plans users see in /v2/deployments", () => {
  it("instances: 0 with another change is a ScaleApplication, not a restart", async () => {
    await call("POST", "/v2/apps", app("/z"));
    await settle();
    const put = await call("PUT", "/v2/apps/z", { instances: 0, cmd: "serve v2" });
    expect(planOf(put.body.deploymentId)).toEqual([["ScaleApplication /z"]]);
    await settle();
    expect(sim.state.tasks("/z")).toEqual([]);
    expect(sim.state.app("/z")).toMatchObject({ instances: 0, cmd: "serve v2" });
  });

  it("a new app with 0 instances still gets its Scale step", async () => {
    const post = await call("POST", "/v2/apps", { ...app("/idle"), instances: 0 });
    expect(planOf((post.body.deployments as Json[])[0]?.id)).toEqual([["StartApplication /idle"], ["ScaleApplication /idle"]]);
  });
});

describe("group routes", () => {
  it("a group whose name ends in 'versions' is a group, not a version list", async () => {
    await call("POST", "/v2/groups", { id: "/myversions", apps: [app("one")] });
    expect((await call("GET", "/v2/groups/myversions")).body).toMatchObject({ id: "/myversions" });
    expect((await call("GET", "/v2/groups/myversions/versions")).body).toHaveLength(1);
    expect(((await call("GET", "/v2/groups/versions")).body as unknown as string[]).length).toBeGreaterThanOrEqual(1);
  });

  it("GET /v2/groups embeds groups and apps by default, app counts only when asked", async () => {
    await call("POST", "/v2/groups", { id: "/e", groups: [{ id: "sub", apps: [app("one")] }] });
    const plain = (await call("GET", "/v2/groups")).body;
    const sub = ((plain.groups as Json[])[0]?.groups as Json[])[0] as Json;
    expect((sub.apps as Json[])[0]).not.toHaveProperty("tasksRunning");
    const counted = (await call("GET", "/v2/groups/e/sub?embed=group.apps&embed=group.apps.counts")).body;
    expect((counted.apps as Json[])[0]).toHaveProperty("tasksRunning");
    expect((await call("GET", "/v2/groups/e?embed=group.groups")).body).toMatchObject({ apps: [], groups: [{ id: "/e/sub", apps: [] }] });
  });
});
