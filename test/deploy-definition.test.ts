/**
 * What ends up in Marathon is exactly the artifact: fields removed from the
 * template go away, an unchanged redeploy changes nothing, and
 * `instances: "per-agent"` becomes one instance per eligible agent.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { AppDefinition } from "../src/marathon/types.js";
import { clickCount, startHarness, type Harness } from "./deploy-harness.js";

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe("the deployed definition is the artifact", () => {
  it("a label removed from the template is removed in Marathon", async () => {
    h = await startHarness();
    const first = await h.deploy(clickCount("1.0.0", "staging", { labels: { team: "web", owner: "ops" } }));
    const second = await h.deploy(clickCount("1.0.0", "staging", { labels: { team: "web" } }));
    // The label change restarts the app, so the strategy for the 497 MB agent is sent too.
    // mdeploy's own bookkeeping label (the version before was healthy: mdeploy history) comes along.
    expect(second.changes.map((c) => `${c.kind} ${c.path}`)).toEqual(["added labels.MDEPLOY_PREVIOUS_HEALTHY", "removed labels.owner", "added upgradeStrategy"]);
    expect((h.sim.state.app("/staging/click-count") as { labels: Record<string, string> }).labels).toEqual({ team: "web", MDEPLOY_PREVIOUS_HEALTHY: first.version });
  });

  it("redeploying the same definition changes nothing and still verifies", async () => {
    h = await startHarness();
    const first = await h.deploy(clickCount("1.0.0"));
    const tasksBefore = h.sim.state.tasks("/staging/click-count").map((t) => t.id);
    const again = await h.deploy(clickCount("1.0.0"));
    expect(again.plan.kind).toBe("unchanged");
    expect(again.changes).toEqual([]);
    expect(again.plan.strategy).toEqual(first.plan.strategy);
    expect(h.sim.state.tasks("/staging/click-count").map((t) => t.id)).toEqual(tasksBefore);
  });

  it('instances "per-agent" runs one instance on every agent the constraints allow', async () => {
    h = await startHarness();
    const traefik = {
      id: "/traefik",
      instances: "per-agent",
      cpus: 0.1,
      mem: 64,
      container: { type: "DOCKER", docker: { image: "traefik:v2.11" } },
      constraints: [["hostname", "UNIQUE"]],
    } as unknown as AppDefinition;
    const result = await h.deploy(traefik);
    expect(result.plan.instances.to).toBe(3);
    expect(new Set(h.sim.state.tasks("/traefik").map((t) => t.host))).toEqual(new Set(["svc", "staging", "production"]));
    // An upgrade with no spare agent replaces them a few at a time, never all at once.
    const upgrade = await h.deploy({ ...traefik, container: { type: "DOCKER", docker: { image: "traefik:v2.11.1" } } });
    expect(upgrade.plan.minHealthy).toBeGreaterThan(0);
    expect(upgrade.plan.warnings.join(" ")).toMatch(/leaves no spare agent/);
    expect(h.sim.state.healthyCount("/traefik")).toBe(3);
  });
});
