/**
 * Turns `mdeploy zk-id` flags into options and real adapters (ZooKeeper
 * client, four-letter and election-port probes, discovery). Flags are all
 * checked before anything is touched; every problem is listed at once.
 */
import { positiveNumberProblem, readPositiveNumber } from "../core/positive-number.js";
import { systemClock } from "../host/system-clock.js";
import type { Redactor } from "../core/redact.js";
import { UsageError } from "../errors.js";
import { probeElectionPort } from "./client/election-probe.js";
import { serverAccepts } from "./client/tcp-exchange.js";
import { fourLetterWord, parseMntr, probeSrvr } from "./client/four-letter.js";
import { createZkClient } from "./client/zk-client.js";
import type { ServerAddress } from "./members.js";
import { parsePeerList, parsePeerSpec, type PortDefaults } from "./peers.js";
import { dnsDiscovery, staticDiscovery } from "./discovery/static-dns.js";
import type { ZkIdFlags } from "./zk-id-flags.js";
import type { SelfIdentity, ZkIdAction, ZkIdDeps, ZkIdOptions } from "./zk-id-types.js";

/** What the wiring needs from the CLI: the environment and the redactor secrets must reach. */
export interface ZkIdEnvironment {
  env: NodeJS.ProcessEnv;
  redactor: Pick<Redactor, "add">;
}

/** A whole number from 1 (to `max`); a bad one is added to `problems`, so every bad flag is listed at once. */
function positiveInt(name: string, value: string, problems: string[], max?: number): number {
  const rule = max === undefined ? { whole: true } : { whole: true, max };
  const n = readPositiveNumber(value, rule);
  if (n === undefined) problems.push(positiveNumberProblem(name, value, rule));
  return n ?? Number.NaN;
}

