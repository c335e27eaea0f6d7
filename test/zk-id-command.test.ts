import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import { createOutput } from "../src/cli/output.js";
import { runZkId, type ZkIdDeps, type ZkIdOptions } from "../src/commands/zk-id.js";
import type { Clock } from "../src/core/clock.js";
import { ConfigError } from "../src/errors.js";
import type { ServerStatus } from "../src/zk/client/four-letter.js";
import type { ServerAddress } from "../src/zk/members.js";
import type { Discovery } from "../src/zk/peers.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const addr = (host: string): ServerAddress => ({ host, clientPort: 2181, quorumPort: 2888, electionPort: 3888 });

function virtualClock(): Clock & { slept: number } {
  let t = 1_000_000;
  const clock = {
    slept: 0,
    now: () => t,
    sleep: async (ms: number) => {
      t += ms;
      clock.slept += ms;
    },
  };
  return clock;
}

function setup(opts: { discoveries: Discovery[]; status: (a: ServerAddress, round: number) => ServerStatus | null }) {
  const dir = mkdtempSync(join(tmpdir(), "mdeploy-zk-cmd-"));
  dirs.push(dir);
  const stderr: string[] = [];
  const sink = (into: string[]) => new Writable({ write: (c, _e, cb) => (into.push(String(c)), cb()) });
  const clock = virtualClock();
  let calls = 0;
  const deps: ZkIdDeps = {
    output: createOutput({ json: true, stdout: sink([]), stderr: sink(stderr) }),
    clock,
    discovery: { discover: async () => opts.discoveries[Math.min(calls++, opts.discoveries.length - 1)]! },
    identify: async () => ({ address: addr("10.0.0.2"), instanceId: null }),
    probe: async (a) => opts.status(a, calls),
    connect: async () => {
      throw new Error("no server should be asked for a session here");
    },
  };
  const options: ZkIdOptions = {
    action: "prepare",
    paths: { dataDir: join(dir, "data"), confDir: join(dir, "conf") },
    tickTimeMs: 2000,
    waitTimeoutMs: 60_000,
    settleMs: 30_000,
    syncTimeoutMs: 10_000,
    pollMs: 1_000,
    zkPath: "/mesos",
    superPassword: null,
    claimTimes: { graceMs: 1, ttlMs: 2 },
  };
  return { dir, deps, options, clock, stderr };
}

const three: Discovery = { source: "static list", peers: [addr("10.0.0.1"), addr("10.0.0.2"), addr("10.0.0.3")], expectedSize: 3 };

describe("zk-id prepare without a serving quorum (fakes, virtual clock)", () => {
  it("a server started after its peers waits for an election to settle, then bootstraps with the shared numbering", async () => {
    const notServing: ServerStatus = { mode: null, zxid: null };
    const { deps, options, clock, stderr } = setup({ discoveries: [three], status: (a) => (a.host === "10.0.0.1" ? notServing : null) });
    const result = await runZkId(options, deps);
    expect(result).toMatchObject({ id: 2, outcome: "bootstrap" });
    expect(clock.slept).toBeGreaterThanOrEqual(30_000);
    expect(clock.slept).toBeLessThan(32_000);
    expect(stderr.join("")).toMatch(/peers are running but none serves yet; waiting up to 30 s/);
    expect(existsSync(join(options.paths.dataDir, "initialize"))).toBe(true);
  });

  it("waits for discovery to find the expected number of servers before numbering", async () => {
    const two: Discovery = { ...three, peers: three.peers.slice(0, 2) };
    const { deps, options, clock } = setup({ discoveries: [two, two, three], status: () => null });
    const result = await runZkId(options, deps);
    expect(result).toMatchObject({ id: 2, outcome: "bootstrap" });
    expect(clock.slept).toBe(2_000);
    expect(readFileSync(join(options.paths.confDir, "zoo.cfg.dynamic"), "utf8")).toContain("server.3=10.0.0.3:2888:3888:participant;10.0.0.3:2181");
  });

  it("refuses after the wait when discovery never settles, writing nothing", async () => {
    const two: Discovery = { ...three, peers: three.peers.slice(0, 2) };
    const { deps, options } = setup({ discoveries: [two], status: () => null });
    await expect(runZkId(options, deps)).rejects.toThrow(/discovery found 2 server\(s\), expected 3 \(waited 60 s\)/);
    expect(existsSync(join(options.paths.dataDir, "myid"))).toBe(false);
  });

  it("a restarting server with an ID does not wait: it keeps its ID", async () => {
    const { deps, options, clock } = setup({ discoveries: [three], status: () => ({ mode: null, zxid: null }) });
    mkdirSync(join(options.paths.dataDir, "version-2"), { recursive: true });
    writeFileSync(join(options.paths.dataDir, "version-2", "log.100000001"), "x");
    writeFileSync(join(options.paths.dataDir, "myid"), "2\n");
    const result = await runZkId(options, deps);
    expect(result).toMatchObject({ id: 2, outcome: "keep" });
    expect(clock.slept).toBe(0);
    expect(existsSync(join(options.paths.dataDir, "initialize"))).toBe(false);
  });

  it("an unreadable myid is a config error naming the file", async () => {
    const { deps, options } = setup({ discoveries: [three], status: () => null });
    mkdirSync(options.paths.dataDir, { recursive: true });
    writeFileSync(join(options.paths.dataDir, "myid"), "two\n");
    const error = await runZkId(options, deps).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toBe(`${join(options.paths.dataDir, "myid")}: expected a server ID, found "two"`);
  });
});
