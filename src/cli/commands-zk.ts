import type { Command } from "commander";
import type { CliContext } from "./context.js";
import { zkDataDir, zkPeers } from "./flag-checks.js";

/** Flags of `mdeploy zk-id`, as commander hands them over. */
export interface ZkIdFlags {
  dataDir: string;
  confDir: string;
  address?: string;
  clientPort: string;
  quorumPort: string;
  electionPort: string;
  peers?: string;
  dns?: string;
  ec2Asg?: string;
  ec2Tag?: string;
  ensembleSize?: string;
  awsRegion?: string;
  awsEndpoint?: string;
  imdsEndpoint?: string;
  promote: boolean;
  leave: boolean;
  printZkUrl: boolean;
  zkPath: string;
  tickTime: string;
  waitTimeout: string;
  syncTimeout: string;
  settleTimeout: string;
  pollInterval: string;
  claimGrace: string;
  claimTtl: string;
}

/** Registers `mdeploy zk-id`; its implementation (and the AWS SDK) loads only when it runs. */
export function registerZkCommands(program: Command, context: () => CliContext): void {
  program
    .command("zk-id")
    .description("discover this node's ZooKeeper ID before ZooKeeper starts; write myid, zoo.cfg and the dynamic membership file")
    .option("--data-dir <dir>", "ZooKeeper dataDir (myid, version-2)", zkDataDir, "/var/lib/zookeeper")
    .option("--conf-dir <dir>", "where zoo.cfg and the dynamic membership file live", "/etc/zookeeper/conf")
    .option("--address <host[:ports]>", "this server's address, host[:client[:quorum[:election]]] (default on EC2: its private IP from instance metadata)")
    .option("--client-port <port>", "client port of every server unless given per address", "2181")
    .option("--quorum-port <port>", "quorum port of every server unless given per address", "2888")
    .option("--election-port <port>", "election port of every server unless given per address", "3888")
    .option("--peers <list>", "discovery: comma-separated host[:client[:quorum[:election]]] of every server", zkPeers)
    .option("--dns <name>", "discovery: a name with one A record per server")
    .option("--ec2-asg <name>", "discovery: running instances of this autoscaling group")
    .option("--ec2-tag <key=value>", "discovery: running instances with this tag")
    .option("--ensemble-size <n>", "servers expected at first bootstrap (default: the list, the DNS records or the ASG desired capacity)")
    .option("--aws-region <region>", "AWS region (default AWS_REGION)")
    .option("--aws-endpoint <url>", "EC2 and Auto Scaling endpoint override (a local fake in tests)")
    .option("--imds-endpoint <url>", "instance metadata endpoint override", "http://169.254.169.254")
    .option("--promote", "after ZooKeeper started as an observer: wait until it synced, then add it as a participant", false)
    .option("--leave", "before this server goes away for good (scale-in): remove it from the ensemble", false)
    .option("--print-zk-url", "print the zk:// connection string for the current members (Mesos, Marathon)", false)
    .option("--zk-path <path>", "path part of the zk:// string", "/mesos")
    .option("--tick-time <ms>", "ZooKeeper tickTime written to zoo.cfg", "2000")
    .option("--wait-timeout <seconds>", "longest wait for bootstrap discovery or another joiner", "300")
    .option("--sync-timeout <seconds>", "longest wait for this server to sync before --promote gives up", "120")
    .option("--settle-timeout <seconds>", "a server without an ID waits this long for running peers to elect a leader before it bootstraps", "30")
    .option("--poll-interval <ms>", "pause between checks while waiting", "1000")
    .option("--claim-grace <seconds>", "an ID claim whose owner is gone is stale after this", "120")
    .option("--claim-ttl <seconds>", "any unfinished ID claim is stale after this", "900")
    .addHelpText("after", "\nZK_SUPER_PASSWORD (environment): ZooKeeper super-user password for reconfig;\nwithout it zoo.cfg sets skipACL=yes.\n")
    .action(async (flags: ZkIdFlags) => {
      const { runZkIdFromFlags } = await import("../zk/zk-id-wiring.js");
      await runZkIdFromFlags(flags, context());
    });
}
