#!/usr/bin/env node
/**
 * How fast `mdeploy zk-id` gets real ZooKeeper 3.8 servers (Debian's package, on
 * loopback) serving as participants. Per node, the clock starts when its zk-id
 * starts and stops when `srvr` says leader or follower; in between the node runs
 * what a host's boot script runs: zk-id, ZooKeeper, and `zk-id --promote` when
 * zk-id asks for it. Budget: every node under 5 s, in four shapes:
 *
 *   bootstrap-3   three fresh nodes started together (--bootstrap)
 *   bootstrap-5   five fresh nodes started together (--bootstrap)
 *   staggered-3   three fresh nodes started 1.5 s apart (--bootstrap)
 *   joiners-3     three fresh nodes joining a serving three-node ensemble together
 *
 * and, for reference (no budget), reference-5: five servers with hand-written config
 * started together, which shows what the JVMs alone cost on this machine right now.
 *
 * Prints each run's slowest node and a summary per shape with the load average,
 * since the machine may be shared: the figures are what was measured, not a promise.
 * Every server started here is killed (process group) before the next run.
 *
 * Usage: npm run build && node bench/zk-id-bench.mjs [runs]   (default: 10 runs of the 5-node shapes, 3 of the others)
 * Exit status 1 when any node was over budget.
 */
/* global performance */
import { spawn } from "node:child_process";
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { fourLetterWord, parseSrvr } from "../dist/zk/client/four-letter.js";
import { renderDynamicConfig } from "../dist/zk/members.js";
import { renderStaticConfig } from "../dist/zk/static-config.js";

const BUDGET_MS = 5_000;
const runsArg = process.argv[2] ? Number(process.argv[2]) : null;
const cli = fileURLToPath(new URL("../dist/bundle/mdeploy.js", import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), "mdeploy-zk-bench-"));
const CLASSPATH = ["/usr/share/java/zookeeper.jar", "/usr/share/java/slf4j-simple.jar", "/usr/share/java/servlet-api.jar"].join(":");
const JVM = ["-Xmx64m", "-Xms16m", "-XX:+UseSerialGC", "-Xss512k", "-XX:TieredStopAtLevel=1", "-XX:MaxMetaspaceSize=64m", "-XX:ReservedCodeCacheSize=32m", "-Xshare:auto"];
// Port block 10 of the ZooKeeper tests' scheme (test/helpers/zk-ensemble.ts): 25000-25499, below the ephemeral range.
const PORT_FIRST = 25_000;
const PORT_END = 25_500;
let nextPort = PORT_FIRST;
const servers = new Set();
let seq = 0;

async function freePort() {
  for (let tries = 0; tries < PORT_END - PORT_FIRST; tries++) {
    const port = nextPort;
    nextPort = nextPort + 1 >= PORT_END ? PORT_FIRST : nextPort + 1;
    const probe = createServer();
    const ok = await new Promise((resolve) => {
      probe.once("error", () => resolve(false));
      probe.listen(port, "127.0.0.1", () => resolve(true));
    });
    if (ok) {
      await new Promise((resolve) => probe.close(resolve));
      return port;
    }
  }
  throw new Error("no free port in the bench's block");
}

async function makeNode(name) {
  const base = join(scratch, `${name}-${++seq}`);
  const node = { name, host: "127.0.0.1", clientPort: await freePort(), quorumPort: await freePort(), electionPort: await freePort(), dataDir: join(base, "data"), confDir: join(base, "conf"), log: `${base}.log` };
  mkdirSync(node.dataDir, { recursive: true });
  mkdirSync(node.confDir, { recursive: true });
  node.spec = `${node.host}:${node.clientPort}:${node.quorumPort}:${node.electionPort}`;
  return node;
}

function run(command, args) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), 90_000);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

const zkId = (node, peers, extra = []) =>
  run(process.execPath, [cli, "--json", "zk-id", "--data-dir", node.dataDir, "--conf-dir", node.confDir, "--address", node.spec, "--peers", peers.map((p) => p.spec).join(","), "--tick-time", "500", ...extra]);

function startServer(node) {
  const fd = openSync(node.log, "a");
  const child = spawn("java", [...JVM, "-cp", CLASSPATH, "org.apache.zookeeper.server.quorum.QuorumPeerMain", join(node.confDir, "zoo.cfg")], { detached: true, stdio: ["ignore", fd, fd] });
  closeSync(fd);
  const exited = new Promise((resolve) => child.once("exit", resolve));
  servers.add({ pid: child.pid, exited });
}

