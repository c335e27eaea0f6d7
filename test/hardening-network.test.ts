import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { ANSIBLE_DIR, runAnsible } from "./fixtures/ansible/run-ansible.js";

// Security groups derived from hardening/ports.yml, and SSH host keys pinned by scanning.
// Both run the real playbooks with ansible-playbook; AWS is replaced by a stub module that
// records what the playbook sends, ssh-keyscan by a script that prints a key made here.

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const STUBS = fileURLToPath(new URL("./fixtures/ansible/stub-collections", import.meta.url));

interface PortRow {
  name: string;
  protocol: string;
  port: number;
  to_port?: number;
  from: ("cluster" | "admin" | "public")[];
  why: string;
}

interface SgRule {
  proto: string;
  ports: string[];
  rule_desc: string;
  cidr_ip?: string;
  group_name?: string;
}

const ports = (parseYaml(readFileSync(join(ROOT, "hardening", "ports.yml"), "utf8")) as { mdeploy_ports: PortRow[] }).mdeploy_ports;
const portOf = (name: string) => ports.find((row) => row.name === name);

let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), "mdeploy-hardening-"));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

// Each ansible-playbook run takes seconds, more on a busy machine.
describe("security groups from the ports table", { timeout: 120_000 }, () => {
  async function securityGroupArgs(adminCidr: string) {
    const capture = join(work, `sg-${adminCidr.replace(/\W/g, "-")}.json`);
    writeFileSync(capture, "");
    const run = await runAnsible(
      "ansible-playbook",
      ["-i", "localhost,", join(ANSIBLE_DIR, "playbooks", "security-groups.yml"), "-e", JSON.stringify({ vpc_id: "vpc-0abc", aws_region: "eu-west-1", admin_cidr: adminCidr })],
      { extraCollections: [STUBS], env: { MDEPLOY_STUB_CAPTURE: capture } },
    );
    const sent = readFileSync(capture, "utf8");
    return { run, args: sent ? (JSON.parse(sent) as { rules: SgRule[]; purge_rules: boolean; vpc_id: string }) : undefined };
  }

  it("opens exactly one rule per row and source, and purges anything else", async () => {
    const { run, args } = await securityGroupArgs("198.51.100.0/24");
    expect(run.code, run.stdout).toBe(0);
    const expected = ports.flatMap((row) =>
      row.from.map((source) => ({
        proto: row.protocol,
        ports: [row.to_port ? `${row.port}-${row.to_port}` : String(row.port)],
        rule_desc: row.name,
        ...(source === "cluster" ? { group_name: "mdeploy-cluster" } : { cidr_ip: source === "admin" ? "198.51.100.0/24" : "0.0.0.0/0" }),
      })),
    );
    expect(args?.rules).toEqual(expected);
    expect(args).toMatchObject({ purge_rules: true, vpc_id: "vpc-0abc" });
  });

  it("refuses to open the admin ports to the whole internet", async () => {
    const { run, args } = await securityGroupArgs("0.0.0.0/0");
    expect(run.code).not.toBe(0);
    expect(run.stdout).toContain("not 0.0.0.0/0");
    expect(args).toBeUndefined();
  });

  it("exposes only Traefik's 80 and 443 publicly, and says why each port is open", () => {
    expect(ports.filter((row) => row.from.includes("public")).map((row) => row.port)).toEqual([80, 443]);
    for (const row of ports) expect(row.why, row.name).toMatch(/\w{3}/);
    // EC2 rejects rule descriptions with characters outside a small set.
    for (const row of ports) expect(row.name).toMatch(/^[a-zA-Z0-9. _\-:/()#,@[\]+=&;{}!$*]+$/);
  });

  it("has a row for every port the Traefik configuration listens on", () => {
    const traefik = parseYaml(readFileSync(join(ROOT, "traefik", "v2.11", "traefik.yml"), "utf8")) as { entryPoints: Record<string, { address: string }> };
    const listened = Object.values(traefik.entryPoints).map((e) => Number(e.address.replace(/^.*:/, "")));
    const tabled = ports.map((row) => row.port);
    expect(listened.filter((port) => !tabled.includes(port))).toEqual([]);
  });

  it("matches the ports the zookeeper role configures", () => {
    const defaults = parseYaml(readFileSync(join(ROOT, "ansible", "roles", "zookeeper", "defaults", "main.yml"), "utf8")) as Record<string, unknown>;
    expect([defaults.zookeeper_client_port, defaults.zookeeper_quorum_port, defaults.zookeeper_election_port]).toEqual([
      portOf("zookeeper-client")?.port,
      portOf("zookeeper-peer")?.port,
      portOf("zookeeper-election")?.port,
    ]);
  });

  it("covers ZooKeeper, Mesos, Marathon and the agents' port range", () => {
    expect([portOf("zookeeper-client")?.port, portOf("zookeeper-peer")?.port, portOf("zookeeper-election")?.port]).toEqual([2181, 2888, 3888]);
    expect([portOf("mesos-master")?.port, portOf("mesos-agent")?.port]).toEqual([5050, 5051]);
    expect(portOf("marathon-https")?.port).toBe(8443);
    expect(portOf("agent-ports")).toMatchObject({ port: 31000, to_port: 32000, from: ["cluster"] });
  });
});

// Each ansible-playbook run takes seconds, more on a busy machine.
describe("SSH host keys are scanned and pinned", { timeout: 120_000 }, () => {
  let bin: string;
  let inventory: string;
  const keys: Record<string, { line: string; fingerprint: string }> = {};

  beforeAll(() => {
    bin = join(work, "bin");
    execFileSync("mkdir", ["-p", bin]);
    for (const name of ["original", "rebuilt"]) {
      const file = join(work, name);
      execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", name, "-f", file]);
      const line = readFileSync(`${file}.pub`, "utf8").split(" ").slice(0, 2).join(" ");
      const fingerprint = execFileSync("ssh-keygen", ["-l", "-E", "sha256", "-f", `${file}.pub`], { encoding: "utf8" }).split(" ")[1] ?? "";
      keys[name] = { line, fingerprint };
    }
    // Stands in for ssh-keyscan: answers every host with the key named in $SCAN_KEY_LINE.
    writeFileSync(join(bin, "ssh-keyscan"), '#!/bin/sh\nfor host; do :; done\necho "# $host SSH-2.0-OpenSSH_9.2"\necho "$host $SCAN_KEY_LINE"\n');
    chmodSync(join(bin, "ssh-keyscan"), 0o755);
    inventory = join(work, "hosts.ini");
    writeFileSync(inventory, "node1 ansible_host=10.0.0.1\nnode2 ansible_host=10.0.0.2 ansible_port=2222\n");
  });

  const knownHosts = () => join(work, "known_hosts");
  const scan = (key: string, extraVars: Record<string, unknown> = {}) =>
    runAnsible(
      "ansible-playbook",
      ["-i", inventory, join(ANSIBLE_DIR, "playbooks", "known-hosts.yml"), "-e", JSON.stringify({ mdeploy_known_hosts: knownHosts(), ...extraVars })],
      { env: { SCAN_KEY_LINE: keys[key]?.line ?? "", PATH: `${bin}:${process.env.PATH ?? ""}` } },
    );

  it("pins every node's key on first contact, and changes nothing the second time", async () => {
    const first = await scan("original");
    expect(first.code, first.stdout).toBe(0);
    expect(readFileSync(knownHosts(), "utf8")).toBe(`10.0.0.1 ${keys.original?.line}\n[10.0.0.2]:2222 ${keys.original?.line}\n`);
    const second = await scan("original");
    expect(second.code, second.stdout).toBe(0);
    expect(second.stdout).toMatch(/node1\s+: ok=\d+\s+changed=0/);
  });

  it("stops when a pinned node presents another key, and keeps the pinned one", async () => {
    const run = await scan("rebuilt");
    expect(run.code).not.toBe(0);
    expect(run.stdout).toContain("The SSH host key of 10.0.0.1 changed");
    expect(readFileSync(knownHosts(), "utf8")).not.toContain(keys.rebuilt?.line);
  });

  it("on first contact, rejects a key whose fingerprint was not published for the node", async () => {
    rmSync(knownHosts());
    const wrong = await scan("rebuilt", { ssh_host_key_fingerprints: [keys.original?.fingerprint] });
    expect(wrong.code).not.toBe(0);
    expect(wrong.stdout).toContain(`presented host keys ${keys.rebuilt?.fingerprint}`);
    const right = await scan("original", { ssh_host_key_fingerprints: [keys.original?.fingerprint] });
    expect(right.code, right.stdout).toBe(0);
  });

  it("nothing in the kit turns host key checking off", () => {
    const offenders: string[] = [];
    const walk = (dir: string) => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) walk(path);
        // Documentation may name the setting it warns against; configuration may not.
        else if (!entry.name.endsWith(".md") && /StrictHostKeyChecking\s*=?\s*no|UserKnownHostsFile\s*=?\s*\/dev\/null|host_key_checking\s*[=:]\s*(false|no|0)\b/i.test(readFileSync(path, "utf8")))
          offenders.push(relative(ROOT, path));
      }
    };
    for (const dir of ["ansible", "hardening", "gitlab-ci"]) if (existsSync(join(ROOT, dir))) walk(join(ROOT, dir));
    expect(offenders).toEqual([]);
    expect(readFileSync(join(ANSIBLE_DIR, "ansible.cfg"), "utf8")).toMatch(/^host_key_checking = True$/m);
  });
});
