import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import { createOutput } from "../src/cli/output.js";
import { runZkId, type ZkIdCommandDeps, type ZkIdOptions } from "../src/commands/zk-id.js";
import type { Clock } from "../src/core/ports/clock.js";
import { ConfigError, EnsembleWithoutQuorumError, ExitCode } from "../src/errors.js";
import type { ElectionReply } from "../src/zk/client/election-probe.js";
import type { ServerStatus } from "../src/zk/client/four-letter.js";
import { ZkConnectError } from "../src/zk/client/zk-client.js";
import { renderDynamicConfig, type ServerAddress } from "../src/zk/members.js";
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

const notServing: ServerStatus = { mode: null, zxid: null };

/** What a running peer answers on its election port: its membership (`ids` by host), config version and epoch. */
function electionReply(ids: Record<string, number>, version: bigint, peerEpoch = 0n): ElectionReply {
  const servers = Object.entries(ids).map(([host, id]) => ({ ...addr(host), id, role: "participant" as const }));
  return { state: "looking", votedFor: 1n, zxid: 0n, peerEpoch, config: `${renderDynamicConfig(servers)}version=${version.toString(16)}` };
}

interface Fakes {
  discoveries: Discovery[];
  status: (a: ServerAddress, round: number) => ServerStatus | null;
  election?: (a: ServerAddress, round: number) => ElectionReply | null;
  bootstrap?: boolean;
  /** Sessions: the default fails the test, since most cases must not ask for one. */
  connect?: ZkIdCommandDeps["connect"];
}

function setup(fakes: Fakes) {
  const dir = mkdtempSync(join(tmpdir(), "mdeploy-zk-cmd-"));
  dirs.push(dir);
  const stderr: string[] = [];
  const sink = (into: string[]) => new Writable({ write: (c, _e, cb) => (into.push(String(c)), cb()) });
  const clock = virtualClock();
  let calls = 0;
  const deps: ZkIdCommandDeps = {
    output: createOutput({ json: true, stdout: sink([]), stderr: sink(stderr) }),
    clock,
    discovery: { discover: async () => fakes.discoveries[Math.min(calls++, fakes.discoveries.length - 1)]! },
    identify: async () => ({ address: addr("10.0.0.2"), instanceId: null }),
    probe: async (a) => fakes.status(a, calls),
    probeElection: async (a) => fakes.election?.(a, calls) ?? null,
    accepts: async (a) => (await fakes.status(a, calls)) !== null,
    monitor: async () => {
      throw new Error("no server should be asked for mntr here");
    },
    connect:
      fakes.connect ??
      (async () => {
        throw new Error("no server should be asked for a session here");
      }),
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
    bootstrap: fakes.bootstrap ?? true,
    deadVoterGraceMs: 60_000,
    targetSize: null,
  };
  return { dir, deps, options, clock, stderr };
}

const three: Discovery = { source: "static list", peers: [addr("10.0.0.1"), addr("10.0.0.2"), addr("10.0.0.3")], expectedSize: 3, gate: { kind: "flag" } };
const bootstrapIds = { "10.0.0.1": 1, "10.0.0.2": 2, "10.0.0.3": 3 };

