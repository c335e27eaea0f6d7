/**
 * Hostile cases for canary and blue/green that the engines' own suites do not
 * write: what `mdeploy rollback` does after a finished blue/green, and with an
 * app that is merely named like a copy.
 */
import { afterEach, describe, expect, it } from "vitest";
import { rollbackApp } from "../src/deploy/rollback-app.js";
import { describeProgressive, findProgressiveCopies } from "../src/deploy/progressive/describe-progressive.js";
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
    expect(describeProgressive(APP, await h.marathon.getApp(APP), await findProgressiveCopies(APP, h.marathon))).toBeUndefined();
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

  it("a canary abort whose scale-back fails leaves the canary's record: mdeploy rollback scales the stable app back, it does not roll its version back", async () => {
    h = await startProgressiveHarness();
    await h.deploy(routedClickCount("0.9.0"), { environment: "production" });
    await h.deploy(routedClickCount("1.0.0"), { environment: "production" });
    const sim = h.sim;
    // Inside the simulator: step 1 scales the stable app down; from its next write on (the abort's scale-back) Marathon refuses writes to it.
    const refuseStableWrites = () => sim.faults.failNext(1_000_000, { method: "PUT", path: `/v2/apps${APP}`, status: 503, message: "Marathon is busy" });
    sim.faults.beforeNext({ method: "PUT", path: `/v2/apps${APP}` }, () => sim.faults.beforeNext({ method: "PUT", path: `/v2/apps${APP}` }, refuseStableWrites));
    const refused = "http://127.0.0.1:1/health";
    const outcome = await outcomeOf(h, canary(h, routedClickCount("1.1.0"), canarySettings({ windowSeconds: 30, httpProbe: { url: refused, expectStatus: 200 } }), { interruptGraceMs: 120_000, timeoutMs: 900_000 }));
    expect(outcome.code).toBe(5);
    expect(outcome.shown).toMatch(/to finish the job: mdeploy rollback production$/m);

    sim.faults.clear();
    // The named command, as src/commands/rollback.ts runs it: a copy in progress is undone, otherwise the ordinary rollback.
    const copy = await progressiveCopyOf(APP, h.marathon);
    if (copy) await undoProgressive({ environment: "production", appId: APP }, { marathon: h.marathon, clock: sim.clock, progress: h.progress });
    else await rollbackApp({ environment: "production", appId: APP, force: false }, { marathon: h.marathon, mesos: h.mesos, clock: sim.clock, progress: h.progress });
    expect(copy).toBe(CANARY);
    expect(imageOf(sim, APP)).toBe("registry.example.com/demo/click-count:1.0.0");
    expect(sim.state.healthyCount(APP)).toBe(4);
    expect(sim.state.app(CANARY)).toBeUndefined();
  });

  it("blue/green whose green copy cannot be removed at the end: exit 5 names mdeploy rollback, which removes green and keeps the new version", async () => {
    h = await startProgressiveHarness();
    await h.deploy(routedClickCount("1.0.0", 2), { environment: "production" });
    const sim = h.sim;
    // Inside the simulator: Marathon refuses to delete the green copy from the first try on.
    sim.faults.beforeNext({ method: "DELETE", path: `/v2/apps${GREEN}` }, () => sim.faults.failNext(1_000_000, { method: "DELETE", path: `/v2/apps${GREEN}`, status: 503, message: "Marathon is busy" }));
    const outcome = await outcomeOf(h, blueGreen(h, routedClickCount("1.1.0", 2), blueGreenSettings()));
    expect(outcome.code).toBe(5);
    expect(outcome.shown.match(/to finish the job: .+/g)).toEqual(["to finish the job: mdeploy rollback production (removes /production/click-count-green; /production/click-count keeps its version)"]);

    sim.faults.clear();
    const undone = await undoProgressive({ environment: "production", appId: APP }, { marathon: h.marathon, clock: sim.clock, progress: h.progress });
    expect(undone?.removed).toBe(GREEN);
    expect(h.printed()).toMatch(/click-count-green is left over after \/production\/click-count took the new version; removing it/);
    expect(sim.state.app(GREEN)).toBeUndefined();
    expect(imageOf(sim, APP)).toBe("registry.example.com/demo/click-count:1.1.0");
    expect(sharesNow(sim, PUBLIC_RULE)).toEqual({ [APP]: 100 });
  });
});
