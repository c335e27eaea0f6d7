import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startSimulator, type ClusterSpec, type Simulator } from "../src/sim/index.js";
import { MarathonPython } from "./helpers/marathon-python.js";

/**
 * The simulator driven by a Marathon client written elsewhere: thefactory's
 * marathon-python 0.13.0 (Debian python3-marathon), the way users point their own
 * tools at `mdeploy sim` in CI. It sends boolean query flags as `True`/`False`.
 * Where the client lags Marathon 1.10/1.11, test/helpers/marathon_python_driver.py
 * patches the client (queue `role`, event plans without `original`/`target`, GroupInfo
 * `enforceRole`, AppInfo `tasksStats`, and the group rollback route), never the simulator.
 */

type Json = Record<string, unknown>;

const cluster: ClusterSpec = {
  agents: [
    { hostname: "agent-1", cpus: 8, mem: 4096, disk: 10_000, ports: "[31000-31200]" },
    { hostname: "agent-2", cpus: 8, mem: 4096, disk: 10_000, ports: "[31000-31200]" },
  ],
  images: [{ image: "*:broken", healthy: false }],
  defaultImage: { startSeconds: 1, healthyAfterSeconds: 1, killSeconds: 1 },
};

const check = { protocol: "MESOS_HTTP", portIndex: 0, gracePeriodSeconds: 60, intervalSeconds: 2, maxConsecutiveFailures: 0, delaySeconds: 0 };
const docker = (image: string) => ({ type: "DOCKER", docker: { image } });

let sim: Simulator;
let py: MarathonPython;

beforeEach(async () => {
  sim = await startSimulator({ cluster, seed: 7 });
  py = new MarathonPython();
  await py.ok("connect", [sim.marathonUrl]);
  await py.ok("follow_events");
});

afterEach(async () => {
  await py.close();
  await sim.close();
});

/** Runs the cluster until no deployment is left (bounded in simulated time). */
async function settle(maxMs = 120_000): Promise<boolean> {
  return sim.clock.runUntil(() => sim.state.deployments().length === 0, { maxMs });
}

/** The events marathon-python parsed so far; waits (bounded) for `count` of `type`, and fails on any parse error. */
async function parsedEvents(type: string, count: number): Promise<Json[]> {
  const seen = await py.ok<{ events: Json[]; errors: string[] }>("wait_events", [type, count]);
  expect(seen.errors, "marathon-python failed to parse the event stream").toEqual([]);
  return seen.events;
}

