#!/usr/bin/env node
// Makes sure the system tools the end-to-end tests drive are present (DESIGN.md, "Tests"):
// installs the Debian packages when missing and running as root, otherwise fails with
// the exact command a person must run. Kept dependency-free: it runs before anything else.
import { execFileSync, spawnSync } from "node:child_process";

/** Debian package -> a file that proves it is installed. */
const required = [
  // a real ZooKeeper ensemble for the zk-id tests
  { pkg: "zookeeper", probe: "/usr/share/java/zookeeper.jar" },
  { pkg: "libslf4j-java", probe: "/usr/share/java/slf4j-simple.jar" },
  { pkg: "libservlet-api-java", probe: "/usr/share/java/servlet-api.jar" },
  // real ansible-playbook for the Ansible module and playbooks
  { pkg: "ansible-core", probe: "/usr/bin/ansible-playbook" },
  // gitlab-ci-local's --shell-isolation copies builds with rsync
  { pkg: "rsync", probe: "/usr/bin/rsync" },
  { pkg: "git", probe: "/usr/bin/git" },
  // the Marathon adapter's TLS tests make a self-signed certificate at test time
  { pkg: "openssl", probe: "/usr/bin/openssl" },
  // the deployment report's browser tests drive Debian's Chromium with playwright-core (no browser download)
  { pkg: "chromium", probe: "/usr/bin/chromium" },
  // a Marathon client written elsewhere drives the simulator (test/sim-marathon-python.test.ts)
  { pkg: "python3-marathon", probe: "/usr/lib/python3/dist-packages/marathon/client.py" },
  // ansible-test sanity's tools, used offline instead of its PyPI pins (ansible/ansible-test-offline.py)
  { pkg: "python3-pycodestyle", probe: "/usr/lib/python3/dist-packages/pycodestyle.py" },
  { pkg: "python3-voluptuous", probe: "/usr/lib/python3/dist-packages/voluptuous" },
  { pkg: "pylint", probe: "/usr/bin/pylint" },
  { pkg: "yamllint", probe: "/usr/bin/yamllint" },
];

const missing = required.filter(({ probe }) => spawnSync("sh", ["-c", `test -e ${probe}`]).status !== 0);
if (missing.length === 0) process.exit(0);

const packages = missing.map((m) => m.pkg);
const command = `apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${packages.join(" ")}`;
if (process.getuid?.() !== 0) {
  console.error(`mdeploy tests need Debian packages: ${packages.join(", ")}. Install them with:\n  sudo sh -c '${command}'`);
  process.exit(1);
}
console.error(`installing Debian packages for the tests: ${packages.join(", ")}`);
execFileSync("sh", ["-c", command], { stdio: "inherit", env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } });
