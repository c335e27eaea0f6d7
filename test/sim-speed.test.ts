import { afterEach, describe, expect, it } from "vitest";
import { startSimulator, type Simulator } from "../src/sim/index.js";

let sims: Simulator[] = [];
afterEach(async () => {
  await Promise.all(sims.map((s) => s.close()));
  sims = [];
});

const app = { id: "/web", instances: 3, cmd: "serve", cpus: 0.1, mem: 64, healthChecks: [{ protocol: "HTTP", gracePeriodSeconds: 60, intervalSeconds: 10 }] };

describe("speed mode", () => {
  it("lets a real-time client follow a deployment to its end", async () => {
    const sim = await startSimulator({ speed: 500 });
    sims.push(sim);
    const post = await fetch(`${sim.marathonUrl}/v2/apps`, { method: "POST", body: JSON.stringify(app) });
    expect(post.status).toBe(201);
    const started = performance.now();
    let deployments: unknown[] = [{}];
    while (deployments.length > 0 && performance.now() - started < 10_000) {
      await new Promise((r) => setTimeout(r, 20));
      deployments = (await (await fetch(`${sim.marathonUrl}/v2/deployments`)).json()) as unknown[];
    }
    expect(deployments).toEqual([]);
    expect(sim.state.healthyCount("/web")).toBe(3);
    // About 15 simulated seconds at 500x: well under a real second or two.
    expect(performance.now() - started).toBeLessThan(5_000);
  });
});

describe("determinism", () => {
  it("gives the same ids and timeline for the same seed and calls", async () => {
    const run = async () => {
      const sim = await startSimulator({ seed: 99 });
      sims.push(sim);
      await fetch(`${sim.marathonUrl}/v2/apps`, { method: "POST", body: JSON.stringify(app) });
      await sim.clock.runUntil(() => sim.state.deployments().length === 0, { maxMs: 120_000 });
      await fetch(`${sim.marathonUrl}/v2/apps/web`, { method: "PUT", body: JSON.stringify({ env: { A: "1" } }) });
      await sim.clock.runUntil(() => sim.state.deployments().length === 0, { maxMs: 120_000 });
      return sim.timeline.entries.map((e) => `${e.t} ${e.kind} ${e.instanceId ?? ""} ${e.host ?? ""} ${e.state ?? ""}`);
    };
    const first = await run();
    const second = await run();
    expect(first.length).toBeGreaterThan(20);
    expect(second).toEqual(first);
  });
});
