import { cpSync, existsSync } from "node:fs";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { createZkHarness } from "./helpers/zk-ensemble.js";
import { bootEnsemble, membershipVia, startNode, stopNode, withClient, withClientEventually } from "./helpers/zk-cluster.js";
import { describeRun, zkId } from "./helpers/zk-id-cli.js";
import { makeNode, type TestNode } from "./helpers/zk-nodes.js";
import type { ZkIdRun } from "./helpers/zk-id-cli.js";

const harness = createZkHarness(0);
afterEach(async () => {
  await harness.stopAll();
});
afterAll(async () => {
  await harness.cleanup();
});

describe("zk-id with a serving quorum (real ZooKeeper on loopback)", { timeout: 90_000 }, () => {
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
    const url = await zkId(cluster.nodes[0]!, cluster.nodes, ["--print-zk-url", "--zk-path", "/marathon"]);
    expect(url.code, describeRun(url)).toBe(0);
    expect(url.json?.zkUrl).toBe(`zk://${cluster.nodes.map((n) => n.client).join(",")}/marathon`);
  });

  it("a killed node's replacement takes its ID in one reconfig, joins, and reads data written before the kill", async () => {
    const cluster = await bootEnsemble(harness);
    const [n1, n2, n3] = cluster.nodes as [typeof cluster.nodes[0], typeof cluster.nodes[0], typeof cluster.nodes[0]];
    await withClient([n2], (zk) => zk.create("/before", "kept"));
    await stopNode(cluster, n1);
    const replacement = await makeNode(harness, "r1");
    const prepared = await zkId(replacement, [n2, n3, replacement]);
    expect(prepared.code, describeRun(prepared)).toBe(0);
    expect(prepared.json).toMatchObject({ id: 1, outcome: "replace", promoteAfterStart: true });
    expect(prepared.json?.reason).toMatch(/voter 1 \(127\.0\.0\.1:\d+\) is no longer discovered and does not answer/);
    // The dead voter's place went to the replacement at once: still 3 voters, never 2.
    expect((await membershipVia([n2])).servers.map((s) => [s.id, s.clientPort, s.role])).toEqual([
      [1, replacement.clientPort, "participant"],
      [2, n2.clientPort, "participant"],
      [3, n3.clientPort, "participant"],
    ]);
    await startNode(harness, cluster, replacement);
    const promoted = await zkId(replacement, [n2, n3, replacement], ["--promote"]);
    expect(promoted.code, describeRun(promoted)).toBe(0);
    expect(promoted.json).toMatchObject({ id: 1, outcome: "participant", reason: "already a participant" });
    const read = await withClientEventually([replacement], async (zk) => (await zk.getData("/before")).data.toString());
    expect(read).toBe("kept");
    const url = await zkId(n2, [n2, n3, replacement], ["--print-zk-url"]);
    expect(url.json?.zkUrl).toBe(`zk://${replacement.client},${n2.client},${n3.client}/mesos`);
  });

  it("two joiners at once get distinct IDs without waiting for each other, and both become participants", async () => {
    const cluster = await bootEnsemble(harness);
    const d = await makeNode(harness, "d");
    const e = await makeNode(harness, "e");
    const everyone = [...cluster.nodes, d, e];
    const join = async (node: TestNode): Promise<[ZkIdRun, ZkIdRun]> => {
      const prepared = await zkId(node, everyone);
      expect(prepared.code, describeRun(prepared)).toBe(0);
      await startNode(harness, cluster, node);
      return [prepared, await zkId(node, everyone, ["--promote"])];
    };
    const [[pd, promotedD], [pe, promotedE]] = await Promise.all([join(d), join(e)]);
    for (const run of [promotedD, promotedE]) expect(run.code, describeRun(run)).toBe(0);
    expect(new Set([pd.json?.id, pe.json?.id])).toEqual(new Set([4, 5]));
    for (const run of [pd, pe]) expect(run.stderr).not.toMatch(/another server is/);
    const m = await membershipVia(cluster.nodes);
    expect(m.servers.map((s) => s.id)).toEqual([1, 2, 3, 4, 5]);
    expect(m.servers.every((s) => s.role === "participant")).toBe(true);
    expect(new Set(m.servers.map((s) => s.clientPort)).size).toBe(5);
  });

  it("a joiner that never syncs is never added as a participant, and the next joiner is not blocked", async () => {
    const cluster = await bootEnsemble(harness);
    const d = await makeNode(harness, "d");
    const everyone = [...cluster.nodes, d];
    const prepared = await zkId(d, everyone);
    expect(prepared.json).toMatchObject({ id: 4, outcome: "join" });
    // ZooKeeper itself would accept `reconfig -add server.4` with nothing running.
    const promoted = await zkId(d, everyone, ["--promote", "--sync-timeout", "2"]);
    expect(promoted.code, describeRun(promoted)).toBe(3);
    expect(promoted.stderr).toMatch(/did not sync with the leader .*not adding it as a participant/);
    expect((await membershipVia(cluster.nodes)).servers.map((s) => s.id)).toEqual([1, 2, 3]);
    const e = await makeNode(harness, "e");
    const next = await zkId(e, [...everyone, e], ["--wait-timeout", "5"]);
    expect(next.code, describeRun(next)).toBe(0);
    expect(next.json?.id).toBe(5);
  });

  it("a joiner that vanished after claiming leaves a stale claim that the next joiner cleans up", async () => {
    const cluster = await bootEnsemble(harness);
    const ghost = await makeNode(harness, "ghost");
    const claimed = await zkId(ghost, [...cluster.nodes, ghost]);
    expect(claimed.json).toMatchObject({ id: 4, outcome: "join" });
    // The ghost never starts and discovery no longer lists it (its instance is gone).
    const e = await makeNode(harness, "e");
    await new Promise((r) => setTimeout(r, 1_200));
    const next = await zkId(e, [...cluster.nodes, e], ["--claim-grace", "1", "--wait-timeout", "10"]);
    expect(next.code, describeRun(next)).toBe(0);
    expect(next.json).toMatchObject({ id: 4, outcome: "join" });
    await startNode(harness, cluster, e);
    const promoted = await zkId(e, [...cluster.nodes, e], ["--promote"]);
    expect(promoted.code, describeRun(promoted)).toBe(0);
    const leftovers = await withClient([cluster.nodes[0]!], async (zk) => [await zk.exists("/mdeploy/zk-join"), await zk.getChildren("/mdeploy/zk-ids")]);
    expect(leftovers).toEqual([null, []]);
  });

  it("a server leaving for good removes itself with a reconfig; the rest keep serving", async () => {
    const cluster = await bootEnsemble(harness);
    const n3 = cluster.nodes[2]!;
    const left = await zkId(n3, cluster.nodes, ["--leave"]);
    expect(left.code, describeRun(left)).toBe(0);
    expect(left.json).toMatchObject({ id: 3, outcome: "left" });
    await stopNode(cluster, n3);
    expect((await membershipVia(cluster.nodes.slice(0, 2))).servers.map((s) => s.id)).toEqual([1, 2]);
    await withClientEventually(cluster.nodes.slice(0, 2), (zk) => zk.create("/after-leave", ""));
    const again = await zkId(n3, cluster.nodes, ["--leave"]);
    expect(again.json).toMatchObject({ outcome: "left", reason: "not a member of the ensemble" });
  });

  it("a node whose myid and data duplicate a live member's ID refuses to start", async () => {
    const cluster = await bootEnsemble(harness);
    const n2 = cluster.nodes[1]!;
    await withClient([n2], (zk) => zk.create("/some", "data"));
    const copy = await makeNode(harness, "copy-of-n2");
    cpSync(n2.dataDir, copy.dataDir, { recursive: true });
    const run = await zkId(copy, [...cluster.nodes, copy]);
    expect(run.code, describeRun(run)).toBe(3);
    expect(run.stderr.trim().split("\n")).toHaveLength(1);
    expect(run.stderr).toMatch(/ID 2 in myid belongs to live member 127\.0\.0\.1:\d+; starting would duplicate it/);
    expect(existsSync(copy.zooCfg)).toBe(false);
  });
});
