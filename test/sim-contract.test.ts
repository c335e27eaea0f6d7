import { request } from "node:http";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startSimulator, type ClusterSpec, type Simulator } from "../src/sim/index.js";

/**
 * Contract fixtures: for every response and event the simulator serves, the fields
 * Marathon's official examples and event samples carry (written from reading
 * Marathon 1.11's docs/rest-api examples, its event-bus examples and the response
 * samples go-marathon tests against). The simulator must carry at least these.
 */
const FIXTURE = {
  app: ["id", "instances", "cpus", "mem", "disk", "constraints", "env", "labels", "healthChecks", "upgradeStrategy", "backoffFactor", "backoffSeconds", "maxLaunchDelaySeconds", "container", "portDefinitions", "requirePorts", "version", "versionInfo"],
  appCounts: ["tasksStaged", "tasksRunning", "tasksHealthy", "tasksUnhealthy", "deployments"],
  versionInfo: ["lastScalingAt", "lastConfigChangeAt"],
  task: ["id", "appId", "host", "slaveId", "ports", "stagedAt", "startedAt", "version", "state", "ipAddresses"],
  healthCheckResult: ["alive", "consecutiveFailures", "firstSuccess", "lastSuccess", "lastFailure", "instanceId"],
  lastTaskFailure: ["appId", "host", "message", "slaveId", "state", "taskId", "timestamp", "version"],
  deploymentResult: ["deploymentId", "version"],
  deployment: ["id", "version", "affectedApps", "affectedPods", "steps", "currentActions", "currentStep", "totalSteps"],
  currentAction: ["action", "app", "readinessCheckResults"],
  readinessCheckResult: ["name", "taskId", "ready", "lastResponse"],
  queueItem: ["app", "count", "role", "delay", "since", "processedOffersSummary"],
  offersSummary: ["processedOffersCount", "unusedOffersCount", "lastUnusedOfferAt", "rejectSummaryLastOffers", "rejectSummaryLaunchAttempt"],
  rejectRow: ["reason", "declined", "processed"],
  info: ["name", "version", "buildref", "elected", "leader", "frameworkId", "marathon_config", "zookeeper_config", "http_config"],
  mesosAgent: ["id", "hostname", "resources", "used_resources", "unreserved_resources", "offered_resources", "reserved_resources", "attributes", "active"],
  mesosResources: ["cpus", "mem", "disk", "ports"],
  events: {
    event_stream_attached: ["remoteAddress"],
    api_post_event: ["clientIp", "uri", "appDefinition"],
    group_change_success: ["groupId", "version"],
    deployment_info: ["plan", "currentStep"],
    deployment_step_success: ["plan", "currentStep"],
    deployment_step_failure: ["plan", "currentStep"],
    deployment_success: ["id", "plan"],
    deployment_failed: ["id", "plan", "reason"],
    status_update_event: ["slaveId", "taskId", "taskStatus", "message", "appId", "host", "ipAddresses", "ports", "version"],
    instance_changed_event: ["instanceId", "condition", "runSpecId", "agentId", "host", "runSpecVersion"],
    health_status_changed_event: ["appId", "instanceId", "version", "alive"],
    instance_health_changed_event: ["instanceId", "runSpecId", "healthy", "runSpecVersion"],
    failed_health_check_event: ["appId", "taskId", "healthCheck"],
    unhealthy_instance_kill_event: ["appId", "taskId", "instanceId", "version", "reason", "host", "slaveId"],
  } as Record<string, string[]>,
  plan: ["id", "steps", "version"],
  rejectReasonOrder: ["UnfulfilledRole", "UnfulfilledConstraint", "NoCorrespondingReservationFound", "AgentMaintenance", "InsufficientCpus", "InsufficientMemory", "InsufficientDisk", "InsufficientGpus", "InsufficientPorts", "DeclinedScarceResources"],
};

type Json = Record<string, unknown>;

