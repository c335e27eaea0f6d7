/**
 * Canary deploys against the simulator: the new version beside the stable one
 * in the same Traefik service, moved in steps with a gate between them,
 * promoted at the end or aborted with the stable app back.
 */
import { afterEach, describe, expect, it } from "vitest";
import { undoProgressive } from "../src/deploy/progressive/undo-progressive.js";
import { ExitCode } from "../src/errors.js";
import type { ProgressiveResult } from "../src/deploy/progressive/canary.js";
import { interrupts, outcomeOf, type Harness } from "./deploy-harness.js";
import { startFakeServer, type FakeServer } from "./helpers/fake-server.js";
import { APP, CANARY, canary, canarySettings, healthyOverTime, imageOf, momentsWithoutBackend, PUBLIC_RULE, routedClickCount, roomyCluster, sharesNow, startProgressiveHarness, watchedProgress } from "./progressive-harness.js";

let h: Harness | undefined;
/** The fake Prometheus or probe target of the test, closed after it. */
let endpoint: FakeServer | undefined;
afterEach(async () => {
  await h?.close();
  await endpoint?.close();
  h = undefined;
  endpoint = undefined;
});

/** A Prometheus that answers the instant query with these values, one per call, as a one-sample vector. */
function fakePrometheus(values: number[]): Promise<FakeServer> {
  let call = 0;
  return startFakeServer([
    {
      method: "GET",
      path: "/api/v1/query",
      times: values.length,
      reply: () => ({ body: { status: "success", data: { resultType: "vector", result: [{ metric: { service: "click-count@marathon" }, value: [1767225600, String(values[call++])] }] } } }),
    },
  ]);
}

/** The stable app as it was: its configuration, all its instances healthy, the old image, no canary. */
function expectStableBack(harness: Harness, configSince: string): void {
  const after = harness.sim.state.app(APP) as { instances: number; versionInfo: { lastConfigChangeAt: string } };
  expect(after.instances).toBe(4);
  expect(after.versionInfo.lastConfigChangeAt).toBe(configSince);
  expect(imageOf(harness.sim, APP)).toBe("registry.example.com/demo/click-count:1.0.0");
  expect(harness.sim.state.healthyCount(APP)).toBe(4);
  expect(harness.sim.state.app(CANARY)).toBeUndefined();
  expect(harness.sim.state.deployments()).toEqual([]);
  // Only the stable version serves the public rule, and it never went without a healthy backend.
  expect(sharesNow(harness.sim, PUBLIC_RULE)).toEqual({ [APP]: 100 });
  expect(momentsWithoutBackend(harness.sim, PUBLIC_RULE)).toEqual([]);
}

