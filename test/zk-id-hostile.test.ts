import { existsSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { createZkHarness } from "./helpers/zk-ensemble.js";
import { bootEnsemble, membershipVia, stopNode } from "./helpers/zk-cluster.js";
import { describeRun, zkId } from "./helpers/zk-id-cli.js";
import { makeNode, type TestNode } from "./helpers/zk-nodes.js";

// Port block 11 (see PORT_BLOCK_SIZE in helpers/zk-ensemble.ts).
const harness = createZkHarness(11);
const services = new Set<Server>();
const serviceSockets = new Set<Socket>();
afterEach(async () => {
  for (const socket of serviceSockets) socket.destroy();
  await Promise.all([...services].map((s) => new Promise((r) => s.close(r))));
  services.clear();
  serviceSockets.clear();
  await harness.stopAll();
});

/** Something that is not ZooKeeper on a dead voter's client port (a reused host, a health-check sidecar): it answers every connection with an HTTP error. */
async function impostorOn(port: number): Promise<void> {
  const server = createServer((socket) => {
    serviceSockets.add(socket);
    socket.once("close", () => serviceSockets.delete(socket));
    socket.on("error", () => socket.destroy());
    socket.end("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
  });
  services.add(server);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve());
  });
}
afterAll(async () => {
  await harness.cleanup();
});

describe("zk-id against peers that run but do not answer (real ZooKeeper on loopback)", { timeout: 120_000 }, () => {
  it("a frozen survivor (its ports accept connections, nothing answers) keeps --bootstrap replacements from bootstrapping beside it", async () => {
    const cluster = await bootEnsemble(harness);
    const [n1, n2, n3] = cluster.nodes as [TestNode, TestNode, TestNode];
    await stopNode(cluster, n1);
    await stopNode(cluster, n2);
    // A long GC pause, a stalled disk, a VM being migrated: the process holds its ports, the kernel
    // completes every TCP handshake, and no reply comes. SIGSTOP does exactly that; the harness's
    // SIGKILL ends the stopped process in afterEach.
    const survivor = cluster.servers.get(n3.name);
    expect(survivor).toBeDefined();
    process.kill(-survivor!.pid, "SIGSTOP");
    const r1 = await makeNode(harness, "r1");
    const r2 = await makeNode(harness, "r2");
    const group = [n3, r1, r2];
    const runs = await Promise.all([r1, r2].map((r) => zkId(r, group, ["--bootstrap", "--settle-timeout", "3"])));
    for (const run of runs) {
      expect(run.code, describeRun(run)).toBe(7);
      expect(run.stderr).toMatch(new RegExp(`not bootstrapping: .*127\\.0\\.0\\.1:${n3.clientPort}.* accepts connections but does not answer`));
    }
    for (const r of [r1, r2]) {
      expect(existsSync(join(r.dataDir, "myid")), `${r.name} wrote a myid`).toBe(false);
      expect(existsSync(join(r.dataDir, "initialize")), `${r.name} wrote the initialize marker`).toBe(false);
    }
  });

  it("a dead voter whose client port is taken by a non-ZooKeeper service is still replaced, not kept beside a grown ensemble", async () => {
    const cluster = await bootEnsemble(harness);
    const [n1, n2, n3] = cluster.nodes as [TestNode, TestNode, TestNode];
    await stopNode(cluster, n1);
    await impostorOn(n1.clientPort);
    const r1 = await makeNode(harness, "r1");
    const prepared = await zkId(r1, [n1, n2, n3, r1], ["--dead-voter-grace", "2"]);
    expect(prepared.code, describeRun(prepared)).toBe(0);
    expect(prepared.json, describeRun(prepared)).toMatchObject({ id: 1, outcome: "replace" });
    const voters = (await membershipVia([n2, n3])).servers.filter((s) => s.role === "participant");
    expect(voters.map((s) => [s.id, s.clientPort])).toEqual([
      [1, r1.clientPort],
      [2, n2.clientPort],
      [3, n3.clientPort],
    ]);
  });

  it("a voter frozen past the grace (its process holds its ports) is not replaced: waking up, it would run beside its replacement under the same ID", async () => {
    const cluster = await bootEnsemble(harness);
    const [n1, n2, n3] = cluster.nodes as [TestNode, TestNode, TestNode];
    const frozen = cluster.servers.get(n1.name);
    expect(frozen).toBeDefined();
    process.kill(-frozen!.pid, "SIGSTOP");
    const r1 = await makeNode(harness, "r1");
    // Grace 2 s: long past the leader dropping the frozen follower (syncLimit 5 x tick 500 ms).
    const prepared = await zkId(r1, [n1, n2, n3, r1], ["--dead-voter-grace", "2"]);
    expect(prepared.code, describeRun(prepared)).toBe(0);
    expect(prepared.json, describeRun(prepared)).toMatchObject({ id: 4, outcome: "join" });
    process.kill(-frozen!.pid, "SIGCONT");
    const voters = (await membershipVia([n2, n3])).servers.filter((s) => s.role === "participant");
    expect(voters.map((s) => [s.id, s.clientPort])).toEqual([
      [1, n1.clientPort],
      [2, n2.clientPort],
      [3, n3.clientPort],
    ]);
  });
});
