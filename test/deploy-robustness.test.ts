/**
 * Every way out of a deploy or rollback is verified success, the previous version
 * back and verified (1/4), or exit 5 naming what runs, what is open and one command
 * that finishes the job. Each case injects its fault from inside the simulator (a
 * hook before a request, or right after an event on the simulator's clock), so no
 * case races the deployment it disturbs.
 */
import { afterEach, describe, expect, it } from "vitest";
import { rollbackApp } from "../src/deploy/rollback-app.js";
import { ExitCode } from "../src/errors.js";
import type { AnswerAfterApplying } from "../src/sim/index.js";
import { clickCount, expectRunning, interrupts, onFirst, outcomeOf, startHarness, type Harness } from "./deploy-harness.js";

const APP = "/staging/click-count";
/** Simulated seconds per real second where two writers meet (see `started`). */
const RACE_SPEED = 200;
const APP_PATH = `/v2/apps${APP}`;
let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/**
 * A simulator with click-count 1.0.0 running. Cases where two writers meet run at a
 * lower speed: at 2000x a 50 ms hiccup of this machine is more than a minute of
 * cluster time, longer than a whole deployment, which no real cluster shows.
 */
async function started(speed?: number): Promise<Harness> {
  h = await startHarness(speed ? { speed } : {});
  await h.deploy(clickCount("1.0.0"));
  return h;
}

/** Versions Marathon stored for the app (one per PUT it applied). */
function storedVersions(harness: Harness): string[] {
  return (harness.sim.apply({ method: "GET", path: `${APP_PATH}/versions` }).body as { versions: string[] }).versions;
}

function imageOf(harness: Harness): string {
  return (harness.sim.state.app(APP) as { container: { docker: { image: string } } }).container.docker.image;
}


/** An exit 5 message names what runs, the open deployment and one command that finishes the job. */
function expectPersonGuide(shown: string, deploymentId?: string): void {
  expect(shown).toMatch(/state now: app version \S+|runs: version \S+|state unknown/);
  if (deploymentId) expect(shown).toContain(deploymentId);
  expect(shown.match(/to finish the job: .+/g)?.length).toBe(1);
}

describe("answers to the PUT that may have applied", () => {
  const answers: AnswerAfterApplying[] = [502, 503, 504, "empty", "cut", "not-json", "reset"];
  for (const answer of answers) {
    it(`applied, then answered ${answer}: read back, followed, exit 0, one PUT`, async () => {
      const harness = await started();
      harness.sim.faults.answerAfterApplying(1, answer, { method: "PUT", path: APP_PATH });
      const { code, shown } = await outcomeOf(harness, harness.deploy(clickCount("1.1.0")));
      expect(code, shown).toBe(0);
      expect(shown).toMatch(/may have been applied: reading \/staging\/click-count back/);
      expect(shown).toMatch(/the PUT was applied \(version \S+, deployment \S+\)/);
      expect(storedVersions(harness)).toHaveLength(2);
      expectRunning(harness, "1.1.0");
    });
  }

  it("503 (no leader) without applying: read back shows nothing, sent again, exit 0", async () => {
    const harness = await started();
    harness.sim.faults.failNext(1, { method: "PUT", path: APP_PATH, status: 503, message: "Leader not available" });
    const { code, shown } = await outcomeOf(harness, harness.deploy(clickCount("1.1.0")));
    expect(code, shown).toBe(0);
    expect(shown).toMatch(/nothing was applied; sending it again/);
    expect(storedVersions(harness)).toHaveLength(2);
    expectRunning(harness, "1.1.0");
  });

  it("the rollback's PUT answered 503 once: read back, sent again, previous version back, exit 1", async () => {
    const harness = await started();
    // Armed when mdeploy cancels its failed deployment: the next PUT is the rollback's.
    harness.sim.faults.beforeNext({ method: "DELETE", path: "/v2/deployments" }, () => harness.sim.faults.failNext(1, { method: "PUT", path: APP_PATH, status: 503 }));
    const { code, shown } = await outcomeOf(harness, harness.deploy(clickCount("broken")));
    expect(code, shown).toBe(ExitCode.deploymentFailed);
    expect(shown).toMatch(/503 Service Unavailable.*may have been applied/);
    expect(shown).toMatch(/previous version .* is back .*1\/1 healthy/);
    expectRunning(harness, "1.0.0");
  });
});