describe("zk-id prepare without a serving quorum (fakes, virtual clock)", () => {
  it("a server started after peers that bootstrapped the same ensemble (config version 0, no epoch) bootstraps at once", async () => {
    const { deps, options, clock } = setup({ discoveries: [three], status: (a) => (a.host === "10.0.0.1" ? notServing : null), election: () => electionReply(bootstrapIds, 0n) });
    const result = await runZkId(options, deps);
    expect(result).toMatchObject({ id: 2, outcome: "bootstrap" });
    expect(clock.slept).toBe(0);
    expect(existsSync(join(options.paths.dataDir, "initialize"))).toBe(true);
  });

  it("a survivor of an ensemble that formed blocks the bootstrap: it waits the stated time, exits 7 and writes nothing", async () => {
    const { deps, options, clock, stderr } = setup({
      discoveries: [three],
      status: (a) => (a.host === "10.0.0.3" ? notServing : null),
      election: (a) => (a.host === "10.0.0.3" ? electionReply(bootstrapIds, 0x100000000n, 1n) : null),
    });
    const error = await runZkId(options, deps).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EnsembleWithoutQuorumError);
    expect((error as EnsembleWithoutQuorumError).exitCode).toBe(ExitCode.ensembleWithoutQuorum);
    expect((error as Error).message).toMatch(/^not bootstrapping: 10\.0\.0\.3:2181 .* \(ID 3\) belongs to an ensemble that formed \(config version 100000000, epoch 1\); no quorum served within 30 s\. Bring back a member with its data/);
    expect(clock.slept).toBeGreaterThanOrEqual(30_000);
    expect(clock.slept).toBeLessThan(32_000);
    expect(stderr.join("")).toMatch(/waiting up to 30 s for a quorum/);
    expect(existsSync(join(options.paths.dataDir, "myid"))).toBe(false);
  });

  it("a survivor that still says it serves but grants no session (its quorum just went) is taken as without quorum: exit 7", async () => {
    const { deps, options } = setup({
      discoveries: [three],
      status: (a, round) => (a.host !== "10.0.0.3" ? null : round <= 1 ? { mode: "follower", zxid: 0x100000002n } : notServing),
      election: (a) => (a.host === "10.0.0.3" ? electionReply(bootstrapIds, 0x100000000n, 1n) : null),
      connect: async () => {
        throw new ZkConnectError(["10.0.0.3:2181: connection closed during handshake (server not serving)"]);
      },
    });
    await expect(runZkId(options, deps)).rejects.toThrow(/not bootstrapping: 10\.0\.0\.3:2181 .* \(ID 3\) belongs to an ensemble that formed/);
    expect(existsSync(join(options.paths.dataDir, "myid"))).toBe(false);
  });

  it("a running peer that reports an ID the numbering would give someone else blocks the bootstrap", async () => {
    const { deps, options } = setup({ discoveries: [three], status: (a) => (a.host === "10.0.0.1" ? notServing : null), election: () => electionReply({ "10.0.0.1": 2, "10.0.0.2": 1, "10.0.0.3": 3 }, 0n) });
    await expect(runZkId(options, deps)).rejects.toThrow(/10\.0\.0\.1:2181 .* runs as ID 2, but this node would number it 1/);
    expect(existsSync(join(options.paths.dataDir, "myid"))).toBe(false);
  });

  it("without --bootstrap a static list never bootstraps, even with nobody running", async () => {
    const { deps, options } = setup({ discoveries: [three], status: () => null, bootstrap: false });
    await expect(runZkId(options, deps)).rejects.toThrow(/not bootstrapping: nothing marks this as a first bootstrap \(--bootstrap not given\)/);
    expect(existsSync(join(options.paths.dataDir, "myid"))).toBe(false);
  });

  it("an EC2 group tagged as formed never bootstraps", async () => {
    const tagged: Discovery = { ...three, gate: { kind: "marker", formedMarker: "tag mdeploy:zk-ensemble-formed on autoscaling group zk" } };
    const { deps, options } = setup({ discoveries: [tagged], status: () => null, bootstrap: false });
    await expect(runZkId(options, deps)).rejects.toThrow(/tag mdeploy:zk-ensemble-formed on autoscaling group zk says the ensemble formed before/);
  });

  it("a peer that runs but has not answered on its election port yet is asked again, not taken as absent", async () => {
    const { deps, options, clock } = setup({ discoveries: [three], status: (a) => (a.host === "10.0.0.1" ? notServing : null), election: (_a, round) => (round < 3 ? null : electionReply(bootstrapIds, 0n)) });
    const result = await runZkId(options, deps);
    expect(result).toMatchObject({ id: 2, outcome: "bootstrap" });
    expect(clock.slept).toBe(2_000);
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
    const { deps, options, clock } = setup({ discoveries: [three], status: () => notServing });
    mkdirSync(join(options.paths.dataDir, "version-2"), { recursive: true });
    writeFileSync(join(options.paths.dataDir, "version-2", "log.100000001"), "x");
    writeFileSync(join(options.paths.dataDir, "myid"), "2\n");
    const result = await runZkId(options, deps);
    expect(result).toMatchObject({ id: 2, outcome: "keep" });
    expect(clock.slept).toBe(0);
    expect(existsSync(join(options.paths.dataDir, "initialize"))).toBe(false);
  });

  it("a server whose myid a running peer reports as its own refuses to start (a copied disk)", async () => {
    const { deps, options } = setup({ discoveries: [three], status: (a) => (a.host === "10.0.0.3" ? notServing : null), election: (a) => (a.host === "10.0.0.3" ? electionReply({ "10.0.0.1": 1, "10.0.0.3": 2 }, 0x100000000n, 1n) : null) });
    mkdirSync(options.paths.dataDir, { recursive: true });
    writeFileSync(join(options.paths.dataDir, "myid"), "2\n");
    await expect(runZkId(options, deps)).rejects.toThrow(/^ID 2 in myid is the ID running server 10\.0\.0\.3:2181 .* reports as its own; starting would duplicate it/);
    expect(existsSync(options.paths.confDir)).toBe(false);
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
