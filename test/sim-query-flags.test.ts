import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startSimulator, type ClusterSpec, type Simulator } from "../src/sim/index.js";

/**
 * Boolean query flags as Marathon's Jersey resources read them: `true` in any case is
 * true, any other text is false, a missing or blank value is the route's default.
 * Python's requests sends `True`/`False`.
 */

type Json = Record<string, unknown>;

const cluster: ClusterSpec = {
  agents: [{ hostname: "a", cpus: 8, mem: 8192, ports: "[31000-31100]" }],
  images: [{ image: "*:broken", healthy: false }],
  defaultImage: { startSeconds: 1, healthyAfterSeconds: 1, killSeconds: 1 },
};

let sim: Simulator;
beforeEach(async () => {
  sim = await startSimulator({ cluster, seed: 5 });
});
afterEach(async () => {
  await sim.close();
});

async function call(method: string, path: string, body?: unknown): Promise<{ status: number; body: Json | undefined }> {
  const res = await fetch(`${sim.marathonUrl}${path}`, { method, headers: { "Content-Type": "application/json" }, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Json) : undefined };
}

const web = { id: "/web", cmd: "serve", cpus: 0.1, mem: 64, instances: 2 };
const check = { protocol: "MESOS_HTTP", portIndex: 0, delaySeconds: 0, intervalSeconds: 1 };

async function running(): Promise<void> {
  expect((await call("POST", "/v2/apps", web)).status).toBe(201);
  expect(await sim.clock.runUntil(() => sim.state.deployments().length === 0, { maxMs: 60_000 })).toBe(true);
}

/** A deployment that never ends: the new image never gets healthy. */
async function stuck(): Promise<string> {
  await call("POST", "/v2/apps", { ...web, container: { type: "DOCKER", docker: { image: "x/web:1" } }, cmd: undefined, healthChecks: [check] });
  expect(await sim.clock.runUntil(() => sim.state.deployments().length === 0, { maxMs: 60_000 })).toBe(true);
  const put = await call("PUT", "/v2/apps/web", { container: { type: "DOCKER", docker: { image: "x/web:broken" } } });
  await sim.clock.advance(3_000);
  return put.body?.deploymentId as string;
}

const TRUE = ["true", "True", "TRUE"];
const FALSE = ["false", "False", "FALSE", "1", "yes"];
const spellings = [...TRUE.map((v) => ({ v, on: true })), ...FALSE.map((v) => ({ v, on: false }))];

describe("boolean query flags", () => {
  it.each(spellings)("scale=$v on DELETE /v2/apps/{id}/tasks/{task}", async ({ v, on }) => {
    await running();
    const task = sim.state.tasks("/web")[0]?.id as string;
    const res = await call("DELETE", `/v2/apps/web/tasks/${task}?scale=${v}`);
    expect(res.status).toBe(200);
    if (on) expect(Object.keys(res.body ?? {}).sort()).toEqual(["deploymentId", "version"]);
    else expect((res.body?.task as Json).id).toBe(task);
    const expected = on ? 1 : 2;
    const settled = () => sim.state.deployments().length === 0 && sim.state.tasks("/web").filter((t) => t.state === "TASK_RUNNING").length === expected;
    expect(await sim.clock.runUntil(settled, { maxMs: 60_000 })).toBe(true);
    expect(sim.state.tasks("/web")).toHaveLength(expected);
    expect(sim.state.app("/web")?.instances).toBe(expected);
  });

  it.each(spellings)("force=$v on DELETE /v2/deployments/{id}: true cancels (202, no body), false reverts", async ({ v, on }) => {
    const id = await stuck();
    const res = await call("DELETE", `/v2/deployments/${id}?force=${v}`);
    if (on) {
      expect(res).toEqual({ status: 202, body: undefined });
      expect(sim.state.deployments()).toEqual([]);
    } else {
      expect(res.status).toBe(200);
      expect(sim.state.deployments().map((d) => d.id)).toEqual([res.body?.deploymentId]);
    }
  });

  it.each(spellings)("force=$v on PUT /v2/apps/{id} over a running deployment", async ({ v, on }) => {
    await stuck();
    const res = await call("PUT", `/v2/apps/web?force=${v}`, { env: { X: "1" } });
    expect(res.status).toBe(on ? 200 : 409);
  });

  it.each(spellings)("partialUpdate=$v on PUT /v2/apps/{id}", async ({ v, on }) => {
    await running();
    await call("PUT", `/v2/apps/web?partialUpdate=${v}`, { id: "/web", cmd: "serve v2" });
    // A full replacement drops what the body left out: mem and instances fall back to Marathon's defaults.
    expect(sim.state.app("/web")).toMatchObject(on ? { mem: 64, instances: 2 } : { mem: 128, instances: 1 });
  });

  it.each([...TRUE.map((v) => ({ v, on: true })), { v: "False", on: false }, { v: "", on: true }])("force=$v on DELETE /v2/apps/{id} (default true)", async ({ v, on }) => {
    await stuck();
    const res = await call("DELETE", `/v2/apps/web?force=${v}`);
    expect(res.status).toBe(on ? 200 : 409);
  });

  it.each(spellings)("wipe=$v on a task kill: a wiped instance is replaced by a new one, a killed one comes back", async ({ v, on }) => {
    await running();
    const task = sim.state.tasks("/web")[0]?.id as string;
    const instance = task.replace(/\._app\.\d+$/, "");
    expect((await call("DELETE", `/v2/apps/web/tasks/${task}?wipe=${v}`)).status).toBe(200);
    expect(await sim.clock.runUntil(() => sim.state.tasks("/web").filter((t) => t.state === "TASK_RUNNING").length === 2, { maxMs: 60_000 })).toBe(true);
    const ids = sim.state.tasks("/web").map((t) => t.id);
    expect(ids.includes(`${instance}._app.2`)).toBe(!on);
    expect(ids.some((id) => id.startsWith(instance))).toBe(!on);
  });
});