describe("credentials lost after the PUT", () => {
  it("401 for everything after the PUT: exit 5 (not 6) naming the open deployment and the command; that command works once credentials do", async () => {
    const harness = await started();
    const previous = (harness.sim.state.app(APP) as { version: string }).version;
    onFirst(harness, "deployment_info", () => harness.sim.faults.failNext(10_000, { status: 401, message: "Unauthorized" }));
    const { code, shown } = await outcomeOf(harness, harness.deploy(clickCount("slow")));
    expect(code, shown).toBe(ExitCode.needsPerson);
    const deploymentId = /deployment (\S+) started/.exec(shown)?.[1];
    expectPersonGuide(shown, deploymentId);
    expect(shown).toContain(`to finish the job: mdeploy rollback staging --to ${previous} --force`);
    // The command it names finishes the job once Marathon takes the credentials again.
    harness.sim.faults.clear();
    await rollbackApp({ environment: "staging", appId: APP, to: previous, force: true }, { marathon: harness.marathon, mesos: harness.mesos, clock: harness.sim.clock, progress: harness.progress });
    expectRunning(harness, "1.0.0");
  });

  it("401 on one read while following, credentials fine again for the rollback: rolled back, exit 1", async () => {
    const harness = await started();
    // The follower reads the app itself at exactly this path (versions and the like are elsewhere).
    onFirst(harness, "deployment_info", () => harness.sim.faults.failNext(1, { status: 401, method: "GET", path: new RegExp(`^${APP_PATH}$`) }));
    const { code, shown } = await outcomeOf(harness, harness.deploy(clickCount("slow")));
    expect(code, shown).toBe(ExitCode.deploymentFailed);
    expect(shown).toMatch(/stopped accepting our credentials/);
    expectRunning(harness, "1.0.0");
  });
});

