import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createZkHarness, freePorts, logTail, waitForMode, type RunningServer } from "./helpers/zk-ensemble.js";
import { startFakeEc2, type FakeEc2Options, type FakeInstance } from "./helpers/zk-fake-ec2.js";
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

  it("marks the group formed once a run sees the quorum: a refused write only warns, then exactly one CreateOrUpdateTags, then none", async () => {
    const harness = createZkHarness(6, "mdeploy-zk-ec2-formed-");
    cleanups.push(() => harness.cleanup());
    // Three instances of one group on their own loopback addresses, all on the same ports, as on EC2.
    const members: FakeInstance[] = ["31", "32", "33"].map((n, i) => ({ id: `i-0f${n}`, ip: `127.0.0.${n}`, state: "running", launchTime: `2026-01-01T10:0${i}:00.000Z` }));
    const group: FakeEc2Options["group"] = { name: "zk-asg", desired: 3, tags: {} };
    const startFake = async (member: FakeInstance, refuse = false) => {
      const denied = { status: 403, code: "AccessDenied", message: "User: arn:aws:sts::1:assumed-role/zk is not authorized to perform: autoscaling:CreateOrUpdateTags" };
      const fake = await startFakeEc2({ group, instances: members, self: { id: member.id, ip: member.ip }, ...(refuse ? { refuseTagWrite: denied } : {}) });
      cleanups.push(() => fake.close());
      return fake;
    };
    const fakes = await Promise.all(members.map((m) => startFake(m)));
    const refusing = await startFake(members[2] as FakeInstance, true);
    const ports = await harness.nodePorts();
    const dirs = members.map((m) => harness.dir(m.id));
    const argsFor = (i: number, endpoint: string) => [
      "--json",
      "zk-id",
      "--ec2-asg",
      "zk-asg",
      ...["--data-dir", join(dirs[i] as string, "data"), "--conf-dir", join(dirs[i] as string, "conf")],
      ...["--aws-endpoint", endpoint, "--imds-endpoint", endpoint],
      ...["--client-port", String(ports.clientPort), "--quorum-port", String(ports.quorumPort), "--election-port", String(ports.electionPort)],
      ...["--wait-timeout", "10", "--settle-timeout", "10", "--poll-interval", "200"],
    ];
    const tagWritesTo = (list: ReadonlyArray<{ actions: URLSearchParams[] }>) => list.flatMap((f) => f.actions).filter((a) => a.get("Action") === "CreateOrUpdateTags");
    const tagWrites = () => tagWritesTo([...fakes, refusing]);

    const boot = await Promise.all(fakes.map((f, i) => runCli(argsFor(i, f.url), { env: awsEnv, timeoutMs: 30_000 })));
    for (const run of boot) {
      expect(run.code, run.stderr).toBe(0);
      expect(JSON.parse(run.stdout)).toMatchObject({ outcome: "bootstrap" });
    }
    // Bootstrapping decides before any server runs: no run has seen a quorum yet.
    expect(tagWrites()).toEqual([]);
    const servers: RunningServer[] = dirs.map((d, i) => harness.start(`zk${i + 1}`, join(d, "conf", "zoo.cfg")));
    try {
      await Promise.all(members.map((m) => waitForMode(ports.clientPort, 30_000, () => true, m.ip)));
    } catch (error) {
      throw new Error(`${(error as Error).message}\n${servers.map((s) => logTail(s)).join("\n")}`);
    }

    // A role without the permission: the run's verdict stands, with one warning naming the missing action.
    const denied = await runCli(argsFor(2, refusing.url), { env: awsEnv, timeoutMs: 30_000 });
    expect(denied.code, denied.stderr).toBe(0);
    expect(JSON.parse(denied.stdout)).toMatchObject({ id: 3, outcome: "keep" });
    expect(denied.stderr).toMatch(/could not mark the ensemble as formed: CreateOrUpdateTags mdeploy:zk-ensemble-formed on autoscaling group zk-asg failed: AccessDenied.*HTTP 403.*needs autoscaling:CreateOrUpdateTags/);
    expect(group.tags).toEqual({});

    // The next run that sees the quorum writes the tag, once.
    const rerun = await runCli(argsFor(0, fakes[0]?.url ?? ""), { env: awsEnv, timeoutMs: 30_000 });
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(JSON.parse(rerun.stdout)).toMatchObject({ id: 1, outcome: "keep" });
    expect(rerun.stderr).toMatch(/the ensemble serves with a quorum: wrote tag mdeploy:zk-ensemble-formed=\S+ on autoscaling group zk-asg/);
    expect(tagWritesTo([refusing])).toHaveLength(1);
    const writes = tagWritesTo(fakes);
    expect(writes).toHaveLength(1);
    const written = writes[0] as URLSearchParams;
    expect(Object.fromEntries([...written].filter(([k]) => k.startsWith("Tags.")))).toEqual({
      "Tags.member.1.ResourceId": "zk-asg",
      "Tags.member.1.ResourceType": "auto-scaling-group",
      "Tags.member.1.Key": "mdeploy:zk-ensemble-formed",
      "Tags.member.1.Value": expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      "Tags.member.1.PropagateAtLaunch": "false",
    });
    expect(Object.keys(group.tags ?? {})).toEqual(["mdeploy:zk-ensemble-formed"]);

    // Once the tag is there, runs that see the quorum send nothing.
    const url = await runCli([...argsFor(1, fakes[1]?.url ?? ""), "--print-zk-url"], { env: awsEnv, timeoutMs: 30_000 });
    expect(url.code, url.stderr).toBe(0);
    const again = await runCli(argsFor(0, fakes[0]?.url ?? ""), { env: awsEnv, timeoutMs: 30_000 });
    expect(again.code, again.stderr).toBe(0);
    expect(tagWritesTo(fakes)).toHaveLength(1);
    expect(tagWrites()).toHaveLength(2);
    for (const f of [...fakes, refusing]) expect(f.unexpected).toEqual([]);
    expect(denied.stdout + denied.stderr + rerun.stdout + rerun.stderr).not.toContain(SECRET);
  });

  it("rejects bad flags with exit 2 listing every problem", async () => {
    const run = await runCli(["zk-id", "--client-port", "0", "--peers", "a:1:2:3:4", "--dns", "x"], { timeoutMs: 30_000 });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/problems with the zk-id flags/);
    expect(run.stderr).toMatch(/--client-port must be a positive whole number \(at most 65535\), got "0"/);
    expect(run.stderr).toMatch(/exactly one discovery source/);
    expect(run.stderr).toMatch(/--peers: "a:1:2:3:4"/);
    expect(run.stderr).toMatch(/--address is required/);
    const ec2WithFlag = await runCli(["zk-id", "--ec2-asg", "zk-asg", "--aws-region", "eu-west-1", "--bootstrap"], { timeoutMs: 30_000 });
    expect(ec2WithFlag.code).toBe(2);
    expect(ec2WithFlag.stderr).toMatch(/--bootstrap is for --peers and --dns; with EC2 discovery the mdeploy:zk-ensemble-formed tag decides/);
  });
});
