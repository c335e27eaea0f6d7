import { afterEach, describe, expect, it } from "vitest";
import { ExitCode } from "../src/errors.js";
import type { AppDefinition, HealthCheck } from "../src/marathon/types.js";
import { defaultCluster, type ClusterSpec } from "../src/sim/index.js";
import { clickCount, expectRunning, outcomeOf, startHarness, type Harness } from "./deploy-harness.js";

/**
 * Marathon 1.10+ counts an old instance for a restart's immediate kills only when Mesos
 * reports it healthy (src/sim/README.md). The simulator follows the version it reports,
 * mdeploy reads that version from /v2/info and plans by the same rule.
 */

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const httpChecked = (tag: string): AppDefinition => clickCount(tag, "staging", { healthChecks: [{ protocol: "HTTP", path: "/", portIndex: 0, gracePeriodSeconds: 120, intervalSeconds: 15, timeoutSeconds: 5, maxConsecutiveFailures: 3 }] });

function onVersion(cluster: ClusterSpec, version: string): ClusterSpec {
  return { ...cluster, marathon: { ...cluster.marathon, version } };
}

/** App writes (PUT/POST of an app) the simulator has seen. */
const writes = (harness: Harness) => harness.sim.state.events().filter((e) => e.eventType === "api_post_event").length;

describe("an app checked by Marathon (HTTP) on Marathon 1.11", () => {
  it("with room for one more instance: planned with maximumOverCapacity above 0, finishes, one instance healthy throughout", async () => {
    const cluster = defaultCluster();
    cluster.agents.push({ hostname: "staging-2", cpus: 1, mem: 497, disk: 4000, ports: "[31000-32000]", attributes: { type: "staging" } });
    h = await startHarness({ cluster });
    await h.deploy(httpChecked("1.0.0"));
    const upgradeStarted = h.sim.clock.now();
    const second = await h.deploy(httpChecked("1.1.0"));
    expect(second.plan.strategy.maximumOverCapacity).toBeGreaterThan(0);
    expect(second.plan.restartRule).toBe("Marathon 1.11: instances checked by Marathon (HTTP) do not count for immediate kills");
    expect(h.printed()).toContain("  Marathon 1.11: instances checked by Marathon (HTTP) do not count for immediate kills");
    expectRunning(h, "1.1.0");
    expect(h.sim.timeline.extremes("/staging/click-count", upgradeStarted)).toEqual({ minHealthy: 1, maxActive: 2 });
  });

  it("without room for one more: exit 3 before any write, one line naming the cause and the fixes", async () => {
    h = await startHarness();
    const first = await h.deploy(httpChecked("1.0.0"));
    const before = writes(h);
    const { code, shown } = await outcomeOf(h, h.deploy(httpChecked("1.1.0")));
    expect(code).toBe(ExitCode.refused);
    expect(shown).toContain(
      "staging: refused before any change: cannot upgrade /staging/click-count: Marathon 1.11: instances checked by Marathon (HTTP) do not count for immediate kills, so none stops before a new one is healthy, and there is no room for one more instance (needs 300 MB more on one agent with type:staging; the largest free is 197 MB); fix: free capacity for one more instance, switch the HTTP check to MESOS_HTTP",
    );
    expect(writes(h)).toBe(before);
    expect((h.sim.state.app("/staging/click-count") as { version: string }).version).toBe(first.version);
    expect(h.sim.state.deployments()).toEqual([]);
  });

  it("the same app on Marathon 1.9 gets the plan that stops the old instance first, and it finishes", async () => {
    h = await startHarness({ cluster: onVersion(defaultCluster(), "1.9.109") });
    await h.deploy(httpChecked("1.0.0"));
    const second = await h.deploy(httpChecked("1.1.0"));
    expect(second.plan.strategy).toEqual({ minimumHealthCapacity: 0, maximumOverCapacity: 1 });
    expect(second.plan.restartRule).toBe("Marathon 1.9: every running instance counts for immediate kills");
    expectRunning(h, "1.1.0");
  });
});

