import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

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
});
