import { Writable } from "node:stream";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { createOutput } from "../src/cli/output.js";
import { runZkId, type ZkIdCommandDeps, type ZkIdOptions } from "../src/commands/zk-id.js";
import { systemClock } from "../src/host/system-clock.js";
import { probeElectionPort } from "../src/zk/client/election-probe.js";
import { serverAccepts } from "../src/zk/client/tcp-exchange.js";
import { fourLetterWord, parseMntr, probeSrvr } from "../src/zk/client/four-letter.js";
import { createZkClient, type ZkClient } from "../src/zk/client/zk-client.js";
import { staticDiscovery } from "../src/zk/discovery/static-dns.js";
import { createZkHarness } from "./helpers/zk-ensemble.js";
import { bootEnsemble, membershipVia, startNode } from "./helpers/zk-cluster.js";
import { describeRun, zkId } from "./helpers/zk-id-cli.js";
import { makeNode, type TestNode } from "./helpers/zk-nodes.js";

const harness = createZkHarness(3);
afterEach(async () => {
  await harness.stopAll();
});
afterAll(async () => {
  await harness.cleanup();
});

const address = (n: TestNode) => ({ host: n.host, clientPort: n.clientPort, quorumPort: n.quorumPort, electionPort: n.electionPort });

describe("zk-id --promote under a concurrent membership change (real ZooKeeper)", { timeout: 90_000 }, () => {
  it("retries its version-checked reconfig after a version clash and still ends as a participant", async () => {
    const cluster = await bootEnsemble(harness);
    const d = await makeNode(harness, "d");
    const everyone = [...cluster.nodes, d];
    const prepared = await zkId(d, everyone);
    expect(prepared.code, describeRun(prepared)).toBe(0);
    await startNode(harness, cluster, d);

    // Someone else changes the membership between our read and our reconfig, once.
    let clashes = 0;
    const clashing = (zk: ZkClient): ZkClient => ({
      ...zk,
      server: zk.server,
      sessionId: zk.sessionId,
      async reconfig(change) {
        if (change.joining && clashes === 0) {
          clashes++;
          await zk.reconfig({ joining: "server.9=127.0.0.1:1:2:observer;127.0.0.1:3", fromConfigVersion: -1n });
        }
        return zk.reconfig(change);
      },
    });
    const stderr: string[] = [];
    const deps: ZkIdCommandDeps = {
      output: createOutput({ json: true, stdout: new Writable({ write: (_c, _e, cb) => cb() }), stderr: new Writable({ write: (c, _e, cb) => (stderr.push(String(c)), cb()) }) }),
      clock: systemClock,
      discovery: staticDiscovery(everyone.map(address), null),
      identify: async () => ({ address: address(d), instanceId: null }),
      probe: (a) => probeSrvr(a.host, a.clientPort),
      probeElection: (a) => probeElectionPort(a.host, a.electionPort),
      accepts: serverAccepts,
      monitor: async (a) => {
        const reply = await fourLetterWord(a.host, a.clientPort, "mntr");
        return reply ? parseMntr(reply) : null;
      },
      connect: async (servers) => clashing(await createZkClient({ servers: servers.map((s) => `${s.host}:${s.clientPort}`) })),
    };
    const options: ZkIdOptions = {
      action: "promote",
      paths: { dataDir: d.dataDir, confDir: d.confDir },
      tickTimeMs: 500,
      waitTimeoutMs: 20_000,
      settleMs: 5_000,
      syncTimeoutMs: 20_000,
      pollMs: 200,
      zkPath: "/mesos",
      superPassword: null,
      claimTimes: { graceMs: 120_000, ttlMs: 900_000 },
      bootstrap: false,
      deadVoterGraceMs: 60_000,
      targetSize: null,
    };
    const result = await runZkId(options, deps);
    expect(result).toMatchObject({ id: 4, outcome: "participant" });
    expect(clashes).toBe(1);
    expect(stderr.join("")).toMatch(/membership changed under the reconfig \(ZooKeeper reconfig add server\.4=.*: BadVersion\); retrying/);
    const m = await membershipVia(cluster.nodes);
    expect(m.servers.map((s) => [s.id, s.role])).toEqual([
      [1, "participant"],
      [2, "participant"],
      [3, "participant"],
      [4, "participant"],
      [9, "observer"],
    ]);
  });
});
