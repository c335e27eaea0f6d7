import type { Command } from "commander";
import type { ZkIdFlags } from "../zk/zk-id-flags.js";
import type { CliContext } from "../core/ports/cli-context.js";
import { zkDataDir, zkPeers } from "./flag-checks.js";

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
    .option("--bootstrap", "static list or DNS: this is a new ensemble, a first bootstrap is allowed (still never beside a peer of an ensemble that formed)", false)
    .option("--target-size <n>", "voters the ensemble should keep; a joiner replaces a dead voter instead of growing past it (default: recorded in ZooKeeper by the first run that saw a quorum: the bootstrap size)")
    .option("--dead-voter-grace <seconds>", "a voter that answers on neither port and is not synced for this long is replaced by a joiner", "60")
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
    .option("--settle-timeout <seconds>", "a server without an ID that sees an existing ensemble without quorum waits this long for one, then exits 7", "30")
    .option("--poll-interval <ms>", "pause between checks while waiting", "250")
    .option("--claim-grace <seconds>", "an ID claim whose owner is gone is stale after this", "120")
    .option("--claim-ttl <seconds>", "any unfinished ID claim is stale after this", "900")
    .addHelpText("after", "\nZK_SUPER_PASSWORD (environment): ZooKeeper super-user password for reconfig;\nwithout it zoo.cfg sets skipACL=yes.\n")
    .action(async (flags: ZkIdFlags) => {
      const { zkIdFromFlags } = await import("../zk/zk-id-wiring.js");
      const { runZkId } = await import("../commands/zk-id.js");
      const { output, env } = context();
      const { options, deps } = await zkIdFromFlags(flags, { env, redactor: output.redactor });
      await runZkId(options, { ...deps, output });
    });
}
