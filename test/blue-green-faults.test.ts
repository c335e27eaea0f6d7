/**
 * A blue/green deploy that loses Marathon: before the switch (green never
 * served) and in the middle of it (green serves, blue not yet on standby).
 * Either way the public rule never loses its backends, the deploy exits 5
 * naming what runs and `mdeploy rollback <env>`, and that command, once
 * Marathon answers again, leaves only blue serving.
 */
import { afterEach, describe, expect, it } from "vitest";
import { undoProgressive } from "../src/deploy/progressive/undo-progressive.js";
import { ExitCode } from "../src/errors.js";
import { outcomeOf, type Harness } from "./deploy-harness.js";
import { APP, GREEN, blueGreen, blueGreenSettings, imageOf, momentsWithoutBackend, PUBLIC_RULE, routedClickCount, sharesNow, startProgressiveHarness } from "./progressive-harness.js";

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** From the next write matching `path` on (the `skip`-th after this one), Marathon answers 503 to everything: it is gone. */
function loseMarathonAt(harness: Harness, path: string, skip: number): void {
  const sim = harness.sim;
  const arm = (left: number) =>
    sim.faults.beforeNext({ method: "PUT", path }, () => {
      if (left === 0) sim.faults.failNext(1_000_000, { target: "marathon", status: 503, message: "Marathon is gone" });
      else arm(left - 1);
    });
  arm(skip);
}

async function rollBackOnceMarathonAnswers(harness: Harness): Promise<void> {
  harness.sim.faults.clear();
  const undone = await undoProgressive({ environment: "production", appId: APP }, { marathon: harness.marathon, clock: harness.sim.clock, progress: harness.progress });
  expect(undone?.undid).toBe("blue-green");
  expect(harness.sim.state.app(GREEN)).toBeUndefined();
  expect(harness.sim.state.healthyCount(APP)).toBe(2);
  expect(imageOf(harness.sim, APP)).toBe("registry.example.com/demo/click-count:1.0.0");
  expect(sharesNow(harness.sim, PUBLIC_RULE)).toEqual({ [APP]: 100 });
}

describe("blue/green faults", () => {
  it("Marathon lost at the switch: green never served, exit 5 names mdeploy rollback, which removes green once Marathon answers", async () => {
    h = await startProgressiveHarness();
    await h.deploy(routedClickCount("1.0.0", 2), { environment: "production" });
    const since = h.sim.clock.now();
    // Green's first PUT starts it on the preview Host; the second would move the public rule to it.
    loseMarathonAt(h, `/v2/apps${GREEN}`, 1);
    const outcome = await outcomeOf(h, blueGreen(h, routedClickCount("1.1.0", 2), blueGreenSettings(), { interruptGraceMs: 120_000 }));

    expect(outcome.code).toBe(ExitCode.needsPerson);
    expect(outcome.shown).toMatch(/to finish the job: mdeploy rollback production$/m);
    expect(outcome.shown).toMatch(/\/production\/click-count-green: cannot be read/);
    // Blue kept the public rule the whole time; green never had it.
    expect(momentsWithoutBackend(h.sim, PUBLIC_RULE, since)).toEqual([]);
    expect(sharesNow(h.sim, PUBLIC_RULE)).toEqual({ [APP]: 100 });

    await rollBackOnceMarathonAnswers(h);
  });

  it("Marathon lost between the switch and blue's standby: both serve, exit 5 names mdeploy rollback, which puts blue back alone", async () => {
    h = await startProgressiveHarness();
    await h.deploy(routedClickCount("1.0.0", 2), { environment: "production" });
    const since = h.sim.clock.now();
    // Green has the public rule; the PUT taking blue out of it meets a Marathon that is gone.
    loseMarathonAt(h, `/v2/apps${APP}`, 0);
    const outcome = await outcomeOf(h, blueGreen(h, routedClickCount("1.1.0", 2), blueGreenSettings(), { interruptGraceMs: 120_000 }));

    expect(outcome.code).toBe(ExitCode.needsPerson);
    expect(outcome.shown).toMatch(/serves \/production\/click-count's public rule \(verified\), but taking \/production\/click-count out of it did not finish/);
    expect(outcome.shown).toMatch(/to finish the job: mdeploy rollback production/m);
    expect(momentsWithoutBackend(h.sim, PUBLIC_RULE, since)).toEqual([]);
    expect(sharesNow(h.sim, PUBLIC_RULE)).toEqual({ [APP]: 50, [GREEN]: 50 });

    await rollBackOnceMarathonAnswers(h);
  });
});
