/**
 * Hostile cases for issue #10 the first suites did not write: faults on the
 * rollback's own calls, signals on `mdeploy rollback`, restores to what already
 * runs, answers that cannot be read mid-follow. Every fault is injected from
 * inside the simulator (before a request, or on its clock after an event), and
 * each case asserts the exit code against the simulator's final state.
 */
import { afterEach, describe, expect, it } from "vitest";
import { rollbackApp, type RollbackAppDeps } from "../src/deploy/rollback-app.js";
import { ExitCode } from "../src/errors.js";
import { defaultCluster } from "../src/sim/index.js";
import { clickCount, expectRunning, interrupts, onFirst, outcomeOf, startHarness, type Harness } from "./deploy-harness.js";

const APP = "/staging/click-count";
const APP_PATH = `/v2/apps${APP}`;
let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

async function started(): Promise<Harness> {
  h = await startHarness();
  await h.deploy(clickCount("1.0.0"));
  return h;
}

function versionOf(harness: Harness): string {
  return (harness.sim.state.app(APP) as { version: string }).version;
}

function storedVersions(harness: Harness): string[] {
  return (harness.sim.apply({ method: "GET", path: `${APP_PATH}/versions` }).body as { versions: string[] }).versions;
}


function rollbackDeps(harness: Harness, extra: Partial<RollbackAppDeps> = {}): RollbackAppDeps {
  return { marathon: harness.marathon, mesos: harness.mesos, clock: harness.sim.clock, progress: harness.progress, ...extra };
}

function expectPersonGuide(shown: string): void {
  expect(shown).toMatch(/state now: app version \S+|runs: version \S+|state unknown/);
  expect(shown.match(/to finish the job: .+/g)?.length).toBe(1);
}

describe("faults on the rollback's own calls", () => {
  it("mdeploy rollback without MESOS_URL, its PUT applied then answered 502: read back as applied, one restore, exit 0", async () => {
    h = await startHarness();
    const harness = h;
    // Marathon's own rollback brings this strategy back with the version: one that frees room first.
    await harness.deploy(clickCount("1.0.0", "staging", { upgradeStrategy: { minimumHealthCapacity: 0, maximumOverCapacity: 0 } }), { strategy: "template" });
    const first = versionOf(harness);
    await harness.deploy(clickCount("1.1.0"));
    harness.sim.faults.answerAfterApplying(1, 502, { method: "PUT", path: APP_PATH });
    const before = storedVersions(harness).length;
    const { code, shown } = await outcomeOf(harness, rollbackApp({ environment: "staging", appId: APP, to: first, force: false }, rollbackDeps(harness, { mesos: undefined })));
    expect(code, shown).toBe(0);
    expect(shown).toMatch(/was applied/);
    expect(storedVersions(harness)).toHaveLength(before + 1);
    expectRunning(harness, "1.0.0");
  });

  it("the automatic rollback's PUT applied then answered 502: followed, previous back, exit 1", async () => {
    const harness = await started();
    harness.sim.faults.beforeNext({ method: "DELETE", path: "/v2/deployments" }, () => harness.sim.faults.answerAfterApplying(1, 502, { method: "PUT", path: APP_PATH }));
    const { code, shown } = await outcomeOf(harness, harness.deploy(clickCount("broken")));
    expect(code, shown).toBe(ExitCode.deploymentFailed);
    expect(shown).toMatch(/was applied/);
    expectRunning(harness, "1.0.0");
  });

  it("the cancel DELETE applied then answered 502: the cancel is seen done, previous back, exit 1", async () => {
    const harness = await started();
    harness.sim.faults.answerAfterApplying(1, 502, { method: "DELETE", path: "/v2/deployments" });
    const { code, shown } = await outcomeOf(harness, harness.deploy(clickCount("broken")));
    expect(code, shown).toBe(ExitCode.deploymentFailed);
    expectRunning(harness, "1.0.0");
  });

  it("401 from exactly the rollback on: exit 5 naming the state and one command, which finishes the job once credentials work", async () => {
    const harness = await started();
    const previous = versionOf(harness);
    harness.sim.faults.beforeNext({ method: "DELETE", path: "/v2/deployments" }, () => harness.sim.faults.failNext(10_000, { status: 401, message: "Unauthorized" }));
    const { code, shown } = await outcomeOf(harness, harness.deploy(clickCount("broken")));
    expect(code, shown).toBe(ExitCode.needsPerson);
    expectPersonGuide(shown);
    const command = /to finish the job: (.+)/.exec(shown)?.[1] ?? "";
    expect(command).toBe(`mdeploy rollback staging --to ${previous} --force`);
    harness.sim.faults.clear();
    await rollbackApp({ environment: "staging", appId: APP, to: previous, force: true }, rollbackDeps(harness));
    expectRunning(harness, "1.0.0");
  });

  it("another job's PUT lands between the rollback's read and its PUT: not restored over, exit 5 naming status", async () => {
    const harness = await started();
    // Armed at the cancel; the other job's PUT lands just before the rollback's own.
    harness.sim.faults.beforeNext({ method: "DELETE", path: "/v2/deployments" }, () =>
      harness.sim.faults.beforeNext({ method: "PUT", path: APP_PATH }, () => {
        harness.sim.apply({ method: "PUT", path: `${APP_PATH}?force=true`, body: clickCount("1.2.0") });
      }),
    );
    const { code, shown } = await outcomeOf(harness, harness.deploy(clickCount("broken")));
    expect(code, shown).toBe(ExitCode.needsPerson);
    expect(shown).toMatch(/to finish the job: mdeploy status staging/);
    const app = harness.sim.state.app(APP) as { container: { docker: { image: string } } };
    expect(app.container.docker.image).toMatch(/:1\.2\.0$/);
  });
});

