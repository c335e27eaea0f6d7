import { readFileSync } from "node:fs";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { createZkHarness } from "./helpers/zk-ensemble.js";
import { bootEnsemble, membershipVia, startNode } from "./helpers/zk-cluster.js";
import { describeRun, zkId } from "./helpers/zk-id-cli.js";
import { makeNode } from "./helpers/zk-nodes.js";

const harness = createZkHarness(2);
afterEach(async () => {
  await harness.stopAll();
});
afterAll(async () => {
  await harness.cleanup();
});

const PASSWORD = "zk-super-Secret-42";

describe("zk-id with a super-user password instead of skipACL (real ZooKeeper)", { timeout: 90_000 }, () => {
  it("reconfigures as super user, refuses without the password, and never prints it", async () => {
    const env = { ZK_SUPER_PASSWORD: PASSWORD };
    const cluster = await bootEnsemble(harness, 3, env);
    const cfg = readFileSync(cluster.nodes[0]!.zooCfg, "utf8");
    expect(cfg).toMatch(/^DigestAuthenticationProvider\.superDigest=super:\S+=$/m);
    expect(cfg).not.toMatch(/skipACL/);
    expect(cfg).not.toContain(PASSWORD);
    const d = await makeNode(harness, "d");
    const everyone = [...cluster.nodes, d];
    const prepared = await zkId(d, everyone, [], 60_000, env);
    expect(prepared.code, describeRun(prepared)).toBe(0);
    await startNode(harness, cluster, d);
    const anonymous = await zkId(d, everyone, ["--promote"]);
    expect(anonymous.code, describeRun(anonymous)).toBe(3);
    expect(anonymous.stderr).toMatch(/refused reconfig \(NoAuth\)/);
    const promoted = await zkId(d, everyone, ["--promote"], 60_000, env);
    expect(promoted.code, describeRun(promoted)).toBe(0);
    expect((await membershipVia(cluster.nodes)).servers.map((s) => [s.id, s.role])).toContainEqual([4, "participant"]);
    for (const run of [prepared, anonymous, promoted]) expect(run.stdout + run.stderr).not.toContain(PASSWORD);
  });
});