describe("concurrent jobs", () => {
  it("another job's PUT lands just before ours (a real 409): ours waits, plans again, and restores the other job's version, not the one before it", async () => {
    const harness = await started(RACE_SPEED);
    harness.sim.faults.beforeNext({ method: "PUT", path: APP_PATH }, () => {
      harness.sim.apply({ method: "PUT", path: APP_PATH, body: clickCount("1.1.0", "staging", { upgradeStrategy: { minimumHealthCapacity: 0, maximumOverCapacity: 1 } }) });
    });
    const { code, shown } = await outcomeOf(harness, harness.deploy(clickCount("broken")));
    expect(code, shown).toBe(ExitCode.deploymentFailed);
    expect(shown).toMatch(/is locked by deployment \S+; waiting up to 600 s/);
    expect(shown).toMatch(/planned again against version/);
    expectRunning(harness, "1.1.0");
  });

  it("the next PUT answered 409 by the simulator: the 409 branch waits, plans again and deploys, exit 0", async () => {
    const harness = await started();
    harness.sim.faults.failNext(1, { method: "PUT", path: APP_PATH, status: 409 });
    const { code, shown } = await outcomeOf(harness, harness.deploy(clickCount("1.1.0")));
    expect(code, shown).toBe(0);
    expect(shown).toMatch(/is locked by deployment \(unknown\)/);
    expectRunning(harness, "1.1.0");
  });

  it("--force names the deployment it cancels", async () => {
    const harness = await started();
    const stuck = harness.sim.apply({ method: "PUT", path: APP_PATH, body: clickCount("1.0.0", "staging", { instances: 2 }) }).body as { deploymentId: string };
    const { code, shown } = await outcomeOf(harness, harness.deploy(clickCount("1.1.0"), { force: true }));
    expect(code, shown).toBe(0);
    expect(shown).toContain(`--force: cancelling deployment ${stuck.deploymentId}`);
    expectRunning(harness, "1.1.0");
  });

  it("a 401 while waiting for another job's deployment is a 401 (exit 6, nothing changed), not \"stayed locked\"", async () => {
    const harness = await started();
    harness.sim.apply({ method: "PUT", path: APP_PATH, body: clickCount("1.0.0", "staging", { instances: 2 }) });
    // The first look at /v2/deployments is answered; the waits after it meet rotated credentials.
    harness.sim.faults.beforeNext({ method: "GET", path: "/v2/deployments" }, () => harness.sim.faults.failNext(1, { status: 401, path: "/v2/deployments" }));
    const { code, shown } = await outcomeOf(harness, harness.deploy(clickCount("1.1.0"), { lockTimeoutMs: 60_000 }));
    expect(code, shown).toBe(ExitCode.unreachable);
    expect(shown).toMatch(/401/);
    expect(shown).not.toMatch(/stayed locked/);
    expect(imageOf(harness)).toMatch(/:1\.0\.0$/);
  });

  for (let round = 0; round < 5; round++) {
    it(`two jobs racing, one good and one broken (round ${round + 1}): the good one's version runs at the end`, { timeout: 60_000 }, async () => {
      const harness = await started(RACE_SPEED);
      // CI jobs wait for each other far longer than one broken deploy and its rollback take.
      const job = (tag: string) => harness.deploy(clickCount(tag), { lockTimeoutMs: 3_600_000 });
      const jobs = round % 2 === 0 ? [job("1.1.0"), job("broken")] : [job("broken"), job("1.1.0")];
      const [first, second] = await Promise.allSettled(jobs);
      const good = round % 2 === 0 ? first : second;
      expect(good?.status, String((good as PromiseRejectedResult | undefined)?.reason)).toBe("fulfilled");
      expectRunning(harness, "1.1.0");
    });
  }
});

describe("restores that change nothing", () => {
  it("a redeploy of the definition a cancelled deployment left (no tasks of it run): the app is restarted, exit 0", async () => {
    const harness = await started();
    const stale = clickCount("1.1.0", "staging", { upgradeStrategy: { minimumHealthCapacity: 0, maximumOverCapacity: 1 } });
    const { deploymentId } = harness.sim.apply({ method: "PUT", path: APP_PATH, body: stale }).body as { deploymentId: string };
    harness.sim.apply({ method: "DELETE", path: `/v2/deployments/${deploymentId}?force=true` });
    // The cancelled step had begun killing the old task: on the simulator's clock, not a race with it, that kill
    // completes, so the app is left with the new definition and no task at all (a loaded machine otherwise slowed
    // simulated time enough for mdeploy to meet the old task still killing).
    const emptied = await harness.sim.clock.runUntil(() => (((harness.sim.state.app(APP) as { tasks?: unknown[] } | undefined)?.tasks ?? []).length === 0), { maxMs: 60_000 });
    expect(emptied).toBe(true);
    const { code, shown } = await outcomeOf(harness, harness.deployWith({ mesos: undefined }, stale));
    expect(code, shown).toBe(0);
    expect(shown).toMatch(/the definition is unchanged but the app does not run it .*mdeploy restarts the app/);
    expectRunning(harness, "1.1.0");
  });

  it("without MESOS_URL the automatic rollback frees room first instead of reusing the strategy that got stuck: exit 4, previous back", async () => {
    h = await startHarness();
    const stuckStrategy = { upgradeStrategy: { minimumHealthCapacity: 1, maximumOverCapacity: 1 } };
    await h.deployWith({ mesos: undefined }, clickCount("1.0.0", "staging", stuckStrategy));
    const { code, shown } = await outcomeOf(h, h.deployWith({ mesos: undefined }, clickCount("1.1.0", "staging", stuckStrategy), { timeoutMs: 300_000 }));
    expect(code, shown).toBe(ExitCode.timedOut);
    expect(shown).toMatch(/capacity not checked \(no MESOS_URL\): restoring with minimumHealthCapacity 0, maximumOverCapacity 0/);
    expectRunning(h, "1.0.0");
  });
});