describe("what a failed deploy restores", () => {
  it("the app's definition never ran (a cancelled broken deploy over 1.0.0's tasks): a failure restores 1.0.0, which served, exit 1", async () => {
    const harness = await started();
    const serving = versionOf(harness);
    const { deploymentId } = harness.sim.apply({ method: "PUT", path: APP_PATH, body: clickCount("broken", "staging", { upgradeStrategy: { minimumHealthCapacity: 1, maximumOverCapacity: 1 } }) }).body as { deploymentId: string };
    harness.sim.apply({ method: "DELETE", path: `/v2/deployments/${deploymentId}?force=true` });
    const { code, shown } = await outcomeOf(harness, harness.deploy(clickCount("crash")));
    expect(code, shown).toBe(ExitCode.deploymentFailed);
    expect(shown).toContain(`a failure restores ${serving}`);
    expectRunning(harness, "1.0.0");
  });
});

describe("mdeploy rollback", () => {
  for (const mesos of [true, false]) {
    it(`--to the version that runs, while its tasks are stale (a cancelled deployment's definition), ${mesos ? "with" : "without"} MESOS_URL: converges, exit 0`, async () => {
      const harness = await started();
      // A strategy that frees room first: the restart keeps the app's own strategy.
      const stale = clickCount("1.1.0", "staging", { upgradeStrategy: { minimumHealthCapacity: 0, maximumOverCapacity: 0 } });
      const { deploymentId } = harness.sim.apply({ method: "PUT", path: APP_PATH, body: stale }).body as { deploymentId: string };
      harness.sim.apply({ method: "DELETE", path: `/v2/deployments/${deploymentId}?force=true` });
      const current = versionOf(harness);
      const deps = mesos ? rollbackDeps(harness) : rollbackDeps(harness, { mesos: undefined });
      const { code, shown } = await outcomeOf(harness, rollbackApp({ environment: "staging", appId: APP, to: current, force: false }, deps));
      expect(code, shown).toBe(0);
      expectRunning(harness, "1.1.0");
    });
  }

  it("SIGTERM during the rollback: it finishes within the grace and says so, exit 0 with the version verified", async () => {
    const harness = await started();
    const first = versionOf(harness);
    await harness.deploy(clickCount("1.1.0"));
    const control = interrupts();
    onFirst(harness, "deployment_info", () => control.signal("SIGTERM"));
    const { code, shown } = await outcomeOf(harness, rollbackApp({ environment: "staging", appId: APP, to: first, force: false, interruptGraceMs: 600_000 }, rollbackDeps(harness, { interrupts: control.interrupts })));
    expect(code, shown).toBe(0);
    expectRunning(harness, "1.0.0");
  });

  it("SIGTERM twice during the rollback: exit 5 with the state and the command", async () => {
    const harness = await started();
    const first = versionOf(harness);
    await harness.deploy(clickCount("1.1.0"));
    const control = interrupts();
    onFirst(harness, "deployment_info", () => {
      control.signal("SIGTERM");
      control.signal("SIGTERM");
    });
    const { code, shown } = await outcomeOf(harness, rollbackApp({ environment: "staging", appId: APP, to: first, force: false }, rollbackDeps(harness, { interrupts: control.interrupts })));
    expect(code, shown).toBe(ExitCode.needsPerson);
    expectPersonGuide(shown);
    expect(shown).toMatch(/interrupted by SIGTERM/);
  });
});

