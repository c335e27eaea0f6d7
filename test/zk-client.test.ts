import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createZkClient, isZkError, ZkErrorCode, type ZkClient } from "../src/zk/client/zk-client.js";
import { parseMembership } from "../src/zk/members.js";
import { createZkHarness } from "./helpers/zk-ensemble.js";
import { startHandWrittenEnsemble, type TestNode } from "./helpers/zk-nodes.js";

const harness = createZkHarness(5);
let nodes: TestNode[] = [];
const clients: ZkClient[] = [];

beforeAll(async () => {
  nodes = await startHandWrittenEnsemble(harness);
}, 60_000);

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
});

afterAll(async () => {
  await harness.cleanup();
});

async function connect(): Promise<ZkClient> {
  const c = await createZkClient({ servers: nodes.map((n) => n.client), connectTimeoutMs: 3_000 });
  clients.push(c);
  return c;
}

describe("wire-protocol ZooKeeper client against a real ensemble", { timeout: 90_000 }, () => {
  it("creates, reads, updates with a version check and deletes znodes", async () => {
    const c = await connect();
    await c.create("/t", "one");
    expect((await c.getData("/t")).data.toString()).toBe("one");
    const stat = await c.setData("/t", "two", 0);
    expect(stat.version).toBe(1);
    await expect(c.setData("/t", "three", 0)).rejects.toSatisfy((e) => isZkError(e, ZkErrorCode.badVersion));
    await expect(c.create("/t", "again")).rejects.toSatisfy((e) => isZkError(e, ZkErrorCode.nodeExists));
    const seq = await c.create("/t/s-", "", "persistent-sequential");
    expect(seq).toMatch(/^\/t\/s-\d{10}$/);
    expect(await c.getChildren("/t")).toEqual([seq.slice(3)]);
    await c.delete(seq, -1);
    await c.delete("/t", -1);
    expect(await c.exists("/t")).toBeNull();
  });

  it("reads the committed membership and reconfigures with a version check", async () => {
    const c = await connect();
    await c.sync("/");
    const before = parseMembership((await c.getData("/zookeeper/config")).data.toString());
    expect(before.servers.map((s) => s.id)).toEqual([1, 2, 3]);
    expect(before.version).not.toBeNull();
    // Adding a server that is not running is accepted by ZooKeeper (1..3 are a quorum of the new config).
    const ghost = "server.9=127.0.0.1:1:2:observer;127.0.0.1:3";
    await expect(c.reconfig({ joining: ghost, fromConfigVersion: before.version! + 12345n })).rejects.toSatisfy((e) => isZkError(e, ZkErrorCode.badVersion));
    const added = await c.reconfig({ joining: ghost, fromConfigVersion: before.version! });
    const after = parseMembership(added.data.toString());
    expect(after.servers.map((s) => s.id)).toEqual([1, 2, 3, 9]);
    const removed = await c.reconfig({ leaving: "9", fromConfigVersion: after.version! });
    expect(parseMembership(removed.data.toString()).servers.map((s) => s.id)).toEqual([1, 2, 3]);
  });

  it("refuses a session when no server is serving", async () => {
    await expect(createZkClient({ servers: ["127.0.0.1:1"], connectTimeoutMs: 1_000 })).rejects.toThrow(/no ZooKeeper server granted a session/);
  });
});
