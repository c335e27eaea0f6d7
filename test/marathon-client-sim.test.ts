/**
 * The Marathon and Mesos adapters against the simulator (src/sim): a deploy
 * followed to its end over the event stream, standbys, injected faults, auth.
 * The simulator runs in speed mode so Marathon's seconds pass in milliseconds.
 */
import { afterEach, describe, expect, it } from "vitest";
import { HttpError } from "../src/errors.js";
import { createMarathonClient, MarathonAuthError, type MarathonClient, type MarathonClientOptions } from "../src/marathon/client.js";
import { startEventWatch, type EventWatch } from "../src/deploy/event-watch.js";
import { followDeployment, type FollowOutcome } from "../src/deploy/follow-deployment.js";
import type { EventStreamState } from "../src/marathon/event-stream.js";
import type { AppDefinition } from "../src/marathon/types.js";
import { createMesosClient } from "../src/mesos/client.js";
import { freeResources } from "../src/plan/free-resources.js";
import { defaultCluster, startSimulator, type Simulator, type SimulatorOptions } from "../src/sim/index.js";

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function sim(options: SimulatorOptions = {}): Promise<Simulator> {
  const s = await startSimulator({ seed: 4, speed: 200, ...options });
  cleanups.push(() => s.close());
  return s;
}

function client(s: Simulator, options: Partial<MarathonClientOptions> = {}): MarathonClient {
  const c = createMarathonClient({ urls: s.marathonUrls, clock: s.clock, timeoutMs: 5000, ...options });
  cleanups.push(() => c.close());
  return c;
}

const APP_ID = "/adapter-test/click-count";

/** The production event watch on the app, opened before any PUT as the deploy engine does. */
async function watch(c: MarathonClient, s: Simulator, states: EventStreamState[] = []): Promise<EventWatch> {
  const w = startEventWatch({ marathon: c, clock: s.clock, appId: APP_ID, onState: (state) => states.push(state) });
  cleanups.push(() => w.close());
  await w.whenOpen(60_000);
  return w;
}

/** Follows one PUT's deployment with the production follower, bounded by ten simulated minutes and ten real seconds. */
function follow(c: MarathonClient, s: Simulator, w: EventWatch, put: { deploymentId: string; version: string }): Promise<FollowOutcome> {
  return followDeployment({ marathon: c, clock: s.clock, watch: w, appId: APP_ID, ...put, deadline: s.clock.now() + 600_000, signal: deadline() });
}

function clickCount(tag: string): AppDefinition {
  return {
    id: "/adapter-test/click-count",
    instances: 1,
    cpus: 0.1,
    mem: 300,
    container: { type: "DOCKER", docker: { image: `registry.example.com/click-count:${tag}` } },
    constraints: [["type", "LIKE", "svc"]],
    healthChecks: [{ protocol: "MESOS_HTTP", path: "/health", portIndex: 0, gracePeriodSeconds: 30, intervalSeconds: 2, maxConsecutiveFailures: 3 }],
    portDefinitions: [{ port: 0, name: "http" }],
    upgradeStrategy: { minimumHealthCapacity: 1, maximumOverCapacity: 1 },
  };
}

/** A bound on real time for each wait, so a broken simulator fails the test instead of hanging it. */
function deadline(ms = 10_000): AbortSignal {
  return AbortSignal.timeout(ms);
}