describe("signals and time in deploy", () => {
  it("SIGTERM during the lock wait: nothing of ours was sent, exit 1 saying nothing changed, the other deployment untouched", async () => {
    const harness = await started();
    const other = harness.sim.apply({ method: "PUT", path: APP_PATH, body: clickCount("1.0.0", "staging", { instances: 2 }) }).body as { deploymentId: string };
    const control = interrupts();
    harness.sim.clock.schedule(5_000, () => control.signal("SIGTERM"));
    const { code, shown } = await outcomeOf(harness, harness.deployWith({ interrupts: control.interrupts }, clickCount("1.1.0")));
    expect(code, shown).toBe(ExitCode.deploymentFailed);
    expect(shown).toMatch(/interrupted by SIGTERM before anything was sent/);
    expect((harness.sim.state.app(APP) as { container: { docker: { image: string } } }).container.docker.image).toMatch(/:1\.0\.0$/);
    expect(storedVersions(harness).length).toBe(2);
    void other;
  });

  it("two signals at once while following: exit 5 naming the state and one command", async () => {
    const harness = await started();
    const control = interrupts();
    onFirst(harness, "deployment_info", () => {
      control.signal("SIGTERM");
      control.signal("SIGTERM");
    });
    const { code, shown } = await outcomeOf(harness, harness.deployWith({ interrupts: control.interrupts }, clickCount("slow")));
    expect(code, shown).toBe(ExitCode.needsPerson);
    expectPersonGuide(shown);
  });

  it("a first signal with minHealthy set: previous back and healthy, exit 1", async () => {
    const cluster = defaultCluster();
    cluster.agents = cluster.agents.map((a) => (a.hostname === "staging" ? { ...a, mem: 4096, cpus: 4 } : a));
    h = await startHarness({ cluster });
    await h.deploy(clickCount("1.0.0", "staging", { instances: 3 }));
    const control = interrupts();
    onFirst(h, "deployment_info", () => control.signal("SIGINT"));
    const { code, shown } = await outcomeOf(h, h.deployWith({ interrupts: control.interrupts }, clickCount("slow", "staging", { instances: 3 }), { minHealthy: 2, interruptGraceMs: 600_000 }));
    expect(shown).toMatch(/interrupted by SIGINT; cancelling deployment/);
    expect(code, shown).toBe(ExitCode.deploymentFailed);
    expectRunning(h, "1.0.0");
  });

  it("--timeout 1 s on a deploy that needs minutes: rolled back within the grace, exit 4", async () => {
    // Slower: the stop keeps 2 real seconds for an answer on its way, which at full speed is longer than the deploy.
    h = await startHarness({ speed: 50 });
    await h.deploy(clickCount("1.0.0"));
    const { code, shown } = await outcomeOf(h, h.deploy(clickCount("slow"), { timeoutMs: 1_000 }));
    expect(code, shown).toBe(ExitCode.timedOut);
    expect(shown).toMatch(/did not finish within 1 s; rolled back/);
    expectRunning(h, "1.0.0");
  });
});

describe("answers mid-follow", () => {
  it("/v2/deployments answers garbage while following: a gap, not a verdict; exit 0 verified", async () => {
    const harness = await started();
    onFirst(harness, "deployment_info", () => harness.sim.faults.answerAfterApplying(20, "not-json", { method: "GET", path: "/v2/deployments" }));
    const { code, shown } = await outcomeOf(harness, harness.deploy(clickCount("1.1.0")));
    expect(code, shown).toBe(0);
    expectRunning(harness, "1.1.0");
  });

  it("the app is deleted by someone mid-deploy: exit 5 saying so, not recreated, and the command it names (a deploy) finishes the job", async () => {
    const harness = await started();
    onFirst(harness, "deployment_info", () => harness.sim.apply({ method: "DELETE", path: `${APP_PATH}?force=true` }));
    const { code, shown } = await outcomeOf(harness, harness.deploy(clickCount("slow")));
    expect(code, shown).toBe(ExitCode.needsPerson);
    expect(shown).toMatch(/someone deleted \/staging\/click-count; mdeploy does not recreate it/);
    expect(shown).toMatch(/runs: nothing/);
    // Its versions went with it: "mdeploy rollback --to" could not work.
    expect(shown.match(/to finish the job: .+/g)).toEqual(["to finish the job: mdeploy deploy staging (only if the app should exist again)"]);
    expect(harness.sim.state.app(APP)).toBeUndefined();
    await harness.deploy(clickCount("slow"));
    expectRunning(harness, "slow");
  });

  it("the leader changes mid-follow: still verified, exit 0", async () => {
    const harness = await started();
    onFirst(harness, "deployment_info", () => harness.sim.faults.changeLeader());
    const { code, shown } = await outcomeOf(harness, harness.deploy(clickCount("1.1.0")));
    expect(code, shown).toBe(0);
    expectRunning(harness, "1.1.0");
  });
});
