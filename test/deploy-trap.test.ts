import { afterEach, describe, expect, it } from "vitest";
import { PreflightRefusedError } from "../src/errors.js";
import { defaultCluster } from "../src/sim/index.js";
import { clickCount, startHarness, type Harness } from "./deploy-harness.js";

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe("the original trap: click-count 300 MB on the 497 MB staging agent", () => {
  it("the default strategy upgrades, saying zero-downtime was not possible and why", async () => {
    h = await startHarness();
    const first = await h.deploy(clickCount("1.0.0"));
    expect(first.plan.kind).toBe("create");
    const second = await h.deploy(clickCount("1.1.0"));
    expect(second.plan.strategy).toEqual({ minimumHealthCapacity: 0, maximumOverCapacity: 1 });
    expect(second.previousVersion).toBe(first.version);
    expect(second.verifiedBy).toBe("event");
    expect(second.instances).toEqual({ healthy: 1, total: 1 });
    expect(h.printed()).toContain("zero-downtime was not possible");
    expect(h.printed()).toContain("needs 300 MB more on one agent with type:staging; the largest free is 197 MB");
    const app = h.sim.state.app("/staging/click-count") as { version: string; container: { docker: { image: string } } };
    expect(app.version).toBe(second.version);
    expect(app.container.docker.image).toContain(":1.1.0");
  });

  it("a template with an explicit (1,1) is refused before any PUT, naming the shortfall", async () => {
    h = await startHarness();
    const first = await h.deploy(clickCount("1.0.0"));
    const refused = h.deploy(clickCount("1.1.0", "staging", { upgradeStrategy: { minimumHealthCapacity: 1, maximumOverCapacity: 1 } }));
    await expect(refused).rejects.toBeInstanceOf(PreflightRefusedError);
    await expect(refused).rejects.toThrow(/needs 300 MB more on one agent with type:staging; the largest free is 197 MB/);
    const app = h.sim.state.app("/staging/click-count") as { version: string };
    expect(app.version).toBe(first.version);
    expect(h.sim.state.deployments()).toEqual([]);
  });

  it("with a second staging agent auto keeps minimumHealthCapacity 1 and a healthy instance at every moment", async () => {
    const cluster = defaultCluster();
    cluster.agents.push({ hostname: "staging-2", cpus: 1, mem: 497, disk: 4000, ports: "[31000-32000]", attributes: { type: "staging" } });
    h = await startHarness({ cluster });
    const first = await h.deploy(clickCount("1.0.0"));
    const second = await h.deploy(clickCount("1.1.0"));
    expect(second.plan.strategy.minimumHealthCapacity).toBe(1);
    expect(second.plan.zeroDowntime).toBe(true);
    const samples = h.sim.timeline.samples("/staging/click-count");
    const afterFirstHealthy = samples.slice(samples.findIndex((s) => s.healthy > 0));
    expect(Object.keys(afterFirstHealthy.at(-1)?.healthyByVersion ?? {})).toEqual([second.version]);
    expect(first.version < second.version).toBe(true);
    expect(afterFirstHealthy.length).toBeGreaterThan(0);
    expect(afterFirstHealthy.every((s) => s.healthy >= 1)).toBe(true);
  });
});
