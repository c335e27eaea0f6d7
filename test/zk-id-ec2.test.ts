import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { freePorts } from "./helpers/zk-ensemble.js";
import { startFakeEc2, type FakeInstance } from "./helpers/zk-fake-ec2.js";
import { runCli } from "./helpers/run-cli.js";

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const SECRET = "wJalrXUtnFEMI-test-secret-key";
const awsEnv = { AWS_ACCESS_KEY_ID: "AKIDTESTKEY", AWS_SECRET_ACCESS_KEY: SECRET, AWS_REGION: "eu-west-1", AWS_EC2_METADATA_DISABLED: "true" };

/** Loopback addresses stand in for private IPs; nothing listens on the chosen ports, so no quorum serves. */
const instances: FakeInstance[] = [
  { id: "i-0ccc", ip: "127.0.0.13", state: "running", launchTime: "2026-01-01T10:02:00.000Z", tags: { zkid: "1" } },
  { id: "i-0aaa", ip: "127.0.0.11", state: "running", launchTime: "2026-01-01T10:00:00.000Z" },
  { id: "i-0ddd", ip: "127.0.0.14", state: "terminated", launchTime: "2026-01-01T09:00:00.000Z", lifecycle: "Terminating" },
  { id: "i-0bbb", ip: "127.0.0.12", state: "running", launchTime: "2026-01-01T10:01:00.000Z" },
];

async function setup(self: { id: string; ip: string }, failWith?: { status: number; code: string; message: string }, groupTags?: Record<string, string>) {
  const fake = await startFakeEc2({ group: { name: "zk-asg", desired: 3, ...(groupTags ? { tags: groupTags } : {}) }, instances, self, ...(failWith ? { failWith } : {}) });
  cleanups.push(() => fake.close());
  const dir = mkdtempSync(join(tmpdir(), "mdeploy-zk-ec2-"));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const [clientPort, quorumPort, electionPort] = await freePorts(3, 6);
  const args = [
    "--json",
    "zk-id",
    "--data-dir",
    join(dir, "data"),
    "--conf-dir",
    join(dir, "conf"),
    "--aws-endpoint",
    fake.url,
    "--imds-endpoint",
    fake.url,
    "--client-port",
    String(clientPort),
    "--quorum-port",
    String(quorumPort),
    "--election-port",
    String(electionPort),
    "--wait-timeout",
    "2",
    "--poll-interval",
    "200",
  ];
  return { fake, dir, args, ports: { clientPort, quorumPort, electionPort } };
}

