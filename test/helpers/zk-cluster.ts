/**
 * Shared steps of the zk-id acceptance tests: boot an ensemble through
 * `zk-id`, start a node's server, talk to the ensemble.
 */
import { expect } from "vitest";
import { createZkClient, type ZkClient } from "../../src/zk/client/zk-client.js";
import { parseMembership, type Membership } from "../../src/zk/members.js";
import { logTail, waitForMode, type RunningServer, type ZkHarness } from "./zk-ensemble.js";
import { describeRun, zkId } from "./zk-id-cli.js";
import { makeNode, type TestNode } from "./zk-nodes.js";

export interface Cluster {
  nodes: TestNode[];
  servers: Map<string, RunningServer>;
}

/** Starts a node's ZooKeeper and waits until it serves (or until `serving: false`). */
export async function startNode(harness: ZkHarness, cluster: Cluster, node: TestNode, waitServing = true): Promise<RunningServer> {
  const server = harness.start(node.name, node.zooCfg);
  cluster.servers.set(node.name, server);
  if (waitServing) {
    try {
      await waitForMode(node.clientPort, 30_000);
    } catch (error) {
      throw new Error(`${String(error)}\n--- ${node.name} log ---\n${logTail(server)}`);
    }
  }
  return server;
}

export async function stopNode(cluster: Cluster, node: TestNode): Promise<void> {
  await cluster.servers.get(node.name)?.kill();
  cluster.servers.delete(node.name);
}

/** Three (or n) fresh nodes, zk-id --bootstrap run on all at once, then every server started. */
export async function bootEnsemble(harness: ZkHarness, size = 3, env: Record<string, string> = {}): Promise<Cluster> {
  const nodes = await Promise.all(Array.from({ length: size }, (_, i) => makeNode(harness, `n${i + 1}`)));
  const runs = await Promise.all(nodes.map((n) => zkId(n, nodes, ["--bootstrap"], 60_000, env)));
  for (const run of runs) expect(run.code, describeRun(run)).toBe(0);
  const cluster: Cluster = { nodes, servers: new Map() };
  for (const n of nodes) await startNode(harness, cluster, n, false);
  try {
    await Promise.all(nodes.map((n) => waitForMode(n.clientPort, 30_000)));
  } catch (error) {
    throw new Error(`${String(error)}\n${[...cluster.servers.values()].map((s) => `--- ${s.name} ---\n${logTail(s)}`).join("\n")}`);
  }
  return cluster;
}

/** A session through the given nodes (only those), closed by the caller. */
export function connectTo(nodes: readonly TestNode[]): Promise<ZkClient> {
  return createZkClient({ servers: nodes.map((n) => n.client), connectTimeoutMs: 3_000, sessionTimeoutMs: 6_000 });
}

/** Runs `use` with a session, always closing it. */
export async function withClient<T>(nodes: readonly TestNode[], use: (zk: ZkClient) => Promise<T>): Promise<T> {
  const zk = await connectTo(nodes);
  try {
    return await use(zk);
  } finally {
    await zk.close();
  }
}

/** The committed membership read through these nodes (retried: a server that just changed role restarts its client service). */
export async function membershipVia(nodes: readonly TestNode[]): Promise<Membership> {
  return withClientEventually(nodes, async (zk) => {
    await zk.sync("/zookeeper/config");
    return parseMembership((await zk.getData("/zookeeper/config")).data.toString());
  });
}

/** Retries `use` with fresh sessions until it succeeds (an election in progress), bounded in time. */
export async function withClientEventually<T>(nodes: readonly TestNode[], use: (zk: ZkClient) => Promise<T>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (let i = 0; i < 200 && Date.now() < deadline; i++) {
    try {
      return await withClient(nodes, use);
    } catch (error) {
      lastError = error;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  throw new Error(`no success through ${nodes.map((n) => n.name).join(",")} within ${timeoutMs} ms: ${String(lastError)}`);
}