describe("Marathon client against the simulator", () => {
  it("deploys, notices deployment_success on the stream, and finds the app settled at the new version", async () => {
    const s = await sim();
    const marathon = client(s);
    const w = await watch(marathon, s);
    expect(w.open).toBe(true);
    const created = await marathon.putApp(clickCount("1"));
    const first = await follow(marathon, s, w, created);
    expect(first).toMatchObject({ kind: "success", verifiedBy: "event", version: created.version });
    const settled = await marathon.getApp(APP_ID, { embed: ["app.tasks"] });
    expect(settled.version).toBe(created.version);
    expect(settled.tasks?.map((t) => t.version)).toEqual([created.version]);

    const upgraded = await marathon.putApp(clickCount("2"));
    expect(await follow(marathon, s, w, upgraded)).toMatchObject({ kind: "success", verifiedBy: "event", version: upgraded.version });
    const versions = await marathon.getAppVersions("/adapter-test/click-count");
    expect(versions.length).toBeGreaterThanOrEqual(2);
  });

  it("answers a PUT on a locked app with 409 naming the deployment", async () => {
    const s = await sim();
    const marathon = client(s);
    await marathon.putApp({ ...clickCount("1"), container: { type: "DOCKER", docker: { image: "registry.example.com/click-count:slow" } } });
    const error = await marathon.putApp(clickCount("2")).catch((e: unknown) => e as HttpError);
    expect(error).toBeInstanceOf(HttpError);
    expect((error as HttpError).status).toBe(409);
    expect((error as HttpError).message).toMatch(/^PUT http:\/\/127\.0\.0\.1:\d+\/v2\/apps\/adapter-test\/click-count: 409 Conflict: App is locked by one or more deployments$/);
  });

  it("reaches the leader through a standby and follows its event-stream redirect", async () => {
    const s = await sim({ cluster: { ...defaultCluster(), standbys: 1 } });
    const standbyFirst = [...s.marathonUrls].reverse();
    const marathon = client(s, { urls: standbyFirst });
    await marathon.listApps();
    expect(marathon.leaderUrl).toBe(s.marathonUrl);
    const states: EventStreamState[] = [];
    const w = await watch(marathon, s, states);
    expect(w.open).toBe(true);
    expect(states.find((state) => state.state === "open")).toEqual({ state: "open", url: expect.stringContaining(s.marathonUrl) });
  });

  it("retries reads through a 503 burst but sends a PUT once", async () => {
    const s = await sim();
    const marathon = client(s);
    s.faults.failNext(2, { path: "/v2/apps" });
    expect(await marathon.listApps()).toBeInstanceOf(Array);
    s.faults.failNext(1, { path: "/v2/apps" });
    const error = await marathon.putApp(clickCount("1")).catch((e: unknown) => e as HttpError);
    expect((error as HttpError).status).toBe(503);
    expect(await marathon.findApp("/adapter-test/click-count")).toBeUndefined();
  });

  it("still notices the end when the stream is dropped mid-deployment", async () => {
    const s = await sim();
    const marathon = client(s);
    const w = await watch(marathon, s);
    const created = await marathon.putApp(clickCount("1"));
    s.faults.dropEventStreams();
    expect(await follow(marathon, s, w, created)).toMatchObject({ kind: "success", version: created.version });
  });

  it("follows a leader change in the middle of a deployment", async () => {
    const s = await sim({ cluster: { ...defaultCluster(), standbys: 1 } });
    const marathon = client(s);
    const w = await watch(marathon, s);
    const created = await marathon.putApp(clickCount("1"));
    s.faults.changeLeader();
    expect(await follow(marathon, s, w, created)).toMatchObject({ kind: "success", version: created.version });
    expect(marathon.leaderUrl).not.toBe(s.marathonUrls[0]);
  });

  it("refuses wrong credentials with exit 6 and no password in the message", async () => {
    const s = await sim({ cluster: { ...defaultCluster(), credentials: { username: "admin", password: "right-password" } } });
    const marathon = client(s, { auth: { username: "admin", password: "wrong-password" } });
    const error = await marathon.listApps().catch((e: unknown) => e as MarathonAuthError);
    expect(error).toBeInstanceOf(MarathonAuthError);
    expect((error as MarathonAuthError).exitCode).toBe(6);
    expect(JSON.stringify([(error as Error).message, (error as MarathonAuthError).details])).not.toMatch(/wrong-password|right-password/);
    expect(await client(s, { auth: { username: "admin", password: "right-password" } }).listApps()).toBeInstanceOf(Array);
  });

  it("reads the simulated agents from the Mesos master with their free capacity", async () => {
    const s = await sim();
    const mesos = createMesosClient({ url: s.mesosUrl, clock: s.clock });
    cleanups.push(() => mesos.close());
    const agents = await mesos.getAgents();
    const staging = agents.find((a) => a.attributes.type === "staging");
    expect(staging).toBeDefined();
    const free = freeResources(staging as NonNullable<typeof staging>);
    expect(free.total.mem).toBe(497);
    expect(free.unreserved.ports.length).toBeGreaterThan(0);
  });
});