describe("canary", () => {
  it("a good canary goes through every step, the stable app gets the new version, the canary is removed", async () => {
    h = await startProgressiveHarness();
    await h.deploy(routedClickCount("1.0.0"), { environment: "production" });
    const since = h.sim.clock.now();
    const harness = h;
    // The public rule's traffic at each gate, from the simulator's Traefik model.
    const atGates: Record<string, number>[] = [];
    const progress = watchedProgress(h, (text) => {
      if (/^ {2}step \d+: .*gate:$/.test(text)) atGates.push(sharesNow(harness.sim, PUBLIC_RULE));
    });
    const result = (await canary(h, routedClickCount("1.1.0"), canarySettings(), {}, { progress })) as ProgressiveResult;

    expect(atGates).toEqual([
      { [APP]: 75, [CANARY]: 25 },
      { [APP]: 50, [CANARY]: 50 },
    ]);
    expect(sharesNow(h.sim, PUBLIC_RULE)).toEqual({ [APP]: 100 });
    expect(h.sim.traffic.routing().routes.find((r) => r.rule === PUBLIC_RULE)?.servers.every((s) => s.version === (h?.sim.state.app(APP) as { version: string }).version)).toBe(true);
    expect(momentsWithoutBackend(h.sim, PUBLIC_RULE, since)).toEqual([]);

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

  it("a Prometheus gate over its threshold at step 2: aborted, canary removed, stable back, exit 1", async () => {
    h = await startProgressiveHarness();
    endpoint = await fakePrometheus([0.001, 0.5]);
    await h.deploy(routedClickCount("1.0.0"), { environment: "production" });
    const configSince = (h.sim.state.app(APP) as { versionInfo: { lastConfigChangeAt: string } }).versionInfo.lastConfigChangeAt;
    const query = 'sum(rate(traefik_service_requests_total{service="click-count@marathon",code=~"5.."}[1m]))';
    const settings = canarySettings({ steps: [25, 50, 75, 100], prometheus: { url: endpoint.url, query, max: 0.01 } });
    const outcome = await outcomeOf(h, canary(h, routedClickCount("1.1.0"), settings));

    expect(outcome.code).toBe(ExitCode.deploymentFailed);
    expect(outcome.shown).toMatch(/pass: Prometheus .* <= 0\.01: value 0\.001/);
    expect(outcome.shown).toMatch(/aborted at step 2: gate failed: Prometheus .* <= 0\.01: value 0\.5 is above 0\.01/);
    expect(endpoint.requests.map((r) => r.url.searchParams.get("query"))).toEqual([query, query]);
    expect(endpoint.unexpected).toEqual([]);
    expectStableBack(h, configSince);
  });

  it("a Prometheus that cannot be reached fails the gate by name at step 1", async () => {
    h = await startProgressiveHarness();
    const closed = await fakePrometheus([]);
    const url = closed.url;
    await closed.close();
    await h.deploy(routedClickCount("1.0.0"), { environment: "production" });
    const configSince = (h.sim.state.app(APP) as { versionInfo: { lastConfigChangeAt: string } }).versionInfo.lastConfigChangeAt;
    const outcome = await outcomeOf(h, canary(h, routedClickCount("1.1.0"), canarySettings({ prometheus: { url, query: "up", max: 1 } })));

    expect(outcome.code).toBe(ExitCode.deploymentFailed);
    expect(outcome.shown).toContain(`aborted at step 1: gate failed: Prometheus up <= 1: Prometheus at ${url}: unreachable`);
    expectStableBack(h, configSince);
  });

  it("a canary task that turns unhealthy inside the window fails the health gate: aborted, stable back, exit 1", async () => {
    h = await startProgressiveHarness();
    await h.deploy(routedClickCount("1.0.0"), { environment: "production" });
    const configSince = (h.sim.state.app(APP) as { versionInfo: { lastConfigChangeAt: string } }).versionInfo.lastConfigChangeAt;
    const outcome = await outcomeOf(h, canary(h, routedClickCount("leaky"), canarySettings({ windowSeconds: 900 })));

    expect(outcome.code).toBe(ExitCode.deploymentFailed);
    // Seen while failing its checks, or after Marathon replaced it for them: the machine's speed decides which.
    expect(outcome.shown.split("\n").find((line) => line.includes("aborted at"))).toMatch(/aborted at step 1: gate failed: health window 900 s: (0\/1 tasks of \/production\/click-count-canary healthy \(not healthy: .*500 leak|a task of \/production\/click-count-canary was replaced during the window)/);
    expectStableBack(h, configSince);
  });

  it("SIGTERM during step 2's gate: canary removed, stable back and verified within the grace, exit 1; the public service never empty", async () => {
    h = await startProgressiveHarness();
    await h.deploy(routedClickCount("1.0.0"), { environment: "production" });
    const configSince = (h.sim.state.app(APP) as { versionInfo: { lastConfigChangeAt: string } }).versionInfo.lastConfigChangeAt;
    const since = h.sim.clock.now();
    const signals = interrupts();
    const progress = watchedProgress(h, (text) => {
      if (text.includes("step 2: ") && text.endsWith("gate:")) signals.signal("SIGTERM");
    });
    const outcome = await outcomeOf(h, canary(h, routedClickCount("1.1.0"), canarySettings(), { interruptGraceMs: 1_800_000 }, { progress, interrupts: signals.interrupts }));
    expect(outcome.code).toBe(ExitCode.deploymentFailed);
    expect(outcome.shown).toMatch(/canary of \/production\/click-count aborted at step 2: stopped during the gate: interrupted by SIGTERM; \/production\/click-count-canary removed; \/production\/click-count back at 4 instances/);
    expectStableBack(h, configSince);
    const moments = healthyOverTime(h.sim, [APP, CANARY], since);
    expect(Math.min(...moments.map((m) => (m.healthy[APP] ?? 0) + (m.healthy[CANARY] ?? 0)))).toBeGreaterThan(0);
  });

  it("SIGTERM with --on-interrupt leave: canary and stable left at step 2, exit 5 names mdeploy rollback, which then puts the stable app back", async () => {
    h = await startProgressiveHarness();
    await h.deploy(routedClickCount("1.0.0"), { environment: "production" });
    const configSince = (h.sim.state.app(APP) as { versionInfo: { lastConfigChangeAt: string } }).versionInfo.lastConfigChangeAt;
    const signals = interrupts();
    const progress = watchedProgress(h, (text) => {
      if (text.includes("step 2: ") && text.endsWith("gate:")) signals.signal("SIGTERM");
    });
    const outcome = await outcomeOf(h, canary(h, routedClickCount("1.1.0"), canarySettings(), { onInterrupt: "leave" }, { progress, interrupts: signals.interrupts }));

    expect(outcome.code).toBe(ExitCode.needsPerson);
    expect(outcome.shown).toMatch(/on SIGINT\/SIGTERM: leave the canary as it is \(exit 5\)/);
    expect(outcome.shown).toMatch(/canary of \/production\/click-count aborted at step 2: stopped during the gate: interrupted by SIGTERM; left as it is \(--on-interrupt leave\)/);
    expect(outcome.shown).toMatch(/to finish the job: mdeploy rollback production \(removes \/production\/click-count-canary, scales \/production\/click-count back to 4\)$/m);
    // Left exactly at step 2 (50 %): nothing was removed or scaled after the signal.
    expect(h.sim.state.healthyCount(CANARY)).toBe(2);
    expect(h.sim.state.healthyCount(APP)).toBe(2);

    const undone = await undoProgressive({ environment: "production", appId: APP }, { marathon: h.marathon, clock: h.sim.clock, progress: h.progress });
    expect(undone?.undid).toBe("canary");
    expectStableBack(h, configSince);
  });

  it("an HTTP probe answering 503 fails the gate at step 1: aborted, stable back, exit 1", async () => {
    h = await startProgressiveHarness();
    endpoint = await startFakeServer([{ method: "GET", path: "/health", reply: () => ({ status: 503, body: "starting" }) }]);
    await h.deploy(routedClickCount("1.0.0"), { environment: "production" });
    const configSince = (h.sim.state.app(APP) as { versionInfo: { lastConfigChangeAt: string } }).versionInfo.lastConfigChangeAt;
    const url = `${endpoint.url}/health`;
    const outcome = await outcomeOf(h, canary(h, routedClickCount("1.1.0"), canarySettings({ httpProbe: { url, expectStatus: 200 } })));

    expect(outcome.code).toBe(ExitCode.deploymentFailed);
    expect(outcome.shown).toContain(`aborted at step 1: gate failed: GET ${url}: answered 503, expected 200`);
    expect(endpoint.requests).toHaveLength(1);
    expectStableBack(h, configSince);
  });

  it("refused with exit 3, nothing written, when the cluster has no room for the first step's canary", async () => {
    // One agent that the four stable instances fill.
    h = await startProgressiveHarness(roomyCluster(1, 1200));
    await h.deploy(routedClickCount("1.0.0"), { environment: "production" });
    const before = JSON.stringify(h.sim.state.apps().map((a) => [a.id, a.version]));
    const outcome = await outcomeOf(h, canary(h, routedClickCount("1.1.0"), canarySettings()));

    expect(outcome.code).toBe(ExitCode.refused);
    expect(outcome.shown).toMatch(/refused before any change: no room for the biggest step \(1 instance of \/production\/click-count-canary beside \/production\/click-count\): .*nothing was sent/);
    expect(JSON.stringify(h.sim.state.apps().map((a) => [a.id, a.version]))).toBe(before);
    expect(h.sim.state.deployments()).toEqual([]);
  });

  it("the steps are shares of the instances that run; the promoted version gets the instances its definition asks for", async () => {
    h = await startProgressiveHarness(roomyCluster(2, 1536));
    await h.deploy(routedClickCount("1.0.0", 4), { environment: "production" });
    const result = (await canary(h, routedClickCount("1.1.0", 6), canarySettings({ windowSeconds: 10 }))) as ProgressiveResult;

    if (result.progressive.strategy !== "canary") throw new Error("not a canary");
    expect(result.progressive.steps.map((s) => [s.step.canary, s.step.stable])).toEqual([
      [1, 3],
      [2, 2],
    ]);
    expect((h.sim.state.app(APP) as { instances: number }).instances).toBe(6);
    expect(h.sim.state.healthyCount(APP)).toBe(6);
    expect(h.sim.state.app(CANARY)).toBeUndefined();
  });
});
