/**
 * Canary deploys against the simulator: the new version beside the stable one
 * in the same Traefik service, moved in steps with a gate between them,
 * promoted at the end or aborted with the stable app back.
 */
import { afterEach, describe, expect, it } from "vitest";
import { ExitCode } from "../src/errors.js";
import type { ProgressiveResult } from "../src/deploy/progressive/canary.js";
import { outcomeOf, type Harness } from "./deploy-harness.js";
import { APP, CANARY, canary, canarySettings, healthyOverTime, imageOf, routedClickCount, startProgressiveHarness } from "./progressive-harness.js";

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe("canary", () => {
  it("a good canary goes through every step, the stable app gets the new version, the canary is removed", async () => {
    h = await startProgressiveHarness();
    await h.deploy(routedClickCount("1.0.0"), { environment: "production" });
    const since = h.sim.clock.now();
    const result = (await canary(h, routedClickCount("1.1.0"), canarySettings())) as ProgressiveResult;

    expect(imageOf(h.sim, APP)).toBe("registry.example.com/demo/click-count:1.1.0");
    expect(h.sim.state.app(CANARY)).toBeUndefined();
    expect(h.sim.state.healthyCount(APP)).toBe(4);
    expect(result.progressive.strategy).toBe("canary");
    if (result.progressive.strategy !== "canary") return;
    expect(result.progressive.steps.map((s) => [s.step.canary, s.step.stable, s.step.share, s.gate.passed])).toEqual([
      [1, 3, 25, true],
      [2, 2, 50, true],
    ]);
    // Each step was reached: both copies healthy at the step's counts at some moment.
    const moments = healthyOverTime(h.sim, [APP, CANARY], since);
    for (const [c, s] of [[1, 3], [2, 2]]) expect(moments.some((m) => m.healthy[CANARY] === c && m.healthy[APP] === s)).toBe(true);
    // The public service (both apps) never lost its last healthy backend.
    expect(Math.min(...moments.map((m) => (m.healthy[APP] ?? 0) + (m.healthy[CANARY] ?? 0)))).toBeGreaterThan(0);
    expect(h.printed()).toMatch(/step 1 \(25%\): \/production\/click-count-canary 1, \/production\/click-count 3: 25% of traffic on the new version/);
  });

  it("a canary that never turns healthy at step 1: aborted, stable untouched, exit 1", async () => {
    h = await startProgressiveHarness();
    await h.deploy(routedClickCount("1.0.0"), { environment: "production" });
    const before = h.sim.state.app(APP) as { versionInfo: { lastConfigChangeAt: string } };
    const outcome = await outcomeOf(h, canary(h, routedClickCount("broken"), canarySettings()));

    expect(outcome.code).toBe(ExitCode.deploymentFailed);
    expect(outcome.shown).toMatch(/canary of \/production\/click-count aborted at step 1/);
    expect(h.sim.state.app(CANARY)).toBeUndefined();
    const after = h.sim.state.app(APP) as { instances: number; versionInfo: { lastConfigChangeAt: string } };
    expect(after.instances).toBe(4);
    expect(after.versionInfo.lastConfigChangeAt).toBe(before.versionInfo.lastConfigChangeAt);
    expect(imageOf(h.sim, APP)).toBe("registry.example.com/demo/click-count:1.0.0");
    expect(h.sim.state.healthyCount(APP)).toBe(4);
  });
});
