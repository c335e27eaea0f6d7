import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { createZkHarness } from "./helpers/zk-ensemble.js";
import { bootEnsemble, membershipVia, startNode, stopNode, withClient, withClientEventually, type Cluster } from "./helpers/zk-cluster.js";
import { describeRun, zkId, type ZkIdRun } from "./helpers/zk-id-cli.js";
import { makeNode, type TestNode } from "./helpers/zk-nodes.js";

const harness = createZkHarness(8);
afterEach(async () => {
  await harness.stopAll();
});
afterAll(async () => {
  await harness.cleanup();
});

/** zk-id, then (on success) this node's ZooKeeper, then --promote when asked: what a host's boot script does. */
async function joinNode(cluster: Cluster, node: TestNode, discovered: TestNode[]): Promise<{ prepared: ZkIdRun; promoted: ZkIdRun | null }> {
  const prepared = await zkId(node, discovered);
  if (prepared.code !== 0) return { prepared, promoted: null };
  await startNode(harness, cluster, node);
  return { prepared, promoted: prepared.json?.promoteAfterStart ? await zkId(node, discovered, ["--promote"]) : null };
}

describe("zk-id after a quorum loss (real ZooKeeper on loopback)", { timeout: 150_000 }, () => {
  it("two of three members die and two fresh replacements start: no bootstrap, no duplicate ID, exit 7 until a member returns; then they join and read the old data", async () => {
    const cluster = await bootEnsemble(harness);
    const [n1, n2, n3] = cluster.nodes as [TestNode, TestNode, TestNode];
    await withClient([n1], (zk) => zk.create("/before-the-failure", "kept"));
    await stopNode(cluster, n1);
    await stopNode(cluster, n2);
    const r1 = await makeNode(harness, "r1");
    const r2 = await makeNode(harness, "r2");
    // The group now lists the survivor and the two new instances. r1 even runs with --bootstrap,
    // the worst an operator's boot script could do; r2 runs as a replacement should.
    const group = [n3, r1, r2];
    const [withFlag, withoutFlag] = await Promise.all([zkId(r1, group, ["--bootstrap", "--settle-timeout", "3"]), zkId(r2, group, ["--settle-timeout", "3"])]);
    for (const run of [withFlag, withoutFlag]) {
      expect(run.code, describeRun(run)).toBe(7);
      expect(run.stderr).toMatch(new RegExp(`not bootstrapping: .*127\\.0\\.0\\.1:${n3.clientPort} .*\\(ID 3\\) belongs to an ensemble that formed \\(config version 100000000, epoch 1\\)`));
      expect(run.stderr).toMatch(/no quorum served within 3 s\. Bring back a member with its data/);
    }
    expect(withoutFlag.stderr).toMatch(/nothing marks this as a first bootstrap \(--bootstrap not given\)/);
    for (const r of [r1, r2]) {
      expect(existsSync(join(r.dataDir, "myid")), `${r.name} wrote a myid`).toBe(false);
      expect(existsSync(join(r.dataDir, "initialize")), `${r.name} wrote the initialize marker`).toBe(false);
    }
    expect(readFileSync(join(n3.dataDir, "myid"), "utf8").trim()).toBe("3");

    // One original member comes back with its data: n1 and n3 are a quorum again.
    await startNode(harness, cluster, n1);
    const discovered = [n1, n3, r1, r2];
    const [j1, j2] = await Promise.all([joinNode(cluster, r1, discovered), joinNode(cluster, r2, discovered)]);
    for (const j of [j1, j2]) {
      expect(j.prepared.code, describeRun(j.prepared)).toBe(0);
      if (j.promoted) expect(j.promoted.code, describeRun(j.promoted)).toBe(0);
    }
    const ids = [j1.prepared.json?.id, j2.prepared.json?.id];
    // The dead n2's ID goes to one replacement; the other grows the ensemble; nobody takes 1 or 3.
    expect(new Set(ids)).toEqual(new Set([2, 4]));
    const m = await membershipVia([n1, n3]);
    expect(m.servers.map((s) => [s.id, s.clientPort, s.role])).toEqual(
      [
        [1, n1.clientPort, "participant"],
        [2, (ids[0] === 2 ? r1 : r2).clientPort, "participant"],
        [3, n3.clientPort, "participant"],
        [4, (ids[0] === 4 ? r1 : r2).clientPort, "participant"],
      ],
    );
    for (const r of [r1, r2]) {
      const read = await withClientEventually([r], async (zk) => {
        await zk.sync("/before-the-failure");
        return (await zk.getData("/before-the-failure")).data.toString();
      });
      expect(read, `read through ${r.name}`).toBe("kept");
    }
  });
});
