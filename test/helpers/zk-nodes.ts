/**
 * Builds loopback ZooKeeper nodes for tests: ports, directories, and zoo.cfg
 * files written the way `zk-id` writes them (for tests that start an ensemble
 * directly, without going through the command).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { renderDynamicConfig, type ServerSpec } from "../../src/zk/members.js";
import { renderStaticConfig } from "../../src/zk/static-config.js";
import { logTail, waitForMode, type NodePorts, type ZkHarness } from "./zk-ensemble.js";

export interface TestNode extends NodePorts {
  name: string;
  host: string;
  dataDir: string;
  confDir: string;
  zooCfg: string;
  /** `host:clientPort:quorumPort:electionPort`, the form `--peers` and `--address` take. */
  peerSpec: string;
  client: string;
}

/** A fresh node: its own ports and empty directories. */
export async function makeNode(harness: ZkHarness, name: string): Promise<TestNode> {
  const ports = await harness.nodePorts();
  const base = harness.dir(name);
  const dataDir = join(base, "data");
  const confDir = join(base, "conf");
  mkdirSync(dataDir, { recursive: true });
  mkdirSync(confDir, { recursive: true });
  const host = "127.0.0.1";
  return {
    name,
    host,
    ...ports,
    dataDir,
    confDir,
    zooCfg: join(confDir, "zoo.cfg"),
    peerSpec: `${host}:${ports.clientPort}:${ports.quorumPort}:${ports.electionPort}`,
    client: `${host}:${ports.clientPort}`,
  };
}

export function specOf(node: TestNode, id: number, role: ServerSpec["role"] = "participant"): ServerSpec {
  return { id, role, host: node.host, clientPort: node.clientPort, quorumPort: node.quorumPort, electionPort: node.electionPort };
}

/** Writes myid, zoo.cfg, the dynamic file and the initialize marker by hand (no zk-id). */
export function writeNodeFiles(node: TestNode, id: number, servers: ServerSpec[], tickTimeMs = 500): void {
  writeFileSync(join(node.dataDir, "myid"), `${id}\n`);
  writeFileSync(join(node.dataDir, "initialize"), "");
  const dynamicFile = join(node.confDir, "zoo.cfg.dynamic");
  writeFileSync(dynamicFile, renderDynamicConfig(servers));
  writeFileSync(node.zooCfg, renderStaticConfig({ dataDir: node.dataDir, dynamicConfigFile: dynamicFile, tickTimeMs, superDigest: null }));
}

/** Three (or more) nodes configured by hand with IDs 1..n, started, and serving. */
export async function startHandWrittenEnsemble(harness: ZkHarness, names: readonly string[] = ["a", "b", "c"]): Promise<TestNode[]> {
  const nodes = await Promise.all(names.map((n) => makeNode(harness, n)));
  const specs = nodes.map((n, i) => specOf(n, i + 1));
  nodes.forEach((n, i) => writeNodeFiles(n, i + 1, specs));
  const servers = nodes.map((n) => harness.start(n.name, n.zooCfg));
  try {
    await Promise.all(nodes.map((n) => waitForMode(n.clientPort)));
  } catch (error) {
    throw new Error(`${String(error)}\n${servers.map((s) => logTail(s)).join("\n")}`);
  }
  return nodes;
}