describe("zk-id with EC2 discovery (fake EC2, Auto Scaling and instance metadata on loopback)", () => {
  it("numbers the running instances of the autoscaling group by launch time, honouring the old zkid tag", async () => {
    const { fake, dir, args, ports } = await setup({ id: "i-0bbb", ip: "127.0.0.12" });
    const run = await runCli([...args, "--ec2-asg", "zk-asg"], { env: awsEnv, timeoutMs: 30_000 });
    expect(run.code, run.stderr).toBe(0);
    // i-0ccc keeps its tag (1); i-0aaa then i-0bbb take 2 and 3 by launch time; the terminated one is ignored.
    expect(JSON.parse(run.stdout)).toMatchObject({ id: 3, outcome: "bootstrap", promoteAfterStart: false });
    expect(readFileSync(join(dir, "data", "myid"), "utf8")).toBe("3\n");
    const p = `${ports.quorumPort}:${ports.electionPort}:participant`;
    expect(readFileSync(join(dir, "conf", "zoo.cfg.dynamic"), "utf8")).toBe(
      [`server.1=127.0.0.13:${p};127.0.0.13:${ports.clientPort}`, `server.2=127.0.0.11:${p};127.0.0.11:${ports.clientPort}`, `server.3=127.0.0.12:${p};127.0.0.12:${ports.clientPort}`, ""].join("\n"),
    );
    expect(readFileSync(join(dir, "data", "initialize"), "utf8")).toBe("");
    const asg = fake.actions.find((a) => a.get("Action") === "DescribeAutoScalingGroups");
    expect(asg?.get("AutoScalingGroupNames.member.1")).toBe("zk-asg");
    const ec2 = fake.actions.find((a) => a.get("Action") === "DescribeInstances");
    expect(ec2?.get("Filter.1.Name")).toBe("instance-state-name");
    expect(ec2?.get("Filter.1.Value.1")).toBe("running");
    expect(fake.unexpected).toEqual([]);
    expect(run.stdout + run.stderr).not.toContain(SECRET);
  });

  it("never bootstraps while the group carries the ensemble-formed tag: exit 7, nothing written", async () => {
    const { dir, args } = await setup({ id: "i-0bbb", ip: "127.0.0.12" }, undefined, { "mdeploy:zk-ensemble-formed": "2026-01-01" });
    const run = await runCli([...args, "--ec2-asg", "zk-asg", "--settle-timeout", "1"], { env: awsEnv, timeoutMs: 30_000 });
    expect(run.code, run.stderr).toBe(7);
    expect(run.stderr).toMatch(/not bootstrapping: tag mdeploy:zk-ensemble-formed=2026-01-01 on autoscaling group zk-asg says the ensemble formed before/);
    expect(existsSync(join(dir, "data", "myid"))).toBe(false);
  });

  it("discovers by cluster tag with an explicit ensemble size", async () => {
    const { fake, args } = await setup({ id: "i-0aaa", ip: "127.0.0.11" });
    const run = await runCli([...args, "--ec2-tag", "cluster=zk", "--ensemble-size", "3"], { env: awsEnv, timeoutMs: 30_000 });
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ id: 2, outcome: "bootstrap" });
    const ec2 = fake.actions.find((a) => a.get("Action") === "DescribeInstances");
    expect([ec2?.get("Filter.2.Name"), ec2?.get("Filter.2.Value.1")]).toEqual(["tag:cluster", "zk"]);
    expect(fake.unexpected).toEqual([]);
  });

  it("waits, then refuses, while fewer instances run than the group wants", async () => {
    const { args } = await setup({ id: "i-0aaa", ip: "127.0.0.11" });
    const run = await runCli([...args, "--ec2-tag", "cluster=zk", "--ensemble-size", "4"], { env: awsEnv, timeoutMs: 30_000 });
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/discovery found 3 server\(s\), expected 4/);
  });

  it("exits 6 with one line when EC2 refuses the credentials, without printing the secret", async () => {
    const { args } = await setup({ id: "i-0aaa", ip: "127.0.0.11" }, { status: 401, code: "AuthFailure", message: "AWS was not able to validate the provided access credentials" });
    const run = await runCli([...args, "--ec2-tag", "cluster=zk", "--ensemble-size", "3"], { env: awsEnv, timeoutMs: 30_000 });
    expect(run.code, run.stderr).toBe(6);
    expect(run.stderr.trim().split("\n"), run.stderr).toHaveLength(1);
    expect(run.stderr).toMatch(/DescribeInstances .*AuthFailure.*HTTP 401/);
    expect(run.stderr).not.toContain(SECRET);
  });

  it("rejects bad flags with exit 2 listing every problem", async () => {
    const run = await runCli(["zk-id", "--client-port", "0", "--peers", "a:1:2:3:4", "--dns", "x"], { timeoutMs: 30_000 });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/problems with the zk-id flags/);
    expect(run.stderr).toMatch(/--client-port: expected a whole number 1..65535, got "0"/);
    expect(run.stderr).toMatch(/exactly one discovery source/);
    expect(run.stderr).toMatch(/--peers: "a:1:2:3:4"/);
    expect(run.stderr).toMatch(/--address is required/);
    const ec2WithFlag = await runCli(["zk-id", "--ec2-asg", "zk-asg", "--aws-region", "eu-west-1", "--bootstrap"], { timeoutMs: 30_000 });
    expect(ec2WithFlag.code).toBe(2);
    expect(ec2WithFlag.stderr).toMatch(/--bootstrap is for --peers and --dns; with EC2 discovery the mdeploy:zk-ensemble-formed tag decides/);
  });
});
