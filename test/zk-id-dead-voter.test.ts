import { afterAll, afterEach, describe, expect, it } from "vitest";
import { createZkHarness } from "./helpers/zk-ensemble.js";
import { bootEnsemble, membershipVia, startNode, stopNode, withClient, withClientEventually } from "./helpers/zk-cluster.js";
import { describeRun, zkId } from "./helpers/zk-id-cli.js";
import { makeNode, type TestNode } from "./helpers/zk-nodes.js";

const harness = createZkHarness(9);
afterEach(async () => {
  await harness.stopAll();
});
afterAll(async () => {
  await harness.cleanup();
});

describe("zk-id replaces a dead voter that discovery still lists (real ZooKeeper on loopback)", { timeout: 120_000 }, () => {
  it("the replacement takes the dead voter's ID after the grace, the config keeps 3 voters, and a second failure keeps the quorum", async () => {
    const cluster = await bootEnsemble(harness);
    const [n1, n2, n3] = cluster.nodes as [TestNode, TestNode, TestNode];
    await withClient([n2], (zk) => zk.create("/before", "kept"));
    // Stopped, not terminated: discovery (a stale DNS record, a stopped instance) still lists it.
    await stopNode(cluster, n1);
    const r1 = await makeNode(harness, "r1");
    const listed = [n1, n2, n3, r1];
    const prepared = await zkId(r1, listed, ["--dead-voter-grace", "2"]);
    expect(prepared.code, describeRun(prepared)).toBe(0);
    expect(prepared.json, describeRun(prepared)).toMatchObject({ id: 1, outcome: "replace", promoteAfterStart: true });
    expect(prepared.stderr).toMatch(/voter\(s\) 1 \(127\.0\.0\.1:\d+\) do not answer; waiting 2 s before taking one's place/);
    expect(prepared.json?.reason).toMatch(/voter 1 \(127\.0\.0\.1:\d+\) has not answered for 2 s and is not synced with the leader/);
    const voters = (await membershipVia([n2])).servers.filter((s) => s.role === "participant");
    expect(voters.map((s) => [s.id, s.clientPort])).toEqual([
      [1, r1.clientPort],
      [2, n2.clientPort],
      [3, n3.clientPort],
    ]);
    await startNode(harness, cluster, r1);
    const promoted = await zkId(r1, listed, ["--promote"]);
    expect(promoted.code, describeRun(promoted)).toBe(0);
    expect(promoted.json).toMatchObject({ id: 1, outcome: "participant" });

    // A second, unrelated failure: with the dead voter replaced, r1 and n3 are still 2 of 3.
    await stopNode(cluster, n2);
    await withClientEventually([n3], (zk) => zk.create("/after-second-failure", "written"));
    const read = await withClientEventually([r1], async (zk) => {
      await zk.sync("/after-second-failure");
      return [(await zk.getData("/before")).data.toString(), (await zk.getData("/after-second-failure")).data.toString()];
    });
    expect(read).toEqual(["kept", "written"]);
  });

  it("a joiner does not replace a voter that answers: it grows the ensemble", async () => {
    const cluster = await bootEnsemble(harness);
    const d = await makeNode(harness, "d");
    const prepared = await zkId(d, [...cluster.nodes, d], ["--dead-voter-grace", "1"]);
    expect(prepared.code, describeRun(prepared)).toBe(0);
    expect(prepared.json).toMatchObject({ id: 4, outcome: "join" });
    expect((await membershipVia(cluster.nodes)).servers.map((s) => s.id)).toEqual([1, 2, 3]);
  });
});