describe("time and signals", () => {
  it("Marathon stalls every read after the PUT: the command ends within --timeout plus its grace, exit 5 with the state known and the command", async () => {
    const harness = await started();
    // Longer than the client's 5 s request timeout: every read (and its retries) would hang.
    onFirst(harness, "deployment_info", () => harness.sim.faults.latency(8_000, { method: "GET" }));
    const began = performance.now();
    const { code, shown } = await outcomeOf(harness, harness.deploy(clickCount("slow"), { timeoutMs: 60_000 }));
    const realSeconds = (performance.now() - began) / 1000;
    harness.sim.faults.clear();
    expect(code, shown).toBe(ExitCode.needsPerson);
    expectPersonGuide(shown, /deployment (\S+) started/.exec(shown)?.[1]);
    // Unbounded, the follow alone would retry each stalled read for ~25 s and the rollback would do it again.
    expect(realSeconds).toBeLessThan(20);
  }, 40_000);

  it("first signal while following: cancels, restores the previous version, exit 1 saying so", async () => {
    const harness = await started();
    const control = interrupts();
    onFirst(harness, "deployment_info", () => control.signal("SIGTERM"));
    // The grace is on the cluster's clock here; click-count needs over 120 s of it to turn healthy.
    const { code, shown } = await outcomeOf(harness, harness.deployWith({ interrupts: control.interrupts }, clickCount("slow"), { interruptGraceMs: 600_000 }));
    expect(code, shown).toBe(ExitCode.deploymentFailed);
    expect(shown).toMatch(/interrupted by SIGTERM; cancelling deployment \S+ and restoring version/);
    expect(shown).toMatch(/previous version .* is back .*1\/1 healthy/);
    expectRunning(harness, "1.0.0");
  });

  it("--on-interrupt leave: exit 5 naming the open deployment, which keeps running", async () => {
    // Slower: the deployment must still be open when the test looks, a moment after mdeploy left it.
    const harness = await started(RACE_SPEED);
    const control = interrupts();
    onFirst(harness, "deployment_info", () => control.signal("SIGINT"));
    const { code, shown } = await outcomeOf(harness, harness.deployWith({ interrupts: control.interrupts }, clickCount("slow"), { onInterrupt: "leave" }));
    expect(code, shown).toBe(ExitCode.needsPerson);
    const open = harness.sim.state.deployments().filter((d) => d.affectedApps.includes(APP));
    expect(open).toHaveLength(1);
    expectPersonGuide(shown, open[0]?.id);
    expect(shown).toMatch(/interrupted by SIGINT; deployment \S+ .* is still open and was left running/);
  });

  it("a second signal during the rollback stops at once, still naming the state and the command: exit 5", async () => {
    const harness = await started();
    const control = interrupts();
    onFirst(harness, "deployment_info", () => control.signal("SIGTERM"));
    // The second signal comes as mdeploy cancels its deployment, before the restore can finish.
    harness.sim.faults.beforeNext({ method: "DELETE", path: "/v2/deployments" }, () => control.signal("SIGTERM"));
    const { code, shown } = await outcomeOf(harness, harness.deployWith({ interrupts: control.interrupts }, clickCount("slow")));
    expect(code, shown).toBe(ExitCode.needsPerson);
    expectPersonGuide(shown);
    expect(shown).toMatch(/to finish the job: mdeploy rollback staging --to \S+ --force/);
  });
});
