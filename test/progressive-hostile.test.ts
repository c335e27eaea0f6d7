/**
 * Hostile cases for canary and blue/green that the engines' own suites do not
 * write: what `mdeploy rollback` does after a finished blue/green, and with an
 * app that is merely named like a copy.
 */
import { afterEach, describe, expect, it } from "vitest";
import { rollbackApp } from "../src/deploy/rollback-app.js";
import { progressiveCopyOf, undoProgressive } from "../src/deploy/progressive/undo-progressive.js";
import { interrupts, outcomeOf, type Harness } from "./deploy-harness.js";
import { APP, CANARY, GREEN, blueGreen, canary, canarySettings, blueGreenSettings, imageOf, momentsWithoutBackend, PUBLIC_RULE, routedClickCount, sharesNow, startProgressiveHarness, watchedProgress } from "./progressive-harness.js";

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

function labelsOf(harness: Harness, appId: string): Record<string, string> {
  return (harness.sim.state.app(appId) as { labels?: Record<string, string> } | undefined)?.labels ?? {};
}

describe("progressive copies, hostile", () => {
  it("a plain rollback after a finished blue/green goes back to the version that served, not to the standby copy without traffic", async () => {
    h = await startProgressiveHarness();
    await h.deploy(routedClickCount("1.0.0", 2), { environment: "production" });
    await blueGreen(h, routedClickCount("1.1.0", 2), blueGreenSettings());
    expect(imageOf(h.sim, APP)).toBe("registry.example.com/demo/click-count:1.1.0");
    const since = h.sim.clock.now();

    const result = await rollbackApp({ environment: "production", appId: APP, force: false }, { marathon: h.marathon, mesos: h.mesos, clock: h.sim.clock, progress: h.progress });

    expect(imageOf(h.sim, APP)).toBe("registry.example.com/demo/click-count:1.0.0");
    expect(labelsOf(h, APP)["traefik.enable"]).toBe("true");
    expect(labelsOf(h, APP).MDEPLOY_BLUE_GREEN).toBeUndefined();
    expect(sharesNow(h.sim, PUBLIC_RULE)).toEqual({ [APP]: 100 });
    expect(momentsWithoutBackend(h.sim, PUBLIC_RULE, since)).toEqual([]);
    expect(result.reason).toMatch(/standby/);
  });

  it("rollback leaves alone an app that is only named like the canary or green copy (no mdeploy label says it is one)", async () => {
    h = await startProgressiveHarness();
    await h.deploy(routedClickCount("1.0.0", 2), { environment: "production" });
    await h.deploy(routedClickCount("1.1.0", 2), { environment: "production" });
    // Someone's own apps, named like the copies, without Traefik labels.
    await h.deploy({ ...routedClickCount("9.9.9", 1, { labels: {} }), id: CANARY }, { environment: "production" });
    await h.deploy({ ...routedClickCount("9.9.9", 1, { labels: {} }), id: GREEN }, { environment: "production" });

    expect(await progressiveCopyOf(APP, h.marathon)).toBeUndefined();
    expect(await undoProgressive({ environment: "production", appId: APP }, { marathon: h.marathon, clock: h.sim.clock, progress: h.progress })).toBeUndefined();
    expect(h.sim.state.app(CANARY)).toBeDefined();
    expect(h.sim.state.app(GREEN)).toBeDefined();
    expect(h.sim.state.app(APP)?.instances).toBe(2);

    // A canary or blue/green deploy refuses (exit 3) without naming that rollback, which would not touch them.
    for (const run of [() => canary(h as Harness, routedClickCount("1.2.0", 2), canarySettings()), () => blueGreen(h as Harness, routedClickCount("1.2.0", 2), blueGreenSettings())]) {
      const { code, shown } = await outcomeOf(h, run());
      expect(code).toBe(3);
      expect(shown).toMatch(/is not a (canary|blue\/green copy) of \/production\/click-count/);
      expect(shown).not.toMatch(/from an earlier run/);
      expect(shown).toMatch(/with --strategy rolling, or give the other app another id/);
    }
    expect(imageOf(h.sim, CANARY)).toBe("registry.example.com/demo/click-count:9.9.9");
    expect(imageOf(h.sim, GREEN)).toBe("registry.example.com/demo/click-count:9.9.9");
    expect(imageOf(h.sim, APP)).toBe("registry.example.com/demo/click-count:1.1.0");
  });

  it("SIGTERM in the keep window: exit 5 names one command, and that command finishes the job (deploying again would only refuse)", async () => {
    h = await startProgressiveHarness();
    await h.deploy(routedClickCount("1.0.0", 2), { environment: "production" });
    const since = h.sim.clock.now();
    const signals = interrupts();
    const progress = watchedProgress(h, (text) => {
      if (text.includes("switched:")) signals.signal("SIGTERM");
    });
    const outcome = await outcomeOf(h, blueGreen(h, routedClickCount("1.1.0", 2), blueGreenSettings(), {}, { progress, interrupts: signals.interrupts }));
    expect(outcome.code).toBe(5);
    const finishing = outcome.shown.match(/to finish the job: .+/g) ?? [];
    expect(finishing).toEqual(["to finish the job: mdeploy rollback production (back to /production/click-count)"]);

    // Deploying again does not finish it: blue on standby (traefik.enable=false) makes a blue/green deploy refuse, green stays.
    const again = await outcomeOf(h, blueGreen(h, routedClickCount("1.1.0", 2), blueGreenSettings()));
    expect(again.code).toBe(2);
    expect(h.sim.state.app(GREEN)).toBeDefined();

    const undone = await undoProgressive({ environment: "production", appId: APP }, { marathon: h.marathon, clock: h.sim.clock, progress: h.progress });
    expect(undone?.undid).toBe("blue-green");
    expect(h.sim.state.app(GREEN)).toBeUndefined();
    expect(imageOf(h.sim, APP)).toBe("registry.example.com/demo/click-count:1.0.0");
    expect(sharesNow(h.sim, PUBLIC_RULE)).toEqual({ [APP]: 100 });
    expect(momentsWithoutBackend(h.sim, PUBLIC_RULE, since)).toEqual([]);
  });
});
