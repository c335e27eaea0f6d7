/**
 * Real ZooKeeper servers on loopback for the zk-id tests: the Debian `zookeeper`
 * package's jar, small JVM heaps, free ports checked by binding, and every process
 * started here killed (by process group) in `stopAll`, which tests call from
 * afterEach so nothing outlives a failing test.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, openSync, closeSync, rmSync, readFileSync, existsSync } from "node:fs";
import { createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fourLetterWord, parseSrvr } from "../../src/zk/client/four-letter.js";

export const ZK_CLASSPATH = ["/usr/share/java/zookeeper.jar", "/usr/share/java/slf4j-simple.jar", "/usr/share/java/servlet-api.jar"].join(":");
export const ZK_JVM_FLAGS = ["-Xmx64m", "-Xms16m", "-XX:+UseSerialGC", "-Xss512k", "-XX:TieredStopAtLevel=1", "-XX:MaxMetaspaceSize=64m", "-XX:ReservedCodeCacheSize=32m", "-Xshare:auto"];

/** Ports for one node, distinct from every other port this process picked. */
export interface NodePorts {
  clientPort: number;
  quorumPort: number;
  electionPort: number;
}

const handedOut = new Set<number>();

/**
 * Each test file (and the bench) owns one block of ports, so suites running in
 * parallel never pick the same port: blocks of 500 from 20000, all below the
 * kernel's ephemeral range (32768+ on Linux). Numbers in use:
 * 0 zk-id-join, 1 zk-id-restart, 2 zk-id-auth, 3 zk-id-version-clash, 4 zk-claims,
 * 5 zk-client, 6 zk-id-ec2, 7 zk-ansible-role, 8 zk-id-quorum-loss,
 * 9 zk-id-dead-voter, 10 bench/zk-id-bench, 11 zk-id-hostile.
 */
export const PORT_BLOCK_SIZE = 500;
const PORT_BASE = 20_000;

/**
 * Free loopback ports from a file's block, different from every other port this
 * process handed out, checked by binding: a port from port 0 sits unbound until
 * the JVM starts, and in that gap any outgoing connection (ZooKeeper's own
 * election traffic) may take it, which cannot happen below the ephemeral range.
 */
export async function freePorts(count: number, portBlock: number): Promise<number[]> {
  const held: Array<ReturnType<typeof createServer>> = [];
  const ports: number[] = [];
  const first = PORT_BASE + portBlock * PORT_BLOCK_SIZE;
  for (let candidate = first; candidate < first + PORT_BLOCK_SIZE && ports.length < count; candidate++) {
    if (handedOut.has(candidate)) continue;
    const server = createServer();
    const ok = await new Promise<boolean>((resolve) => {
      server.once("error", () => resolve(false));
      server.listen(candidate, "127.0.0.1", () => resolve(true));
    });
    if (!ok) continue;
    held.push(server);
    ports.push((server.address() as AddressInfo).port);
  }
  await Promise.all(held.map((s) => new Promise((r) => s.close(r))));
  if (ports.length < count) throw new Error(`found only ${ports.length} of ${count} free ports in block ${portBlock}`);
  for (const p of ports) handedOut.add(p);
  return ports;
}

export interface RunningServer {
  name: string;
  pid: number;
  logFile: string;
  /** SIGKILL the process group and wait (bounded) for it to exit. */
  kill(): Promise<void>;
  exited: Promise<number | null>;
}

/** Owns temp dirs, ports and processes for one test file. */
export interface ZkHarness {
  /** Client, quorum and election port for one more node, from this harness's port block. */
  nodePorts(): Promise<NodePorts>;
  /** A fresh directory under this harness's temp root. */
  dir(name: string): string;
  /** Starts QuorumPeerMain on a zoo.cfg. */
  start(name: string, zooCfg: string, extraJvmFlags?: string[]): RunningServer;
  /** Kills every server started and not yet killed. */
  stopAll(): Promise<void>;
  /** Removes the temp root (after stopAll). */
  cleanup(): Promise<void>;
}

export function createZkHarness(portBlock: number, prefix = "mdeploy-zk-"): ZkHarness {
  const root = mkdtempSync(join(tmpdir(), prefix));
  const running = new Set<RunningServer>();
  let seq = 0;
  // Last resort if the worker ends without afterAll (crash, hook timeout): no JVM may outlive the test run.
  process.once("exit", () => {
    for (const s of running) {
      try {
        process.kill(-s.pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
  });
  return {
    async nodePorts() {
      const [clientPort, quorumPort, electionPort] = await freePorts(3, portBlock);
      return { clientPort: clientPort!, quorumPort: quorumPort!, electionPort: electionPort! };
    },
    dir(name) {
      return join(root, `${name}-${++seq}`);
    },
    start(name, zooCfg, extraJvmFlags = []) {
      const logFile = join(root, `${name}-${++seq}.log`);
      const fd = openSync(logFile, "a");
      const child: ChildProcess = spawn(
        "java",
        [...ZK_JVM_FLAGS, ...extraJvmFlags, "-cp", ZK_CLASSPATH, "org.apache.zookeeper.server.quorum.QuorumPeerMain", zooCfg],
        { detached: true, stdio: ["ignore", fd, fd] },
      );
      closeSync(fd);
      const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
      const pid = child.pid ?? -1;
      const server: RunningServer = {
        name,
        pid,
        logFile,
        exited,
        async kill() {
          running.delete(server);
          try {
            process.kill(-pid, "SIGKILL");
          } catch {
            // already gone
          }
          await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000))]);
        },
      };
      running.add(server);
      return server;
    },
    async stopAll() {
      await Promise.all([...running].map((s) => s.kill()));
    },
    async cleanup() {
      await this.stopAll();
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/** Polls `srvr` until the server reports a serving mode, bounded in time. */
export async function waitForMode(port: number, timeoutMs = 20_000, accept: (mode: string) => boolean = () => true, host = "127.0.0.1"): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let last = "";
  for (let i = 0; i < 400 && Date.now() < deadline; i++) {
    const reply = await fourLetterWord(host, port, "srvr", 1_000);
    const mode = reply ? parseSrvr(reply).mode : null;
    if (mode && accept(mode)) return mode;
    last = reply ?? "no answer";
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`server on ${host}:${port} not serving after ${timeoutMs} ms (last: ${last.split("\n")[0]})`);
}

/** The tail of a server's log, for failure messages. */
export function logTail(server: RunningServer, lines = 30): string {
  if (!existsSync(server.logFile)) return "";
  return readFileSync(server.logFile, "utf8").split("\n").slice(-lines).join("\n");
}