/** Parses flags into options and builds the real adapters (everything but where output goes). */
export async function zkIdFromFlags(flags: ZkIdFlags, context: ZkIdEnvironment): Promise<{ options: ZkIdOptions; deps: Omit<ZkIdDeps, "log"> }> {
  const problems: string[] = [];
  const ports: PortDefaults = {
    clientPort: positiveInt("--client-port", flags.clientPort, problems, 65535),
    quorumPort: positiveInt("--quorum-port", flags.quorumPort, problems, 65535),
    electionPort: positiveInt("--election-port", flags.electionPort, problems, 65535),
  };
  const expectedSize = flags.ensembleSize === undefined ? null : positiveInt("--ensemble-size", flags.ensembleSize, problems, 254);
  const sources = [flags.peers && "--peers", flags.dns && "--dns", flags.ec2Asg && "--ec2-asg", flags.ec2Tag && "--ec2-tag"].filter(Boolean);
  if (sources.length !== 1) problems.push(`give exactly one discovery source (--peers, --dns, --ec2-asg or --ec2-tag)${sources.length ? `, not ${sources.join(" and ")}` : ""}`);
  const actionFlags = [flags.promote && "--promote", flags.leave && "--leave", flags.printZkUrl && "--print-zk-url"].filter(Boolean);
  if (actionFlags.length > 1) problems.push(`${actionFlags.join(", ")} do not go together`);
  let address: ServerAddress | null = null;
  if (flags.address !== undefined) {
    try {
      address = parsePeerSpec(flags.address, ports);
    } catch (error) {
      problems.push(`--address: ${(error as Error).message}`);
    }
  }
  const isEc2 = Boolean(flags.ec2Asg || flags.ec2Tag);
  if (!address && !isEc2) problems.push("--address is required unless discovery is EC2 (where instance metadata gives it)");
  let tag: { key: string; value: string } | undefined;
  if (flags.ec2Tag) {
    const i = flags.ec2Tag.indexOf("=");
    if (i < 1) problems.push(`--ec2-tag: expected key=value, got "${flags.ec2Tag}"`);
    else tag = { key: flags.ec2Tag.slice(0, i), value: flags.ec2Tag.slice(i + 1) };
  }
  if (isEc2 && flags.bootstrap) problems.push("--bootstrap is for --peers and --dns; with EC2 discovery the mdeploy:zk-ensemble-formed tag decides");
  const region = flags.awsRegion ?? context.env.AWS_REGION ?? context.env.AWS_DEFAULT_REGION;
  if (isEc2 && !region) problems.push("EC2 discovery needs a region: --aws-region or AWS_REGION");
  let staticPeers: ServerAddress[] = [];
  if (flags.peers) {
    const parsed = parsePeerList(flags.peers, ports);
    staticPeers = parsed.peers;
    problems.push(...parsed.problems.map((p) => `--peers: ${p}`));
  }
  const seconds = (name: string, v: string) => positiveInt(name, v, problems) * 1000;
  const options: ZkIdOptions = {
    action: (flags.promote ? "promote" : flags.leave ? "leave" : flags.printZkUrl ? "print-zk-url" : "prepare") as ZkIdAction,
    paths: { dataDir: flags.dataDir, confDir: flags.confDir },
    tickTimeMs: positiveInt("--tick-time", flags.tickTime, problems),
    waitTimeoutMs: seconds("--wait-timeout", flags.waitTimeout),
    syncTimeoutMs: seconds("--sync-timeout", flags.syncTimeout),
    settleMs: seconds("--settle-timeout", flags.settleTimeout),
    pollMs: positiveInt("--poll-interval", flags.pollInterval, problems),
    zkPath: flags.zkPath,
    superPassword: context.env.ZK_SUPER_PASSWORD || null,
    claimTimes: { graceMs: seconds("--claim-grace", flags.claimGrace), ttlMs: seconds("--claim-ttl", flags.claimTtl) },
    bootstrap: flags.bootstrap,
    deadVoterGraceMs: seconds("--dead-voter-grace", flags.deadVoterGrace),
    targetSize: flags.targetSize === undefined ? null : positiveInt("--target-size", flags.targetSize, problems, 254),
  };
  if (problems.length > 0) throw new UsageError(problems.length === 1 ? (problems[0] ?? "") : `${problems.length} problems with the zk-id flags`, problems.length === 1 ? [] : problems);

  let discovery: ZkIdDeps["discovery"];
  if (flags.peers) discovery = staticDiscovery(staticPeers, expectedSize);
  else if (flags.dns) discovery = dnsDiscovery(flags.dns, ports, expectedSize);
  else {
    const { createEc2Discovery } = await import("./discovery/ec2.js");
    const { AWS_ACCESS_KEY_ID: accessKeyId, AWS_SECRET_ACCESS_KEY: secretAccessKey, AWS_SESSION_TOKEN: sessionToken } = context.env;
    if (secretAccessKey) context.redactor.add(secretAccessKey);
    if (sessionToken) context.redactor.add(sessionToken);
    discovery = createEc2Discovery({
      region: region ?? "",
      ...(flags.awsEndpoint ? { endpoint: flags.awsEndpoint } : {}),
      ...(accessKeyId && secretAccessKey ? { credentials: { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) } } : {}),
      ports,
      ...(flags.ec2Asg ? { autoScalingGroup: flags.ec2Asg } : {}),
      ...(tag ? { tag } : {}),
      expectedSize,
    });
  }
  let identity: SelfIdentity | undefined;
  const identify = async (): Promise<SelfIdentity> => {
    if (identity) return identity;
    if (address && !isEc2) return (identity = { address, instanceId: null });
    const { readInstanceIdentity } = await import("./discovery/ec2.js");
    const me = await readInstanceIdentity(flags.imdsEndpoint);
    identity = { address: address ?? { host: me.privateIp, ...ports }, instanceId: me.instanceId };
    return identity;
  };
  const digestAuth = options.superPassword ? `super:${options.superPassword}` : undefined;
  const deps: Omit<ZkIdDeps, "log"> = {
    clock: systemClock,
    discovery,
    identify,
    probe: (a) => probeSrvr(a.host, a.clientPort),
    probeElection: (a) => probeElectionPort(a.host, a.electionPort),
    accepts: serverAccepts,
    monitor: async (a) => {
      const reply = await fourLetterWord(a.host, a.clientPort, "mntr");
      return reply === null || reply === "" ? null : parseMntr(reply);
    },
    connect: (servers) => createZkClient({ servers: servers.map((s) => `${s.host}:${s.clientPort}`), connectTimeoutMs: 3_000, sessionTimeoutMs: 10_000, ...(digestAuth ? { digestAuth } : {}) }),
  };
  return { options, deps };
}
