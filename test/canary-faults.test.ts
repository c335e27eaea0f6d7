/**
 * A canary that runs out of time or loses Marathon mid-step: the stable app
 * keeps serving, and the canary is removed (exit 4), or exit 5 names what runs
 * and `mdeploy rollback <env>`, which then finishes the job.
 */
import { afterEach, describe, expect, it } from "vitest";
import { undoProgressive } from "../src/deploy/progressive/undo-progressive.js";
import { ExitCode } from "../src/errors.js";
import { outcomeOf, type Harness } from "./deploy-harness.js";
import { APP, CANARY, canary, canarySettings, healthyOverTime, imageOf, routedClickCount, startProgressiveHarness } from "./progressive-harness.js";

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe("canary faults", () => {
  it("the time limit runs out during a gate: canary removed, stable back at its instances, exit 4", async () => {
    h = await startProgressiveHarness();
    await h.deploy(routedClickCount("1.0.0"), { environment: "production" });
    const outcome = await outcomeOf(h, canary(h, routedClickCount("1.1.0"), canarySettings({ windowSeconds: 3_600 }), { timeoutMs: 600_000 }));

    expect(outcome.code).toBe(ExitCode.timedOut);
    expect(outcome.shown).toMatch(/aborted at step 1: stopped during the gate: the time limit \(--timeout\) ran out; \/production\/click-count-canary removed; \/production\/click-count back at 4 instances/);
    expect(h.sim.state.app(CANARY)).toBeUndefined();
    expect(h.sim.state.healthyCount(APP)).toBe(4);
    expect(imageOf(h.sim, APP)).toBe("registry.example.com/demo/click-count:1.0.0");
  });

  it("Marathon lost at step 2: exit 5 naming what runs and mdeploy rollback, which finishes once Marathon answers; the stable app served throughout", async () => {
    h = await startProgressiveHarness();
    await h.deploy(routedClickCount("1.0.0"), { environment: "production" });
    const since = h.sim.clock.now();
    const sim = h.sim;
    // Inside the simulator: the canary's second PUT (step 2) meets a Marathon that answers 503 from then on.
    sim.faults.beforeNext({ method: "PUT", path: `/v2/apps${CANARY}` }, () => {
      sim.faults.beforeNext({ method: "PUT", path: `/v2/apps${CANARY}` }, () => sim.faults.failNext(1_000_000, { target: "marathon", status: 503, message: "Marathon is gone" }));
    });
    const outcome = await outcomeOf(h, canary(h, routedClickCount("1.1.0"), canarySettings({ windowSeconds: 30 }), { interruptGraceMs: 120_000 }));

    expect(outcome.code).toBe(ExitCode.needsPerson);
    expect(outcome.shown).toMatch(/canary of \/production\/click-count aborted at step 2: .*the clean-up did not finish/);
    expect(outcome.shown).toMatch(/\/production\/click-count-canary: cannot be read/);
    expect(outcome.shown).toMatch(/to finish the job: mdeploy rollback production$/m);
    // Marathon was lost, not the tasks: the stable app kept serving.
    expect(Math.min(...healthyOverTime(sim, [APP], since).map((m) => m.healthy[APP] ?? 0))).toBeGreaterThan(0);

    sim.faults.clear();
    const undone = await undoProgressive({ environment: "production", appId: APP }, { marathon: h.marathon, clock: sim.clock, progress: h.progress });
    expect(undone?.undid).toBe("canary");
    expect(sim.state.app(CANARY)).toBeUndefined();
    expect(sim.state.healthyCount(APP)).toBe(4);
    expect(imageOf(sim, APP)).toBe("registry.example.com/demo/click-count:1.0.0");
  });
});
