import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { runAnsible } from "./fixtures/ansible/run-ansible.js";
import { CLI_PATH } from "./helpers/run-cli.js";
import { membershipVia } from "./helpers/zk-cluster.js";
import { createZkHarness, waitForMode, ZK_CLASSPATH, ZK_JVM_FLAGS } from "./helpers/zk-ensemble.js";
import { makeNode, type TestNode } from "./helpers/zk-nodes.js";

const repo = fileURLToPath(new URL("..", import.meta.url));
const playbook = "ansible/roles/zookeeper/tests/test.yml";

function ansiblePlaybook(...args: string[]) {
  const run = spawnSync("ansible-playbook", ["-i", "ansible/roles/zookeeper/tests/inventory", ...args, playbook], {
    cwd: repo,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", ANSIBLE_ROLES_PATH: "ansible/roles", ANSIBLE_NOCOLOR: "1", ANSIBLE_LOCAL_TEMP: "/tmp/.ansible-zk-role-test" },
    encoding: "utf8",
    timeout: 60_000,
  });
  return { code: run.status, out: `${run.stdout}${run.stderr}` };
}

const harness = createZkHarness(7);
/** Pid files the role's start command wrote: the servers this test (through the role) started. */
const pidFiles: string[] = [];

async function stopStartedServers(): Promise<void> {
  for (const file of pidFiles.splice(0)) {
    if (!existsSync(file)) continue;
    const pid = Number(readFileSync(file, "utf8").trim());
    try {
      // The start command runs Java under setsid: its pid is its process group.
      process.kill(-pid, "SIGKILL");
    } catch {
      continue;
    }
    for (let i = 0; i < 50; i++) {
      try {
        process.kill(pid, 0);
      } catch {
        break;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
afterEach(stopStartedServers);
afterAll(async () => {
  await stopStartedServers();
  await harness.cleanup();
});

/** A host's ZooKeeper start command for hosts without a service manager: starts Java detached unless the pid file names a live process. */
function writeStartCommand(dir: string): string {
  const script = join(dir, "start-zookeeper.sh");
  writeFileSync(
    script,
    [
      "#!/bin/sh",
      'cfg=$1 pidfile=$2 log=$3',
      'if [ -s "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then echo "already running"; exit 0; fi',
      `setsid java ${ZK_JVM_FLAGS.join(" ")} -cp ${ZK_CLASSPATH} org.apache.zookeeper.server.quorum.QuorumPeerMain "$cfg" >"$log" 2>&1 </dev/null &`,
      'echo $! >"$pidfile"',
      "echo started",
      "",
    ].join("\n"),
  );
  chmodSync(script, 0o755);
  return script;
}

function writeInventory(dir: string, nodes: readonly TestNode[], startCommand: string, mdeploy: string): string {
  const hosts = Object.fromEntries(
    nodes.map((n) => {
      const pidFile = join(n.confDir, "..", "zookeeper.pid");
      pidFiles.push(pidFile);
      return [
        n.name,
        {
          ansible_connection: "local",
          zookeeper_address: n.peerSpec,
          zookeeper_data_dir: n.dataDir,
          zookeeper_conf_dir: n.confDir,
          zookeeper_defaults_file: join(n.confDir, "..", "default-zookeeper"),
          zookeeper_start_command: [startCommand, n.zooCfg, pidFile, join(n.confDir, "..", "zookeeper.log")],
        },
      ];
    }),
  );
  const inventory = {
    all: {
      children: {
        zookeeper: {
          hosts,
          vars: {
            zookeeper_peers: nodes.map((n) => n.peerSpec).join(","),
            zookeeper_bootstrap: true,
            zookeeper_install_packages: false,
            zookeeper_become: false,
            zookeeper_user: "root",
            zookeeper_tick_time: 500,
            zookeeper_mdeploy_command: mdeploy,
          },
        },
      },
    },
  };
  const file = join(dir, "inventory.yml");
  // JSON is YAML: Ansible reads it as an inventory file.
  writeFileSync(file, JSON.stringify(inventory, null, 2));
  return file;
}

/** The PLAY RECAP counters per host. */
function recap(output: string): Record<string, Record<string, number>> {
  const section = output.slice(output.lastIndexOf("PLAY RECAP"));
  const hosts: Record<string, Record<string, number>> = {};
  for (const m of section.matchAll(/^(\S+)\s+:\s+(.*)$/gm)) {
    hosts[m[1]!] = Object.fromEntries([...m[2]!.matchAll(/(\w+)=(\d+)/g)].map((c) => [c[1]!, Number(c[2])]));
  }
  return hosts;
}

describe("ansible/roles/zookeeper", () => {
  it("passes ansible-playbook --syntax-check", () => {
    const run = ansiblePlaybook("--syntax-check");
    expect(run.code, run.out).toBe(0);
  });

  it("decides the ID before ZooKeeper starts and promotes only after it started", () => {
    const run = ansiblePlaybook("--list-tasks");
    expect(run.code, run.out).toBe(0);
    const firstPlay = run.out.split("play #2")[0] ?? "";
    const order = ["Stop the service the package started", "Decide this server's ID", "Start ZooKeeper", "Wait until synced, then add this server as a participant"].map((t) => firstPlay.indexOf(t));
    expect(order.every((i) => i >= 0), firstPlay).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
  });

  it("forms a three-node ensemble on real ZooKeeper servers (ansible-playbook -c local), and a re-run changes nothing", { timeout: 180_000 }, async () => {
    const nodes = await Promise.all(["zk1", "zk2", "zk3"].map((n) => makeNode(harness, n)));
    const work = harness.dir("ansible");
    mkdirSync(work, { recursive: true });
    const mdeploy = join(work, "mdeploy");
    writeFileSync(mdeploy, `#!/bin/sh\nexec "${process.execPath}" "${CLI_PATH}" "$@"\n`);
    chmodSync(mdeploy, 0o755);
    const inventory = writeInventory(work, nodes, writeStartCommand(work), mdeploy);
    const site = join(work, "site.yml");
    writeFileSync(site, "- hosts: zookeeper\n  gather_facts: false\n  roles:\n    - role: zookeeper\n");

    const first = await runAnsible("ansible-playbook", ["-c", "local", "-i", inventory, site], { timeoutMs: 150_000 });
    expect(first.code, first.stdout + first.stderr).toBe(0);
    for (const n of nodes) expect(recap(first.stdout)[n.name], first.stdout).toMatchObject({ failed: 0, unreachable: 0 });
    for (const n of nodes) expect(recap(first.stdout)[n.name]?.changed, first.stdout).toBeGreaterThan(0);
    await Promise.all(nodes.map((n) => waitForMode(n.clientPort, 30_000)));
    const m = await membershipVia(nodes);
    expect(m.servers.map((s) => [s.id, s.clientPort, s.role])).toEqual(nodes.map((n, i) => [i + 1, n.clientPort, "participant"]));

    const second = await runAnsible("ansible-playbook", ["-c", "local", "-i", inventory, site], { timeoutMs: 150_000 });
    expect(second.code, second.stdout + second.stderr).toBe(0);
    for (const n of nodes) expect(recap(second.stdout)[n.name], second.stdout).toMatchObject({ changed: 0, failed: 0 });
    expect((await membershipVia(nodes)).servers.map((s) => s.id)).toEqual([1, 2, 3]);
  });
});
