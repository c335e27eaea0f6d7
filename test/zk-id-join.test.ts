import { afterAll, afterEach, describe, expect, it } from "vitest";
import { createZkHarness } from "./helpers/zk-ensemble.js";
import { bootEnsemble, membershipVia, startNode, stopNode, withClient } from "./helpers/zk-cluster.js";
import { describeRun, zkId } from "./helpers/zk-id-cli.js";
import { makeNode } from "./helpers/zk-nodes.js";

const harness = createZkHarness();
afterEach(async () => {
  await harness.stopAll();
});
afterAll(async () => {
  await harness.cleanup();
});

describe("zk-id with a serving quorum (real ZooKeeper on loopback)", () => {
  it("three nodes started together get IDs 1, 2, 3 and a write succeeds", async () => {
    const cluster = await bootEnsemble(harness);
    const m = await membershipVia(cluster.nodes);
    expect(m.servers.map((s) => [s.id, s.clientPort])).toEqual(cluster.nodes.map((n, i) => [i + 1, n.clientPort]));
    await withClient([cluster.nodes[0]!], (zk) => zk.create("/hello", "world"));
    const read = await withClient([cluster.nodes[2]!], async (zk) => {
      await zk.sync("/hello");
      return (await zk.getData("/hello")).data.toString();
    });
    expect(read).toBe("world");
  });

  it("a killed node's replacement takes the freed ID, joins, and reads data written before the kill", async () => {
    const cluster = await bootEnsemble(harness);
    const [n1, n2, n3] = cluster.nodes as [typeof cluster.nodes[0], typeof cluster.nodes[0], typeof cluster.nodes[0]];
    await withClient([n2], (zk) => zk.create("/before", "kept"));
    await stopNode(cluster, n1);
    const replacement = await makeNode(harness, "r1");
    const prepared = await zkId(replacement, [n2, n3, replacement]);
    expect(prepared.code, describeRun(prepared)).toBe(0);
    expect(prepared.json).toMatchObject({ id: 1, outcome: "join" });
    expect((await membershipVia([n2])).servers.map((s) => s.id)).toEqual([2, 3]);
    await startNode(harness, cluster, replacement);
    const promoted = await zkId(replacement, [n2, n3, replacement], ["--promote"]);
    expect(promoted.code, describeRun(promoted)).toBe(0);
    expect(promoted.json).toMatchObject({ id: 1, outcome: "participant" });
    const m = await membershipVia([replacement]);
    expect(m.servers.map((s) => [s.id, s.clientPort, s.role])).toEqual([
      [1, replacement.clientPort, "participant"],
      [2, n2.clientPort, "participant"],
      [3, n3.clientPort, "participant"],
    ]);
    const read = await withClient([replacement], async (zk) => (await zk.getData("/before")).data.toString());
    expect(read).toBe("kept");
    const again = await zkId(replacement, [n2, n3, replacement], ["--promote"]);
    expect(again.json).toMatchObject({ id: 1, outcome: "participant", reason: "already a participant" });
  });
});
