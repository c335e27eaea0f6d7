/**
 * The fault matrix: each case deploys click-count against the simulator with a
 * fault, and asserts the exit code and the final state (the new version fully
 * healthy, or the previous one back and healthy). Nothing exits 0 without a
 * verified success; nothing leaves a mixed app without exit 5.
 */
import { afterEach, describe, expect, it } from "vitest";
import { ExitCode } from "../src/errors.js";
import { RequestTimedOutError } from "../src/http/errors.js";
import { defaultCluster } from "../src/sim/index.js";
import { clickCount, expectRunning, onFirst, outcomeOf, startHarness, type Harness } from "./deploy-harness.js";

const APP = "/staging/click-count";
let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** What the CLI would show for the last deploy: the printed progress, then the error with its details. */
let shown = "";

/** The exit code a deploy promise ends with (0 on success); the error's text lands in `shown`. */
async function exitCodeOf(promise: Promise<unknown>): Promise<number> {
  if (!h) throw new Error("no harness");
  const outcome = await outcomeOf(h, promise);
  shown = outcome.shown;
  return outcome.code;
}

describe("deploy fault matrix", () => {
  it("new version never healthy: exit 1, previous version back and healthy", async () => {
    h = await startHarness();
    await h.deploy(clickCount("1.0.0"));
    expect(await exitCodeOf(h.deploy(clickCount("broken")))).toBe(ExitCode.deploymentFailed);
    expectRunning(h, "1.0.0");
    expect(shown).toMatch(/never became healthy/);
    expect(shown).toMatch(/previous version .* is back .*1\/1 healthy/);
  });

  it("crash loop: exit 1 quickly, previous version back", async () => {
    h = await startHarness();
    await h.deploy(clickCount("1.0.0"));
    expect(await exitCodeOf(h.deploy(clickCount("crash")))).toBe(ExitCode.deploymentFailed);
    expectRunning(h, "1.0.0");
    expect(shown).toMatch(/keeps failing \(3 task failures\)/);
    expect(shown.match(/TASK_FAILED/g)?.length ?? 0).toBeLessThanOrEqual(8);
  });

  it("OOM (mem below what the app needs): exit 1, previous version back", async () => {
    h = await startHarness();
    await h.deploy(clickCount("1.0.0"));
    expect(await exitCodeOf(h.deploy(clickCount("1.1.0", "staging", { mem: 200 })))).toBe(ExitCode.deploymentFailed);
    expectRunning(h, "1.0.0");
    expect((h.sim.state.app(APP) as { mem: number }).mem).toBe(300);
  });

  it("no offers until the timeout (capacity not checked, explicit 1/1): exit 4 with queue reasons, previous back", async () => {
    h = await startHarness();
    await h.deploy(clickCount("1.0.0"));
    await h.deploy(clickCount("1.0.1"));
    const code = await exitCodeOf(
      h.deployWith({ mesos: undefined }, clickCount("1.1.0", "staging", { upgradeStrategy: { minimumHealthCapacity: 1, maximumOverCapacity: 1 } }), { timeoutMs: 600_000 }),
    );
    expect(code).toBe(ExitCode.timedOut);
    expect(shown).toMatch(/did not finish within 600 s/);
    expect(shown).toMatch(/InsufficientMemory/);
    expect(shown).toMatch(/capacity not checked/);
    expectRunning(h, "1.0.1");
  });

  it("409 from another deployment: waits for it, then deploys", async () => {
    h = await startHarness({ speed: 200 });
    await h.deploy(clickCount("1.0.0"));
    await h.marathon.putApp(clickCount("slow", "staging", { upgradeStrategy: { minimumHealthCapacity: 0, maximumOverCapacity: 1 } }));
    const result = await h.deploy(clickCount("1.1.0"));
    expect(result.verifiedBy).toBe("event");
    expect(h.printed()).toMatch(/is locked by deployment .*; waiting up to 600 s/);
    expectRunning(h, "1.1.0");
  });

  it("409 with --force: cancels the other (stuck) deployment and deploys", async () => {
    h = await startHarness({ speed: 200 });
    await h.deploy(clickCount("1.0.0"));
    // Two instances never fit the 497 MB agent: this deployment would hold the lock for good.
    await h.marathon.putApp(clickCount("1.0.0", "staging", { instances: 2 }));
    await h.deploy(clickCount("1.1.0"), { force: true });
    expect(h.printed()).not.toMatch(/waiting up to/);
    expectRunning(h, "1.1.0");
  });

  it("409 that outlasts --lock-timeout: exit 4, nothing changed", async () => {
    h = await startHarness({ speed: 200 });
    await h.deploy(clickCount("1.0.0"));
    // Two instances never fit the 497 MB agent: this deployment holds the lock for good.
    await h.marathon.putApp(clickCount("1.0.0", "staging", { instances: 2 }));
    expect(await exitCodeOf(h.deploy(clickCount("1.1.0"), { lockTimeoutMs: 5_000 }))).toBe(ExitCode.timedOut);
    expect(shown).toMatch(/stayed locked by deployment .* nothing was changed/);
    expect((h.sim.state.app(APP) as { container: { docker: { image: string } } }).container.docker.image).toContain(":1.0.0");
  });

  it("Marathon 5xx burst while following: still verified, exit 0", async () => {
    h = await startHarness();
    await h.deploy(clickCount("1.0.0"));
    onFirst(h, "deployment_info", () => h?.sim.faults.failNext(6, { status: 503, path: /^\/v2\/(apps|deployments)/ }));
    const result = await h.deploy(clickCount("1.1.0"));
    expect(result.instances).toEqual({ healthy: 1, total: 1 });
    expectRunning(h, "1.1.0");
  });

  it("event stream dropped mid-deployment: polling carries on, exit 0", async () => {
    h = await startHarness();
    await h.deploy(clickCount("1.0.0"));
    onFirst(h, "status_update_event", () => {
      h?.sim.faults.failNext(3, { path: "/v2/events" });
      h?.sim.faults.dropEventStreams();
    });
    const result = await h.deploy(clickCount("1.1.0"));
    expect(["event", "state"]).toContain(result.verifiedBy);
    expectRunning(h, "1.1.0");
  });

  it("leader change mid-deployment: follows the new leader, exit 0", async () => {
    const cluster = defaultCluster();
    cluster.standbys = 2;
    h = await startHarness({ cluster });
    await h.deploy(clickCount("1.0.0"));
    onFirst(h, "deployment_info", () => h?.sim.faults.changeLeader());
    const result = await h.deploy(clickCount("1.1.0"));
    expect(result.instances.healthy).toBe(1);
    expectRunning(h, "1.1.0");
  });

  it("PUT timed out but applied: reads the app, follows the deployment, exit 0", async () => {
    h = await startHarness();
    await h.deploy(clickCount("1.0.0"));
    const real = h.marathon;
    let puts = 0;
    const lossy = Object.create(real) as typeof real;
    lossy.putApp = async (app, options) => {
      puts++;
      await real.putApp(app, options);
      throw new RequestTimedOutError("PUT", `${h?.sim.marathonUrl}/v2/apps${app.id}`, "timeout", 1000);
    };
    const result = await h.deployWith({ marathon: lossy }, clickCount("1.1.0"));
    expect(puts).toBe(1);
    expect(h.printed()).toMatch(/the PUT was applied/);
    expect(result.deploymentId).not.toBe("");
    expectRunning(h, "1.1.0");
  });

  it("wrong credentials: exit 6, the password not shown", async () => {
    const cluster = defaultCluster();
    cluster.credentials = { username: "ci", password: "right-password-123" };
    h = await startHarness({ cluster, marathonAuth: { username: "ci", password: "wrong-password-456" }, secrets: ["wrong-password-456"] });
    let message = "";
    const code = await exitCodeOf(
      h.deploy(clickCount("1.0.0")).catch((error: Error & { details?: string[] }) => {
        message = [error.message, ...(error.details ?? [])].join("\n");
        throw error;
      }),
    );
    expect(code).toBe(ExitCode.unreachable);
    expect(message).toMatch(/401/);
    expect(message + h.printed()).not.toContain("wrong-password-456");
    expect(h.sim.state.app(APP)).toBeUndefined();
  });

  it("422 is shown with its paths: exit 2, nothing deployed", async () => {
    h = await startHarness();
    let details: readonly string[] = [];
    const code = await exitCodeOf(
      h.deploy(clickCount("1.0.0", "staging", { readinessChecks: [{ portName: "nope" }] })).catch((error: Error & { details: readonly string[] }) => {
        details = error.details;
        throw error;
      }),
    );
    expect(code).toBe(ExitCode.badInput);
    expect(details.join("\n")).toMatch(/\/readinessChecks\(0\): readinessCheck.portName must reference a port name/);
    expect(h.sim.state.app(APP)).toBeUndefined();
  });

  it("a failing first deploy removes the new app again: exit 1", async () => {
    h = await startHarness();
    expect(await exitCodeOf(h.deploy(clickCount("crash")))).toBe(ExitCode.deploymentFailed);
    expect(h.sim.state.app(APP)).toBeUndefined();
  });

  it("someone else's forced deployment replaces ours: exit 5, no rollback over it", async () => {
    h = await startHarness();
    await h.deploy(clickCount("1.0.0"));
    // Another job's forced PUT, applied inside the simulator at that event: it cannot land early or late.
    onFirst(h, "deployment_info", () => {
      h?.sim.apply({ method: "PUT", path: `/v2/apps${APP}?force=true`, body: clickCount("1.2.0", "staging", { upgradeStrategy: { minimumHealthCapacity: 0, maximumOverCapacity: 1 } }) });
    });
    expect(await exitCodeOf(h.deploy(clickCount("1.1.0")))).toBe(ExitCode.needsPerson);
    expect(shown).toMatch(/was replaced by another deployment; mdeploy did not roll back over someone else's deployment/);
    expect(shown).not.toMatch(/roll back \/staging/);
    const app = h.sim.state.app(APP) as { container: { docker: { image: string } } };
    expect(app.container.docker.image).toContain(":1.2.0");
  });

  it("our deployment cancelled by someone (DELETE ?force=true): not success; rolled back, exit 1", async () => {
    h = await startHarness();
    await h.deploy(clickCount("1.0.0"));
    onFirst(h, "deployment_info", () => {
      const id = h?.sim.state.deployments()[0]?.id;
      if (id) h?.sim.apply({ method: "DELETE", path: `/v2/deployments/${id}?force=true` });
    });
    expect(await exitCodeOf(h.deploy(clickCount("1.1.0")))).toBe(ExitCode.deploymentFailed);
    expect(shown).toMatch(/failed: .*cancel/i);
    expectRunning(h, "1.0.0");
  });
});