function expectFields(value: unknown, fields: readonly string[], what: string): void {
  expect(value, what).toBeTypeOf("object");
  for (const f of fields) expect(value as Json, `${what} lacks "${f}"`).toHaveProperty([f]);
}

async function call(sim: Simulator, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${sim.marathonUrl}${path}`, { method, headers: { "Content-Type": "application/json", ...headers }, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    // plain text (/ping)
  }
  return { status: res.status, headers: res.headers, body: parsed as Json & unknown[] };
}

/** Collects server-sent events from `/v2/events` until closed. */
function openEvents(url: string, query = ""): Promise<{ frames: { event: string; data: Json }[]; raw: () => string; close: () => void }> {
  return new Promise((resolve, reject) => {
    let raw = "";
    const frames: { event: string; data: Json }[] = [];
    const req = request(`${url}/v2/events${query}`, { headers: { Accept: "text/event-stream" } }, (res) => {
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        raw += chunk;
        let end: number;
        while ((end = raw.indexOf("\n\n")) >= 0) {
          const frame = raw.slice(0, end);
          raw = raw.slice(end + 2);
          const event = /^event: (.*)$/m.exec(frame)?.[1] ?? "";
          const data = /^data: (.*)$/m.exec(frame)?.[1] ?? "{}";
          frames.push({ event, data: JSON.parse(data) as Json });
        }
      });
      res.on("error", () => undefined);
      resolve({ frames, raw: () => raw, close: () => req.destroy() });
    });
    req.on("error", reject);
    req.end();
  });
}

const realPause = (ms: number) => new Promise((r) => setTimeout(r, ms));

const cluster: ClusterSpec = {
  agents: [
    { hostname: "a1", cpus: 2, mem: 1024, disk: 1000, attributes: { type: "svc" } },
    { hostname: "a2", cpus: 1, mem: 497, disk: 1000, attributes: { type: "staging" } },
  ],
  images: [
    { image: "*:broken", healthy: false, startSeconds: 1 },
    { image: "*:good", startSeconds: 1, healthyAfterSeconds: 1, readyAfterSeconds: 6 },
  ],
};

const web = {
  id: "/web",
  instances: 2,
  cpus: 0.1,
  mem: 64,
  container: { type: "DOCKER", docker: { image: "example/web:good" } },
  portDefinitions: [{ port: 0, name: "http" }],
  healthChecks: [{ protocol: "HTTP", gracePeriodSeconds: 5, intervalSeconds: 2, maxConsecutiveFailures: 2 }],
  readinessChecks: [{ name: "ready", portName: "http", intervalSeconds: 3, timeoutSeconds: 1 }],
};

let sim: Simulator;
beforeEach(async () => {
  sim = await startSimulator({ cluster, seed: 11 });
});
afterEach(async () => {
  await sim.close();
});

const settle = () => sim.clock.runUntil(() => sim.state.deployments().length === 0, { maxMs: 600_000 });

describe("Marathon REST contract", () => {
  it("apps: POST, GET (with embeds), PUT, versions, tasks, restart", async () => {
    const created = await call(sim, "POST", "/v2/apps", web);
    expect(created.status).toBe(201);
    expect(created.headers.get("location")).toBe("/v2/apps/web");
    const deploymentId = created.headers.get("marathon-deployment-id");
    expect(deploymentId).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.headers.get("x-marathon-leader")).toBe(sim.marathonUrl);
    expectFields(created.body, [...FIXTURE.app, ...FIXTURE.appCounts], "POST /v2/apps body");
    expect(created.body.deployments).toEqual([{ id: deploymentId }]);

    // While deploying, /v2/deployments shows the readiness results of new tasks.
    await sim.clock.advance(4_000);
    const running = await call(sim, "GET", "/v2/deployments");
    expect(running.body).toHaveLength(1);
    const d = running.body[0] as Json;
    expectFields(d, FIXTURE.deployment, "deployment");
    expect(d.currentStep).toBe(2);
    expect(d.totalSteps).toBe(2);
    expect(d.steps).toEqual([{ actions: [{ action: "StartApplication", app: "/web" }] }, { actions: [{ action: "ScaleApplication", app: "/web" }] }]);
    const action = (d.currentActions as Json[])[0];
    expectFields(action, FIXTURE.currentAction, "currentAction");
    const readiness = action?.readinessCheckResults as Json[];
    expect(readiness.length).toBeGreaterThan(0);
    expectFields(readiness[0], FIXTURE.readinessCheckResult, "readinessCheckResult");
    const embedded = await call(sim, "GET", "/v2/apps/web?embed=app.readiness");
    expect((embedded.body.app as Json).readinessCheckResults).toBeInstanceOf(Array);
    expect(await settle()).toBe(true);

    const list = await call(sim, "GET", "/v2/apps");
    const listed = (list.body.apps as Json[])[0];
    expectFields(listed, [...FIXTURE.app, ...FIXTURE.appCounts], "GET /v2/apps entry");
    expect(listed).not.toHaveProperty("tasks");
    const withTasks = await call(sim, "GET", "/v2/apps?embed=apps.tasks&embed=apps.taskStats");
    const full = (withTasks.body.apps as Json[])[0] as Json;
    expect(full.tasks).toHaveLength(2);
    expectFields((full.tasksStats as Json).totalSummary, ["stats"], "tasksStats.totalSummary");

    const one = await call(sim, "GET", "/v2/apps/web");
    const app = one.body.app as Json;
    expectFields(app, [...FIXTURE.app, ...FIXTURE.appCounts, "tasks"], "GET /v2/apps/{id}");
    expectFields(app.versionInfo, FIXTURE.versionInfo, "versionInfo");
    expect(app.tasksHealthy).toBe(2);
    const task = (app.tasks as Json[])[0] as Json;
    expectFields(task, FIXTURE.task, "task");
    expectFields((task.healthCheckResults as Json[])[0], FIXTURE.healthCheckResult, "healthCheckResult");

    const tasks = await call(sim, "GET", "/v2/apps/web/tasks");
    expect(tasks.body.tasks).toHaveLength(2);

    const put = await call(sim, "PUT", "/v2/apps/web", { env: { A: "1" } });
    expect(put.status).toBe(200);
    expectFields(put.body, FIXTURE.deploymentResult, "PUT result");
    expect(put.headers.get("marathon-deployment-id")).toBe(put.body.deploymentId);
    expect(await settle()).toBe(true);

    const versions = await call(sim, "GET", "/v2/apps/web/versions");
    expect(versions.body.versions).toEqual([put.body.version, app.version]);
    const old = await call(sim, "GET", `/v2/apps/web/versions/${String(app.version)}`);
    expect(old.body).toMatchObject({ id: "/web", env: {} });

    const restart = await call(sim, "POST", "/v2/apps/web/restart");
    expect(restart.status).toBe(200);
    expectFields(restart.body, FIXTURE.deploymentResult, "restart result");
    expect(await settle()).toBe(true);
    const restarted = (await call(sim, "GET", "/v2/apps/web")).body.app as Json;
    expect(restarted.version).toBe(restart.body.version);
    expect((restarted.tasks as Json[]).every((t) => t.version === restart.body.version)).toBe(true);
  });

  it("PUT is partial by default; partialUpdate=false replaces; an identical body is a zero-step deployment", async () => {
    await call(sim, "POST", "/v2/apps", { ...web, labels: { team: "a" } });
    expect(await settle()).toBe(true);
    await call(sim, "PUT", "/v2/apps/web", { instances: 1 });
    expect(await settle()).toBe(true);
    let app = (await call(sim, "GET", "/v2/apps/web")).body.app as Json;
    expect(app.labels).toEqual({ team: "a" });
    expect(app.instances).toBe(1);
    const scaleSteps = sim.state.events().filter((e) => e.eventType === "deployment_info").at(-1) as unknown as { currentStep: { actions: { action: string }[] } };
    expect(scaleSteps.currentStep.actions[0]?.action).toBe("ScaleApplication");

    await call(sim, "PUT", "/v2/apps/web?partialUpdate=false", { ...web, instances: 1 });
    expect(await settle()).toBe(true);
    app = (await call(sim, "GET", "/v2/apps/web")).body.app as Json;
    expect(app.labels).toEqual({});

    const same = await call(sim, "PUT", "/v2/apps/web", { labels: {} });
    expect(same.status).toBe(200);
    const success = sim.state.events().find((e) => e.eventType === "deployment_success" && (e as unknown as Json).id === same.body.deploymentId) as unknown as Json;
    expect((success.plan as Json).steps).toEqual([]);

    const patched = await call(sim, "PATCH", "/v2/apps/web", { labels: { team: "b" } });
    expect(patched.status).toBe(200);
    expect((await call(sim, "PATCH", "/v2/apps/nope", { instances: 1 })).status).toBe(404);
    const created = await call(sim, "PUT", "/v2/apps/fresh", { cmd: "sleep 1000", cpus: 0.1, mem: 16 });
    expect(created.status).toBe(201);
  });

  it("rollback by PUT {version} brings back the old definition including instances", async () => {
    const first = await call(sim, "POST", "/v2/apps", web);
    expect(await settle()).toBe(true);
    const v1 = (first.body as Json).version as string;
    await call(sim, "PUT", "/v2/apps/web", { instances: 1, env: { B: "2" } });
    expect(await settle()).toBe(true);
    const back = await call(sim, "PUT", "/v2/apps/web", { version: v1 });
    expect(back.status).toBe(200);
    expect(await settle()).toBe(true);
    const app = (await call(sim, "GET", "/v2/apps/web")).body.app as Json;
    expect(app.instances).toBe(2);
    expect(app.env).toEqual({});
    expect(app.version).toBe(back.body.version);
    expect((await call(sim, "PUT", "/v2/apps/web", { version: "2001-01-01T00:00:00.000Z" })).status).toBe(404);
    const mixed = await call(sim, "PUT", "/v2/apps/web", { version: v1, cmd: "other" });
    expect(mixed.status).toBe(422);
    expect(mixed.body).toEqual({ message: "Object is not valid", details: [{ path: "/", errors: ["The 'version' field may only be combined with the 'id' field."] }] });
  });

  it("PUT /v2/apps with an array plans Marathon's steps in dependency order", async () => {
    const put = await call(sim, "PUT", "/v2/apps", [
      { id: "/api", cmd: "x", cpus: 0.1, mem: 16, dependencies: ["/db"] },
      { id: "/db", cmd: "x", cpus: 0.1, mem: 16 },
    ]);
    expect(put.status).toBe(200);
    const d = (await call(sim, "GET", "/v2/deployments")).body[0] as Json;
    expect(d.steps).toEqual([
      { actions: [{ action: "StartApplication", app: "/api" }, { action: "StartApplication", app: "/db" }] },
      { actions: [{ action: "ScaleApplication", app: "/db" }] },
      { actions: [{ action: "ScaleApplication", app: "/api" }] },
    ]);
    expect(await settle()).toBe(true);
    const dbRunning = sim.timeline.forApp("/db", "state").find((e) => e.state === "TASK_RUNNING")?.t as number;
    const apiLaunch = sim.timeline.forApp("/api", "launch")[0]?.t as number;
    expect(apiLaunch).toBeGreaterThanOrEqual(dbRunning);
  });

  it("keeps 50 versions", async () => {
    await call(sim, "POST", "/v2/apps", { id: "/v", cmd: "x", cpus: 0.01, mem: 1, instances: 0 });
    for (let i = 0; i < 60; i++) await call(sim, "PUT", `/v2/apps/v?force=true`, { env: { I: String(i) } });
    const versions = (await call(sim, "GET", "/v2/apps/v/versions")).body.versions as string[];
    expect(versions).toHaveLength(50);
    expect(new Set(versions).size).toBe(50);
  });

  it("deployments: 409 lock, DELETE reverts, DELETE force=true cancels", async () => {
    await call(sim, "POST", "/v2/apps", web);
    expect(await settle()).toBe(true);
    // A broken image never becomes healthy: the deployment stays.
    const broken = await call(sim, "PUT", "/v2/apps/web", { container: { type: "DOCKER", docker: { image: "example/web:broken" } } });
    await sim.clock.advance(3_000);
    const locked = await call(sim, "PUT", "/v2/apps/web", { env: { X: "1" } });
    expect(locked.status).toBe(409);
    expect(locked.body.message).toBe("App is locked by one or more deployments. Override with the option '?force=true'. View details at '/v2/deployments/<DEPLOYMENT_ID>'.");
    expect(locked.body.deployments).toEqual([{ id: broken.body.deploymentId }]);

    const revert = await call(sim, "DELETE", `/v2/deployments/${String(broken.body.deploymentId)}`);
    expect(revert.status).toBe(200);
    expectFields(revert.body, FIXTURE.deploymentResult, "revert result");
    expect(await settle()).toBe(true);
    const app = (await call(sim, "GET", "/v2/apps/web")).body.app as Json;
    expect((app.container as { docker: { image: string } }).docker.image).toBe("example/web:good");
    expect(app.tasksHealthy).toBe(2);

    const again = await call(sim, "PUT", "/v2/apps/web", { container: { type: "DOCKER", docker: { image: "example/web:broken" } } });
    await sim.clock.advance(3_000);
    const cancelled = await call(sim, "DELETE", `/v2/deployments/${String(again.body.deploymentId)}?force=true`);
    expect(cancelled.status).toBe(202);
    expect((await call(sim, "GET", "/v2/deployments")).body).toEqual([]);
    const kept = (await call(sim, "GET", "/v2/apps/web")).body.app as Json;
    expect((kept.container as { docker: { image: string } }).docker.image).toBe("example/web:broken");
    const failed = sim.state.events().find((e) => e.eventType === "deployment_failed" && (e as unknown as Json).id === again.body.deploymentId);
    expectFields(failed, FIXTURE.events.deployment_failed as string[], "deployment_failed");

    const missing = await call(sim, "DELETE", "/v2/deployments/8e0bc7ef-6f53-4b4e-a1d5-6c7d3f1c2a11");
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({ message: "DeploymentPlan 8e0bc7ef-6f53-4b4e-a1d5-6c7d3f1c2a11 does not exist" });
  });

  it("queue: processedOffersSummary with reject reasons in Marathon's order", async () => {
    await call(sim, "POST", "/v2/apps", { id: "/big", cmd: "x", cpus: 0.5, mem: 800, instances: 2, constraints: [["hostname", "UNIQUE"]] });
    await sim.clock.advance(10_000);
    const queue = (await call(sim, "GET", "/v2/queue")).body.queue as Json[];
    expect(queue).toHaveLength(1);
    const item = queue[0] as Json;
    expectFields(item, FIXTURE.queueItem, "queue item");
    expect(item.count).toBe(1);
    expect(item.delay).toEqual({ timeLeftSeconds: 0, overdue: true });
    const summary = item.processedOffersSummary as Json;
    expectFields(summary, FIXTURE.offersSummary, "processedOffersSummary");
    const rows = summary.rejectSummaryLastOffers as Json[];
    rows.forEach((r) => expectFields(r, FIXTURE.rejectRow, "reject row"));
    expect(rows.map((r) => r.reason)).toEqual(FIXTURE.rejectReasonOrder);
    // a1 already runs one (UNIQUE), a2 has 497 MB.
    expect(rows.find((r) => r.reason === "UnfulfilledConstraint")).toMatchObject({ declined: 1, processed: 2 });
    expect(rows.find((r) => r.reason === "InsufficientMemory")).toMatchObject({ declined: 1, processed: 1 });
  });

  it("info, leader, ping", async () => {
    const info = await call(sim, "GET", "/v2/info");
    expectFields(info.body, FIXTURE.info, "info");
    expect((await call(sim, "GET", "/v2/leader")).body).toEqual({ leader: sim.marathonUrl.replace("http://", "") });
    const ping = await call(sim, "GET", "/ping");
    expect(ping.status).toBe(200);
    expect(ping.body).toBe("pong");
  });

  it("Mesos master: /master/slaves and /master/state", async () => {
    await call(sim, "POST", "/v2/apps", { id: "/s", cmd: "x", cpus: 0.5, mem: 300, instances: 1, constraints: [["type", "CLUSTER", "staging"]] });
    await sim.clock.advance(10_000);
    const slaves = (await (await fetch(`${sim.mesosUrl}/master/slaves`)).json()) as { slaves: Json[] };
    expect(slaves.slaves).toHaveLength(2);
    for (const a of slaves.slaves) {
      expectFields(a, FIXTURE.mesosAgent, "agent");
      expectFields(a.resources, FIXTURE.mesosResources, "resources");
    }
    const staging = slaves.slaves.find((a) => a.hostname === "a2") as Json;
    expect(staging.resources).toMatchObject({ cpus: 1, mem: 497 });
    expect(staging.used_resources).toMatchObject({ cpus: 0.5, mem: 300, ports: "[31000-31000]" });
    expect(staging.attributes).toEqual({ type: "staging" });
    const state = (await (await fetch(`${sim.mesosUrl}/master/state`)).json()) as Json;
    expect(state.slaves).toHaveLength(2);
    expect(((state.frameworks as Json[])[0] as Json).tasks).toHaveLength(1);
  });
});

describe("event stream contract", () => {
  it("sends event_stream_attached first, then every event type with Marathon's fields", async () => {
    const stream = await openEvents(sim.marathonUrl);
    await call(sim, "POST", "/v2/apps", web);
    expect(await settle()).toBe(true);
    const broken = await call(sim, "PUT", "/v2/apps/web", { container: { type: "DOCKER", docker: { image: "example/web:broken" } } });
    await sim.clock.advance(30_000);
    await call(sim, "DELETE", `/v2/deployments/${String(broken.body.deploymentId)}?force=true`);
    await realPause(100);
    stream.close();
    expect(stream.frames[0]?.event).toBe("event_stream_attached");
    const seen = new Set(stream.frames.map((f) => f.event));
    for (const [type, fields] of Object.entries(FIXTURE.events)) {
      expect(seen, `no ${type} seen`).toContain(type);
      for (const frame of stream.frames.filter((f) => f.event === type)) {
        expectFields(frame.data, [...fields, "eventType", "timestamp"], type);
        expect(frame.data.eventType).toBe(type);
      }
    }
    for (const frame of stream.frames.filter((f) => f.event.startsWith("deployment_"))) expectFields(frame.data.plan, FIXTURE.plan, `${frame.event}.plan`);
    const kill = stream.frames.find((f) => f.event === "unhealthy_instance_kill_event");
    expect(kill?.data.reason).toBe("503 Service Unavailable");
  });

  it("filters by event_type and refuses clients that do not accept text/event-stream", async () => {
    const stream = await openEvents(sim.marathonUrl, "?event_type=deployment_success&event_type=deployment_failed");
    await call(sim, "POST", "/v2/apps", web);
    expect(await settle()).toBe(true);
    await realPause(50);
    stream.close();
    expect(stream.frames.map((f) => f.event)).toEqual(["event_stream_attached", "deployment_success"]);
    const plain = await call(sim, "GET", "/v2/events", undefined, { Accept: "application/json" });
    expect(plain.status).toBe(405);
  });
});
