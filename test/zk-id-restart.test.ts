import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { fourLetterWord, parseSrvr } from "../src/zk/client/four-letter.js";
import { createZkHarness } from "./helpers/zk-ensemble.js";
import { bootEnsemble, startNode, stopNode, withClient, withClientEventually } from "./helpers/zk-cluster.js";
import { describeRun, zkId } from "./helpers/zk-id-cli.js";

const harness = createZkHarness(1);
afterEach(async () => {
  await harness.stopAll();
});
afterAll(async () => {
  await harness.cleanup();
});

describe("zk-id keeps local state (real ZooKeeper on loopback)", { timeout: 90_000 }, () => {
  it("a restarted node keeps its ID and its data", async () => {
    const cluster = await bootEnsemble(harness);
    const n2 = cluster.nodes[1]!;
    await withClient([n2], (zk) => zk.create("/survives", "restart"));
    await stopNode(cluster, n2);
    const run = await zkId(n2, cluster.nodes);
    expect(run.code, describeRun(run)).toBe(0);
    expect(run.json).toMatchObject({ id: 2, outcome: "keep" });
    expect(readFileSync(join(n2.dataDir, "myid"), "utf8").trim()).toBe("2");
    expect(existsSync(join(n2.dataDir, "initialize"))).toBe(false);
    await startNode(harness, cluster, n2);
    const read = await withClient([n2], async (zk) => (await zk.getData("/survives")).data.toString());
    expect(read).toBe("restart");
  });

  it("a wiped node reusing its ID does not lose a committed znode: no quorum until the up-to-date member returns", async () => {
    const cluster = await bootEnsemble(harness);
    const [n1, n2, n3] = cluster.nodes as [(typeof cluster.nodes)[0], (typeof cluster.nodes)[0], (typeof cluster.nodes)[0]];
    await stopNode(cluster, n3);
    await withClientEventually([n1, n2], (zk) => zk.create("/x", "committed on 1 and 2"));
    await stopNode(cluster, n1);
    await stopNode(cluster, n2);
    // n2 loses its data but keeps myid (a wiped disk with the ID restored from elsewhere).
    rmSync(join(n2.dataDir, "version-2"), { recursive: true, force: true });
    for (const node of [n2, n3]) {
      const run = await zkId(node, cluster.nodes, ["--wait-timeout", "5"]);
      expect(run.code, describeRun(run)).toBe(0);
      expect(run.json?.outcome).toBe("keep");
      expect(existsSync(join(node.dataDir, "initialize"))).toBe(false);
    }
    await startNode(harness, cluster, n2, false);
    await startNode(harness, cluster, n3, false);
    // Without db.autocreate=false, n2 (empty) and n3 (behind) would elect a leader and drop /x for good.
    for (let i = 0; i < 8; i++) {
      await new Promise((r) => setTimeout(r, 500));
      for (const node of [n2, n3]) {
        const reply = await fourLetterWord("127.0.0.1", node.clientPort, "srvr");
        expect(reply === null ? null : parseSrvr(reply).mode, `${node.name} must not serve`).toBeNull();
      }
    }
    const back = await zkId(n1, cluster.nodes, ["--wait-timeout", "5"]);
    expect(back.json).toMatchObject({ id: 1, outcome: "keep" });
    await startNode(harness, cluster, n1);
    const read = await withClientEventually([n2], async (zk) => {
      await zk.sync("/x");
      return (await zk.getData("/x")).data.toString();
    });
    expect(read).toBe("committed on 1 and 2");
  });

  it("a wiped member rejoining while a quorum serves keeps its ID and syncs the data back", async () => {
    const cluster = await bootEnsemble(harness);
    const n3 = cluster.nodes[2]!;
    await withClient([cluster.nodes[0]!], (zk) => zk.create("/synced-back", "yes"));
    await stopNode(cluster, n3);
    rmSync(n3.dataDir, { recursive: true, force: true });
    const run = await zkId(n3, cluster.nodes);
    expect(run.code, describeRun(run)).toBe(0);
    expect(run.json).toMatchObject({ id: 3, outcome: "keep" });
    expect(existsSync(join(n3.dataDir, "initialize"))).toBe(false);
    await startNode(harness, cluster, n3);
    const read = await withClientEventually([n3], async (zk) => (await zk.getData("/synced-back")).data.toString());
    expect(read).toBe("yes");
  });
});
