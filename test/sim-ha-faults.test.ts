import { request } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { startSimulator, type ClusterSpec, type Simulator } from "../src/sim/index.js";

const cluster: ClusterSpec = { agents: [{ hostname: "a", cpus: 2, mem: 2048 }], standbys: 2 };

let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

describe("leader and standbys", () => {
  it("standbys proxy to the leader and redirect /v2/events", async () => {
    sim = await startSimulator({ cluster });
    expect(sim.marathonUrls).toHaveLength(3);
    const [leader, standby] = sim.marathonUrls as [string, string];
    expect(sim.marathonUrl).toBe(leader);
    const created = await fetch(`${standby}/v2/apps`, { method: "POST", body: JSON.stringify({ id: "/x", cmd: "x", cpus: 0.1, mem: 16 }) });
    expect(created.status).toBe(201);
    expect(created.headers.get("x-marathon-leader")).toBe(leader);
    const viaLeader = (await (await fetch(`${leader}/v2/apps`)).json()) as { apps: unknown[] };
    expect(viaLeader.apps).toHaveLength(1);
    const events = await get(`${standby}/v2/events?event_type=deployment_success`, { Accept: "text/event-stream" });
    expect(events.status).toBe(302);
    expect(events.headers.location).toBe(`${leader}/v2/events?event_type=deployment_success`);
  });

  it("moves leadership on demand; without a leader requests wait about 2.5 s, then 502", async () => {
    sim = await startSimulator({ cluster });
    const s = sim;
    const [first, second] = s.marathonUrls as [string, string];
    s.faults.changeLeader(1);
    expect(s.marathonUrl).toBe(second);
    expect(await (await fetch(`${first}/v2/leader`)).json()).toEqual({ leader: second.replace("http://", "") });
    s.faults.changeLeader(-1);
    expect((await fetch(`${first}/ping`)).status).toBe(200);
    // A leader elected while the request waits serves it.
    setTimeout(() => s.faults.changeLeader(0), 300);
    expect((await fetch(`${second}/v2/apps`)).status).toBe(200);
    s.faults.changeLeader(-1);
    const started = performance.now();
    const none = await fetch(`${first}/v2/apps`);
    expect(none.status).toBe(502);
    expect(performance.now() - started).toBeGreaterThanOrEqual(2_400);
  });

  it("DELETE /v2/leader abdicates", async () => {
    sim = await startSimulator({ cluster });
    const before = sim.marathonUrl;
    expect((await fetch(`${before}/v2/leader`, { method: "DELETE" })).status).toBe(200);
    expect(sim.marathonUrl).not.toBe(before);
  });
});

describe("fault injection", () => {
  it("5xx bursts, connection resets and latency hit the next requests only", async () => {
    sim = await startSimulator();
    sim.faults.failNext(2, { status: 502 });
    expect((await fetch(`${sim.marathonUrl}/v2/apps`)).status).toBe(502);
    expect((await fetch(`${sim.marathonUrl}/v2/apps`)).status).toBe(502);
    expect((await fetch(`${sim.marathonUrl}/v2/apps`)).status).toBe(200);

    sim.faults.resetNext(1, { path: "/v2/deployments" });
    expect((await fetch(`${sim.marathonUrl}/v2/apps`)).status).toBe(200);
    await expect(fetch(`${sim.marathonUrl}/v2/deployments`)).rejects.toThrow();
    expect((await fetch(`${sim.marathonUrl}/v2/deployments`)).status).toBe(200);

    sim.faults.latency(150);
    const started = performance.now();
    await fetch(`${sim.marathonUrl}/ping`);
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
    sim.faults.clear();

    sim.faults.failNext(1, { target: "mesos" });
    expect((await fetch(`${sim.mesosUrl}/master/slaves`)).status).toBe(503);
    expect((await fetch(`${sim.mesosUrl}/master/slaves`)).status).toBe(200);
  });

  it("drops event streams", async () => {
    sim = await startSimulator();
    const s = sim;
    const ended = new Promise<string>((resolve, reject) => {
      const req = request(`${s.marathonUrl}/v2/events`, { headers: { Accept: "text/event-stream" } }, (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => {
          body += c;
          if (body.includes("event_stream_attached")) s.faults.dropEventStreams();
        });
        res.on("close", () => resolve(body));
        res.on("error", () => resolve(body));
      });
      req.on("error", reject);
      req.end();
    });
    expect(await ended).toContain("event: event_stream_attached");
  });
});

describe("agent loss", () => {
  it("loses the agent's tasks, replaces them elsewhere and makes no offers until the agent is back", async () => {
    sim = await startSimulator({ cluster: { agents: [{ hostname: "a", cpus: 2, mem: 1024 }, { hostname: "b", cpus: 2, mem: 1024 }], defaultImage: { startSeconds: 1, healthyAfterSeconds: 1 } } });
    const s = sim;
    await fetch(`${s.marathonUrl}/v2/apps`, { method: "POST", body: JSON.stringify({ id: "/w", cmd: "x", cpus: 0.1, mem: 64, instances: 2, constraints: [["hostname", "UNIQUE"]] }) });
    expect(await s.clock.runUntil(() => s.state.deployments().length === 0, { maxMs: 60_000 })).toBe(true);
    s.faults.agentDown("a");
    const lost = s.state.events().filter((e) => e.eventType === "status_update_event" && (e as unknown as { taskStatus: string }).taskStatus === "TASK_LOST");
    expect(lost).toHaveLength(1);
    expect(s.state.agents().find((a) => a.hostname === "a")?.active).toBe(false);
    await s.clock.advance(30_000);
    // UNIQUE hostname: the replacement waits for agent a.
    expect(s.state.tasks("/w").map((t) => t.host)).toEqual(["b"]);
    expect(s.state.queue()[0]?.count).toBe(1);
    expect((s.state.app("/w") as { lastTaskFailure: { state: string } }).lastTaskFailure.state).toBe("TASK_LOST");
    s.faults.agentUp("a");
    await s.clock.advance(30_000);
    expect(s.state.tasks("/w").map((t) => t.host).sort()).toEqual(["a", "b"]);
  });
});