async function killAll() {
  const all = [...servers];
  servers.clear();
  for (const s of all) {
    try {
      process.kill(-s.pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
  await Promise.all(all.map((s) => Promise.race([s.exited, new Promise((r) => setTimeout(r, 5_000))])));
}
process.once("exit", () => {
  for (const s of servers) {
    try {
      process.kill(-s.pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
});

async function participantMode(node, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const reply = await fourLetterWord(node.host, node.clientPort, "srvr", 1_000);
    const mode = reply ? parseSrvr(reply).mode : null;
    if (mode === "leader" || mode === "follower") return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`${node.name} not serving as a participant after ${timeoutMs} ms; log ${node.log}`);
}

/** One node's boot: zk-id, ZooKeeper, --promote when asked; ms from zk-id start to participant, and where they went. */
async function boot(node, peers, extra) {
  const started = performance.now();
  const prepared = await zkId(node, peers, extra);
  if (prepared.code !== 0) throw new Error(`${node.name}: zk-id exited ${prepared.code}: ${prepared.stderr.trim()}`);
  const zkIdMs = performance.now() - started;
  startServer(node);
  let promoteMs = 0;
  if (JSON.parse(prepared.stdout).promoteAfterStart) {
    const promoting = performance.now();
    const promoted = await zkId(node, peers, ["--promote"]);
    if (promoted.code !== 0) throw new Error(`${node.name}: zk-id --promote exited ${promoted.code}: ${promoted.stderr.trim()}`);
    promoteMs = performance.now() - promoting;
  }
  await participantMode(node);
  const total = performance.now() - started;
  return { total, detail: `zk-id ${fmt(zkIdMs)}${promoteMs ? `, --promote ${fmt(promoteMs)}` : ""}, ${JSON.parse(prepared.stdout).outcome}` };
}

const fmt = (ms) => `${(ms / 1000).toFixed(2)} s`;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** The reference: the same servers with myid and config written by hand, no zk-id at all. */
async function bootHandWritten(node, id, specs) {
  const started = performance.now();
  writeFileSync(join(node.dataDir, "myid"), `${id}\n`);
  writeFileSync(join(node.dataDir, "initialize"), "");
  const dynamicConfigFile = join(node.confDir, "zoo.cfg.dynamic");
  writeFileSync(dynamicConfigFile, renderDynamicConfig(specs));
  writeFileSync(join(node.confDir, "zoo.cfg"), renderStaticConfig({ dataDir: node.dataDir, dynamicConfigFile, tickTimeMs: 500, superDigest: null }));
  startServer(node);
  await participantMode(node);
  return { total: performance.now() - started, detail: "hand-written config, no zk-id" };
}

const shapes = {
  "reference-5": async () => {
    const nodes = await Promise.all([1, 2, 3, 4, 5].map((i) => makeNode(`h${i}`)));
    const specs = nodes.map((n, i) => ({ id: i + 1, role: "participant", host: n.host, clientPort: n.clientPort, quorumPort: n.quorumPort, electionPort: n.electionPort }));
    return Promise.all(nodes.map((n, i) => bootHandWritten(n, i + 1, specs)));
  },
  "bootstrap-3": async () => {
    const nodes = await Promise.all([1, 2, 3].map((i) => makeNode(`b${i}`)));
    return Promise.all(nodes.map((n) => boot(n, nodes, ["--bootstrap"])));
  },
  "bootstrap-5": async () => {
    const nodes = await Promise.all([1, 2, 3, 4, 5].map((i) => makeNode(`f${i}`)));
    return Promise.all(nodes.map((n) => boot(n, nodes, ["--bootstrap"])));
  },
  "staggered-3": async () => {
    const nodes = await Promise.all([1, 2, 3].map((i) => makeNode(`s${i}`)));
    return Promise.all(nodes.map(async (n, i) => (await sleep(1_500 * i), boot(n, nodes, ["--bootstrap"]))));
  },
  "joiners-3": async () => {
    const first = await Promise.all([1, 2, 3].map((i) => makeNode(`e${i}`)));
    await Promise.all(first.map((n) => boot(n, first, ["--bootstrap"])));
    const joiners = await Promise.all([1, 2, 3].map((i) => makeNode(`j${i}`)));
    const everyone = [...first, ...joiners];
    return Promise.all(joiners.map((n) => boot(n, everyone, [])));
  },
};

let over = false;
const summary = [];
try {
  for (const [shape, once] of Object.entries(shapes)) {
    const runs = runsArg ?? (shape === "bootstrap-5" || shape === "reference-5" ? 10 : 3);
    const slowest = [];
    for (let i = 1; i <= runs; i++) {
      const load = loadavg()[0].toFixed(2);
      const nodes = await once().finally(killAll);
      const worst = nodes.reduce((a, b) => (b.total > a.total ? b : a));
      slowest.push(worst.total);
      const flag = worst.total < BUDGET_MS || shape.startsWith("reference") ? "" : "  OVER BUDGET";
      console.log(`${shape} run ${i}/${runs}: nodes ${nodes.map((n) => fmt(n.total)).join(", ")}; slowest ${fmt(worst.total)} (${worst.detail})${flag} (load ${load})`);
    }
    const within = slowest.filter((t) => t < BUDGET_MS).length;
    if (within < runs && !shape.startsWith("reference")) over = true;
    summary.push(`${shape}: ${within}/${runs} runs with every node a participant in < ${BUDGET_MS / 1000} s; slowest node per run: median ${fmt(slowest.sort((a, b) => a - b)[Math.floor(runs / 2)])}, max ${fmt(slowest[runs - 1])}`);
  }
} finally {
  await killAll();
  rmSync(scratch, { recursive: true, force: true });
}
console.log(`\nload average (1, 5, 15 min) at the end: ${loadavg().map((l) => l.toFixed(2)).join(", ")} on ${(await import("node:os")).cpus().length} cores`);
for (const line of summary) console.log(line);
process.exitCode = over ? 1 : 0;
