/**
 * Blue/green deploys against the simulator: a complete green copy behind the
 * preview Host, the switch of the public rule, the keep window with its
 * rollback, and the refusal when the cluster has no room for two copies.
 */
import { afterEach, describe, expect, it } from "vitest";
import { ExitCode } from "../src/errors.js";
import type { ProgressiveResult } from "../src/deploy/progressive/canary.js";
import { undoProgressive, type ProgressiveUndoResult } from "../src/deploy/progressive/undo-progressive.js";
import { describeProgressive, findProgressiveCopies } from "../src/deploy/progressive/describe-progressive.js";
import { interrupts, outcomeOf, type Harness } from "./deploy-harness.js";
import { APP, GREEN, blueGreen, blueGreenSettings, imageOf, momentsWithoutBackend, PREVIEW_RULE, PUBLIC_RULE, roomyCluster, routedClickCount, sharesNow, startProgressiveHarness, watchedProgress } from "./progressive-harness.js";

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** Labels of an app as the simulator has them now. */
function labelsOf(appId: string): Record<string, string> {
  return ((h?.sim.state.app(appId) as { labels?: Record<string, string> } | undefined)?.labels ?? {});
}

describe("blue/green", () => {
  it("switches to a verified green copy, keeps blue for the window, then the app id runs the new version alone", async () => {
    h = await startProgressiveHarness();
    await h.deploy(routedClickCount("1.0.0", 2), { environment: "production" });
    const harness = h;
    // The routing table at the moments the deploy names: before the gate, and right after the switch.
    const seen: Record<string, Record<string, Record<string, number>>> = {};
    const progress = watchedProgress(h, (text) => {
      if (text.endsWith("; gate:")) seen.preview = { public: sharesNow(harness.sim, PUBLIC_RULE), preview: sharesNow(harness.sim, PREVIEW_RULE) };
      if (text.includes("switched:")) seen.switched = { public: sharesNow(harness.sim, PUBLIC_RULE), preview: sharesNow(harness.sim, PREVIEW_RULE) };
    });
    const result = (await blueGreen(h, routedClickCount("1.1.0", 2), blueGreenSettings(), {}, { progress })) as ProgressiveResult;

    expect(seen).toEqual({ preview: { public: { [APP]: 100 }, preview: { [GREEN]: 100 } }, switched: { public: { [GREEN]: 100 }, preview: {} } });
    expect(sharesNow(h.sim, PUBLIC_RULE)).toEqual({ [APP]: 100 });
    expect(momentsWithoutBackend(h.sim, PUBLIC_RULE)).toEqual([]);

    expect(result.progressive.strategy).toBe("blue-green");
    expect(imageOf(h.sim, APP)).toBe("registry.example.com/demo/click-count:1.1.0");
    expect(labelsOf(APP)["traefik.enable"]).toBe("true");
    expect(labelsOf(APP)["traefik.http.routers.click-count.rule"]).toBe("Host(`click-count.example.com`)");
    expect(h.sim.state.app(GREEN)).toBeUndefined();
    expect(h.sim.state.healthyCount(APP)).toBe(2);
    const shown = h.printed();
    expect(shown).toMatch(/start \/production\/click-count-green \(2 instances\) on Host preview\.click-count\.example\.com/);
    expect(shown).toMatch(/switched: \/production\/click-count-green serves \/production\/click-count's public rule; \/production\/click-count is on standby/);
    expect(shown).toMatch(/room for a second copy/);
  });

  it("mdeploy rollback within the keep window puts blue back in front and removes green; the deploy exits 1", async () => {
    h = await startProgressiveHarness();
    await h.deploy(routedClickCount("1.0.0", 2), { environment: "production" });
    const harness = h;
    let rollback: Promise<ProgressiveUndoResult | undefined> | undefined;
    // Status, then the rollback, start the moment the deploy says it switched: from inside the run, not on a timer.
    const progress = watchedProgress(h, (text) => {
      if (rollback || !text.includes("switched:")) return;
      rollback = (async () => {
        const blue = await harness.marathon.getApp(APP);
        const status = describeProgressive(APP, blue, await findProgressiveCopies(APP, harness.marathon));
        expect(status?.status).toMatchObject({ strategy: "blue-green", greenId: GREEN, phase: "live", green: { healthy: 2, total: 2 } });
        expect(status?.lines.join("\n")).toMatch(/serves the public rule; \/production\/click-count is on standby until /);
        return undoProgressive({ environment: "production", appId: APP }, { marathon: harness.marathon, clock: harness.sim.clock, progress: harness.progress });
      })();
    });
    const outcome = await outcomeOf(h, blueGreen(h, routedClickCount("1.1.0", 2), blueGreenSettings({ keepSeconds: 3600 }), {}, { progress }));
    const undone = await rollback;

    expect(outcome.code).toBe(ExitCode.deploymentFailed);
    expect(outcome.shown).toMatch(/switched back during the keep window/);
    expect(undone?.removed).toBe(GREEN);
    expect(h.sim.state.app(GREEN)).toBeUndefined();
    expect(imageOf(h.sim, APP)).toBe("registry.example.com/demo/click-count:1.0.0");
    expect(labelsOf(APP)["traefik.enable"]).toBe("true");
    expect(labelsOf(APP).MDEPLOY_BLUE_GREEN).toBeUndefined();
    expect(h.sim.state.healthyCount(APP)).toBe(2);
    expect(sharesNow(h.sim, PUBLIC_RULE)).toEqual({ [APP]: 100 });
    expect(momentsWithoutBackend(h.sim, PUBLIC_RULE)).toEqual([]);
  });

  it("refused with exit 3 and nothing written when the cluster has no room for a second copy", async () => {
    h = await startProgressiveHarness(roomyCluster(1));
    await h.deploy(routedClickCount("1.0.0", 2), { environment: "production" });
    const before = JSON.stringify(h.sim.state.apps().map((a) => [a.id, a.version]));
    const events = h.sim.state.events().length;
    const outcome = await outcomeOf(h, blueGreen(h, routedClickCount("1.1.0", 2), blueGreenSettings()));

    expect(outcome.code).toBe(ExitCode.refused);
    expect(outcome.shown).toMatch(/no room for a second copy of \/production\/click-count: .*nothing was sent to Marathon/s);
    expect(h.sim.state.app(GREEN)).toBeUndefined();
    expect(JSON.stringify(h.sim.state.apps().map((a) => [a.id, a.version]))).toBe(before);
    expect(h.sim.state.events().slice(events).map((e) => e.eventType)).not.toContain("api_post_event");
    expect(h.sim.state.deployments()).toEqual([]);
    expect(imageOf(h.sim, APP)).toBe("registry.example.com/demo/click-count:1.0.0");
  });

  it("SIGTERM during green's gate with --on-interrupt leave: green left on its preview Host, exit 5 names mdeploy rollback, which removes it", async () => {
    h = await startProgressiveHarness();
    await h.deploy(routedClickCount("1.0.0", 2), { environment: "production" });
    const signals = interrupts();
    const progress = watchedProgress(h, (text) => {
      if (text.endsWith("; gate:")) signals.signal("SIGTERM");
    });
    const outcome = await outcomeOf(h, blueGreen(h, routedClickCount("1.1.0", 2), blueGreenSettings(), { onInterrupt: "leave" }, { progress, interrupts: signals.interrupts }));

    expect(outcome.code).toBe(ExitCode.needsPerson);
    expect(outcome.shown).toMatch(/aborted: stopped during the gate: interrupted by SIGTERM; left as it is \(--on-interrupt leave\): \/production\/click-count serves, \/production\/click-count-green only its preview Host/);
    expect(outcome.shown).toMatch(/to finish the job: mdeploy rollback production \(removes \/production\/click-count-green\)$/m);
    expect(h.sim.state.healthyCount(GREEN)).toBe(2);
    expect(sharesNow(h.sim, PUBLIC_RULE)).toEqual({ [APP]: 100 });
    expect(sharesNow(h.sim, PREVIEW_RULE)).toEqual({ [GREEN]: 100 });

    const undone = await undoProgressive({ environment: "production", appId: APP }, { marathon: h.marathon, clock: h.sim.clock, progress: h.progress });
    expect(undone?.undid).toBe("blue-green");
    expect(h.sim.state.app(GREEN)).toBeUndefined();
    expect(sharesNow(h.sim, PUBLIC_RULE)).toEqual({ [APP]: 100 });
  });

  it("SIGTERM during green's gate: green removed, blue served throughout and untouched, exit 1", async () => {
    h = await startProgressiveHarness();
    await h.deploy(routedClickCount("1.0.0", 2), { environment: "production" });
    const configSince = (h.sim.state.app(APP) as { versionInfo: { lastConfigChangeAt: string } }).versionInfo.lastConfigChangeAt;
    const since = h.sim.clock.now();
    const signals = interrupts();
    const progress = watchedProgress(h, (text) => {
      if (text.endsWith("; gate:")) signals.signal("SIGTERM");
    });
    const outcome = await outcomeOf(h, blueGreen(h, routedClickCount("1.1.0", 2), blueGreenSettings(), { interruptGraceMs: 1_800_000 }, { progress, interrupts: signals.interrupts }));

    expect(outcome.code).toBe(ExitCode.deploymentFailed);
    expect(outcome.shown).toMatch(/blue\/green of \/production\/click-count aborted: stopped during the gate: interrupted by SIGTERM; \/production\/click-count-green removed; \/production\/click-count kept serving throughout/);
    expect(h.sim.state.app(GREEN)).toBeUndefined();
    expect((h.sim.state.app(APP) as { versionInfo: { lastConfigChangeAt: string } }).versionInfo.lastConfigChangeAt).toBe(configSince);
    expect(sharesNow(h.sim, PUBLIC_RULE)).toEqual({ [APP]: 100 });
    expect(momentsWithoutBackend(h.sim, PUBLIC_RULE, since)).toEqual([]);
  });
});