describe("marathon-python against the simulator", () => {
  it("apps, versions, rollback, leader, info and a queue entry (the client lacks the queue's role)", async () => {
    const created = await py.ok<Json>("create_app", ["/web", { cmd: "serve v1", cpus: 0.1, mem: 32, instances: 2 }]);
    expect(created.id).toBe("/web");
    expect((created.deployments as Json[])[0]?.id).toBe(sim.state.deployments()[0]?.id);
    expect(await settle()).toBe(true);

    const app = await py.ok<Json>("get_app", ["/web"], { embed_tasks: true, embed_counts: true, embed_task_stats: true });
    expect(app.tasksRunning).toBe(2);
    expect(app.tasks as Json[]).toHaveLength(2);
    expect(((await py.ok<Json[]>("list_apps")).map((a) => a.id))).toEqual(["/web"]);
    const [v1] = await py.ok<string[]>("list_versions", ["/web"]);
    expect((await py.ok<Json>("get_version", ["/web", v1])).cmd).toBe("serve v1");

    // A scale-only change is planned as ScaleApplication.
    const scaled = await py.ok<Json>("scale_app", ["/web"], { instances: 3 });
    expect((await py.ok<Json[]>("list_deployments"))[0]).toMatchObject({ id: scaled.deploymentId, steps: [{ actions: [{ action: "ScaleApplication", app: "/web" }] }] });
    expect(await settle()).toBe(true);
    await py.ok("update_app", ["/web", { cmd: "serve v2" }]);
    expect((await py.ok<Json[]>("list_deployments"))[0]).toMatchObject({ steps: [{ actions: [{ action: "RestartApplication", app: "/web" }] }] });
    expect(await settle()).toBe(true);

    // Rollback redeploys version 1, instances included.
    await py.ok("rollback_app", ["/web", v1]);
    expect(await settle()).toBe(true);
    expect(sim.state.app("/web")).toMatchObject({ cmd: "serve v1", instances: 2 });
    expect(await py.ok<string[]>("list_versions", ["/web"])).toHaveLength(4);

    const leader = await py.ok<Json>("get_leader");
    expect(`http://${leader.leader as string}`).toBe(sim.marathonUrl);
    expect((await py.ok<Json>("get_info")).leader).toBe(leader.leader);
    expect(await py.ok("ping")).toBe("pong");

    // Nothing can place 100 GB: the launch queue shows it (the driver adds the `role` the client lacks).
    await py.ok("create_app", ["/huge", { cmd: "x", cpus: 0.1, mem: 100_000, instances: 1 }]);
    await sim.clock.advance(10_000);
    const queue = await py.ok<Json[]>("list_queue");
    expect(queue).toHaveLength(1);
    expect(queue[0]).toMatchObject({ count: 1, role: "*", app: { id: "/huge" }, delay: { overdue: true } });
    const events = await parsedEvents("group_change_success", 5);
    expect(events.filter((e) => e.class === "MarathonDeploymentSuccess")).toHaveLength(4);
  });

  it("tasks: a kill relaunches the same instance, scale=True shrinks the app, POST /v2/tasks/delete and kill_tasks too", async () => {
    await py.ok("create_app", ["/k", { cmd: "x", cpus: 0.1, mem: 16, instances: 4 }]);
    expect(await settle()).toBe(true);
    const tasks = await py.ok<Json[]>("list_tasks", ["/k"]);
    expect(tasks).toHaveLength(4);
    const [t0, t1, t2, t3] = tasks.map((t) => t.id as string) as [string, string, string, string];
    const instanceOf = (taskId: string) => taskId.replace(/\._app\.\d+$/, "");

    // Without scale (the client sends scale=False): the task dies and its instance comes back.
    expect((await py.ok<Json>("kill_task", ["/k", t0])).id).toBe(t0);
    expect(await sim.clock.runUntil(() => sim.state.tasks("/k").filter((t) => t.state === "TASK_RUNNING").length === 4, { maxMs: 60_000 })).toBe(true);
    const relaunched = sim.state.tasks("/k").find((t) => instanceOf(t.id) === instanceOf(t0));
    expect(relaunched?.id).toBe(`${instanceOf(t0)}._app.2`);
    expect(sim.state.app("/k")?.instances).toBe(4);

    // scale=True: Marathon answers with a deployment, not with the task, and instances drop.
    const scaled = await py.ok<Json>("kill_task", ["/k", t1], { scale: true });
    expect(Object.keys(scaled).sort()).toEqual(["deploymentId", "version"]);
    expect(await settle()).toBe(true);
    expect(sim.state.app("/k")?.instances).toBe(3);
    expect(sim.state.tasks("/k").some((t) => instanceOf(t.id) === instanceOf(t1))).toBe(false);

    // POST /v2/tasks/delete, with and without scale.
    expect(await py.ok("kill_given_tasks", [[t2]], { scale: true })).toBe(true);
    expect(await settle()).toBe(true);
    expect(sim.state.app("/k")?.instances).toBe(2);
    expect(await py.ok("kill_given_tasks", [[t3]])).toBe(true);
    expect(await sim.clock.runUntil(() => sim.state.tasks("/k").some((t) => t.id === `${instanceOf(t3)}._app.2` && t.state === "TASK_RUNNING"), { maxMs: 60_000 })).toBe(true);

    // scale and wipe together are refused, as Marathon does.
    const both = await py.call("kill_task", ["/k", t3], { scale: true, wipe: true });
    expect(both).toMatchObject({ ok: false, error: { status: 400, body: "You cannot use scale and wipe at the same time." } });

    // Every task of the app with scale=True: a deployment to zero.
    const all = await py.ok<Json>("kill_tasks", ["/k"], { scale: true });
    expect(all).toHaveProperty("deploymentId");
    expect(await settle()).toBe(true);
    expect(sim.state.app("/k")?.instances).toBe(0);
    expect(sim.state.tasks("/k")).toEqual([]);
    await parsedEvents("deployment_success", 4);
  });

  it("deployments: a plain cancel rolls back, a forced cancel answers 202 with no body and rolls nothing back", async () => {
    await py.ok("create_app", ["/d", { container: docker("example/d:1"), cpus: 0.1, mem: 16, instances: 2, healthChecks: [check] }]);
    expect(await settle()).toBe(true);

    await py.ok("update_app", ["/d", { container: docker("example/d:broken") }]);
    await sim.clock.advance(5_000);
    const [stuck] = await py.ok<Json[]>("list_deployments");
    const revert = await py.ok<Json>("delete_deployment", [stuck?.id]);
    expect(revert.deploymentId).not.toBe(stuck?.id);
    expect(await settle()).toBe(true);
    expect((sim.state.app("/d")?.container as Json).docker).toMatchObject({ image: "example/d:1" });
    expect(sim.state.healthyCount("/d")).toBe(2);

    await py.ok("update_app", ["/d", { container: docker("example/d:broken") }]);
    await sim.clock.advance(5_000);
    const [again] = await py.ok<Json[]>("list_deployments");
    const raw = await py.ok<Json>("raw", ["DELETE", `/v2/deployments/${again?.id as string}`], { params: { force: true } }); // requests sends force=True
    expect(raw).toEqual({ status: 202, body: null });
    expect(await py.ok("list_deployments")).toEqual([]);
    await sim.clock.advance(30_000);
    // No rollback: nothing deploys, and the definition stays at the cancelled target.
    expect(await py.ok("list_deployments")).toEqual([]);
    expect((sim.state.app("/d")?.container as Json).docker).toMatchObject({ image: "example/d:broken" });
    const events = await parsedEvents("deployment_failed", 2);
    expect(events.filter((e) => e.event_type === "deployment_failed").map((e) => (e.attributes as Json).id)).toEqual(expect.arrayContaining([stuck?.id, again?.id]));
  });

  it("groups: create with dependencies, update, roll back to a version, delete (the client's rollback route does not exist in Marathon)", async () => {
    const shop = {
      id: "/shop",
      apps: [
        { id: "db", cmd: "db", cpus: 0.1, mem: 16, instances: 1 },
        { id: "api", cmd: "api v1", cpus: 0.1, mem: 16, instances: 2, dependencies: ["db"] },
        { id: "web", cmd: "web", cpus: 0.1, mem: 16, instances: 1, dependencies: ["/shop/api"] },
      ],
    };
    const created = await py.ok<Json>("create_group", [shop]);
    const [plan] = await py.ok<Json[]>("list_deployments");
    expect(plan?.id).toBe(created.deploymentId);
    expect(plan?.steps).toMatchObject([
      { actions: [{ action: "StartApplication" }, { action: "StartApplication" }, { action: "StartApplication" }] },
      { actions: [{ action: "ScaleApplication", app: "/shop/db" }] },
      { actions: [{ action: "ScaleApplication", app: "/shop/api" }] },
      { actions: [{ action: "ScaleApplication", app: "/shop/web" }] },
    ]);
    expect(await settle()).toBe(true);
    const group = await py.ok<Json>("get_group", ["/shop"]);
    expect((group.apps as Json[]).map((a) => a.id)).toEqual(["/shop/api", "/shop/db", "/shop/web"]);
    expect((group.apps as Json[]).find((a) => a.id === "/shop/api")?.dependencies).toEqual(["/shop/db"]);
    expect((await py.ok<Json[]>("list_groups")).map((g) => g.id)).toEqual(["/shop"]);

    const [first] = await py.ok<string[]>("raw", ["GET", "/v2/groups/shop/versions"]).then((r) => (r as unknown as { body: string[] }).body);
    await py.ok("update_group", ["/shop", { ...shop, apps: shop.apps.map((a) => (a.id === "api" ? { ...a, cmd: "api v2" } : a)) }]);
    const update = (await py.ok<Json[]>("list_deployments"))[0];
    expect(update?.steps).toHaveLength(1);
    expect(update?.steps).toMatchObject([{ actions: [{ action: "RestartApplication", app: "/shop/api" }] }]);
    expect(await settle()).toBe(true);
    expect(sim.state.app("/shop/api")?.cmd).toBe("api v2");

    // marathon-python's rollback_group PUTs /v2/groups/shop/versions/<v>: Marathon reads that
    // as a group id and refuses it. The driver rolls back the way Marathon does.
    const viaClient = await py.call("rollback_group", ["/shop", first]);
    expect(viaClient).toMatchObject({ ok: false, error: { status: 422 } });
    expect(sim.state.deployments()).toEqual([]);
    await py.ok("group_rollback", ["/shop", first]);
    expect(await settle()).toBe(true);
    expect(sim.state.app("/shop/api")?.cmd).toBe("api v1");

    const deleted = await py.ok<Json>("delete_group", ["/shop"]);
    expect(deleted).toHaveProperty("deploymentId");
    expect(await settle()).toBe(true);
    expect(sim.state.apps()).toEqual([]);
    expect(await py.call("get_group", ["/shop"])).toMatchObject({ ok: false, error: { type: "NotFoundError", status: 404, body: "Group '/shop' does not exist" } });
    const events = await parsedEvents("deployment_success", 4);
    expect(events.filter((e) => e.class === "MarathonGroupChangeSuccess").map((e) => (e.attributes as Json).groupId)).toEqual(["/", "/", "/", "/"]);
  });
});