/** One Traefik per node: host ports 80 and 443, hostname UNIQUE, no spare node. */
describe("per-node Traefik, one node at a time ((N-1)/N, 0)", () => {
  const nodes = (version: string): ClusterSpec => ({
    ...onVersion(defaultCluster(), version),
    agents: ["n1", "n2", "n3"].map((hostname) => ({ hostname, cpus: 1, mem: 497, disk: 4000, ports: "[80-80, 443-443, 31000-32000]" })),
  });
  const traefik = (image: string, check: HealthCheck): AppDefinition => ({
    id: "/infra/traefik",
    instances: "per-agent" as unknown as number,
    cpus: 0.1,
    mem: 64,
    container: { type: "DOCKER", docker: { image } },
    networks: [{ mode: "host" }],
    portDefinitions: [{ port: 80 }, { port: 443 }],
    requirePorts: true,
    constraints: [["hostname", "UNIQUE"]],
    healthChecks: [{ portIndex: 0, gracePeriodSeconds: 60, intervalSeconds: 20, timeoutSeconds: 5, maxConsecutiveFailures: 3, ...check }],
  });

  it.each([
    { version: "1.11.24", protocol: "MESOS_TCP", rule: "Marathon 1.11: only instances Mesos reports healthy (MESOS_TCP) count for immediate kills" },
    { version: "1.9.109", protocol: "TCP", rule: "Marathon 1.9: every running instance counts for immediate kills" },
  ])("Marathon $version with a $protocol check: 2 of 3 serve throughout", async ({ version, protocol, rule }) => {
    h = await startHarness({ cluster: nodes(version) });
    const check = protocol === "MESOS_TCP" ? { protocol, delaySeconds: 5 } : { protocol };
    await h.deploy(traefik("traefik:v1.7.34", check));
    const upgradeStarted = h.sim.clock.now();
    const second = await h.deploy(traefik("traefik:v1.7.35", check));
    expect(second.plan.strategy).toEqual({ minimumHealthCapacity: 0.6666, maximumOverCapacity: 0 });
    expect(second.plan.restartRule).toBe(rule);
    const tasks = h.sim.state.tasks("/infra/traefik");
    expect(tasks.map((t) => t.version)).toEqual([second.version, second.version, second.version]);
    expect(h.sim.timeline.extremes("/infra/traefik", upgradeStarted)).toEqual({ minHealthy: 2, maxActive: 3 });
  });

  it("Marathon 1.11 with a TCP check: exit 3 before any write (nothing would stop, no node is spare)", async () => {
    h = await startHarness({ cluster: nodes("1.11.24") });
    await h.deploy(traefik("traefik:v1.7.34", { protocol: "TCP" }));
    const before = writes(h);
    const { code, shown } = await outcomeOf(h, h.deploy(traefik("traefik:v1.7.35", { protocol: "TCP" })));
    expect(code).toBe(ExitCode.refused);
    expect(shown).toContain("instances checked by Marathon (TCP) do not count for immediate kills");
    expect(shown).toContain("fix: free capacity for one more instance, switch the TCP check to MESOS_TCP (counted from the upgrade after the one that installs them), or scale /infra/traefik to 2 instances first");
    expect(writes(h)).toBe(before);
    expect(h.sim.state.deployments()).toEqual([]);
  });
});

describe("the automatic rollback without MESOS_URL on Marathon 1.11", () => {
  it("of an app checked by Marathon (HTTP): restores with {0, 1}, since {0, 0} would stop and start nothing, and the old version comes back", async () => {
    const cluster = defaultCluster();
    cluster.agents.push({ hostname: "staging-2", cpus: 1, mem: 497, disk: 4000, ports: "[31000-32000]", attributes: { type: "staging" } });
    h = await startHarness({ cluster });
    await h.deploy(httpChecked("1.0.0"));
    const { code, shown } = await outcomeOf(h, h.deployWith({ mesos: undefined }, httpChecked("broken")));
    expect(code, shown).toBe(ExitCode.deploymentFailed);
    expect(shown).toContain("restoring with minimumHealthCapacity 0, maximumOverCapacity 1: Marathon 1.11.24 stops no instance checked only by Marathon before a new one is healthy");
    expect((h.sim.state.app("/staging/click-count") as { upgradeStrategy: unknown }).upgradeStrategy).toEqual({ minimumHealthCapacity: 0, maximumOverCapacity: 1 });
    expectRunning(h, "1.0.0");
  });

  it("of an app checked by Mesos (MESOS_HTTP): still frees room first with {0, 0}", async () => {
    h = await startHarness();
    await h.deploy(clickCount("1.0.0"));
    // No room for the unchecked 1/1 beside the old instance: the deploy times out and rolls back.
    const { code, shown } = await outcomeOf(h, h.deployWith({ mesos: undefined }, clickCount("broken")));
    expect(code, shown).toBe(ExitCode.timedOut);
    expect(shown).toContain("restoring with minimumHealthCapacity 0, maximumOverCapacity 0 so old instances make room first");
    expectRunning(h, "1.0.0");
  });
});
