import { cpSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator, type Simulator } from "../src/sim/index.js";
import { ANSIBLE_DIR, runAnsible } from "./fixtures/ansible/run-ansible.js";
import { CLI_PATH } from "./helpers/run-cli.js";

// ansible/playbooks/gitlab-runner.yml on the simulator: mdeploy deploys the runner app with
// its COMMAND health check, and the playbook checks Marathon counts every runner healthy.

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const RUNNER = "/ci/gitlab-runner";

describe("gitlab-runner.yml", () => {
  let sim: Simulator;
  let work: string;
  beforeAll(async () => {
    sim = await startSimulator({ speed: 400 });
    work = mkdtempSync(join(tmpdir(), "mdeploy-runner-"));
    cpSync(join(ROOT, "marathon"), join(work, "project", "marathon"), { recursive: true });
    writeFileSync(join(work, "hosts.ini"), "localhost ansible_connection=local\n");
  });
  afterAll(async () => {
    await sim?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("deploys the runner app with its health check and verifies every runner is healthy", { timeout: 180_000 }, async () => {
    const token = "glrt-test-token-not-printed";
    const vars = {
      ansible_python_interpreter: "{{ ansible_playbook_python }}",
      marathon_url: sim.marathonUrl,
      mesos_url: sim.mesosUrl,
      gitlab_runner_token: token,
      mdeploy_command: `${process.execPath} ${CLI_PATH}`,
      mdeploy_project_dir: join(work, "project"),
      mdeploy_deploy_options: ["--skip-image-check"],
    };
    const run = await runAnsible("ansible-playbook", ["-i", join(work, "hosts.ini"), join(ANSIBLE_DIR, "playbooks", "gitlab-runner.yml"), "-e", JSON.stringify(vars)], {
      timeoutMs: 150_000,
    });
    expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
    expect(run.stdout).toContain("Every runner passes its health check");
    expect(`${run.stdout}${run.stderr}`).not.toContain(token);
    const app = sim.state.app(RUNNER) as { instances: number; healthChecks: { protocol: string; command: { value: string } }[] };
    expect(app.healthChecks[0]).toMatchObject({ protocol: "COMMAND", command: { value: expect.stringContaining("mdeploy runner-health") } });
    expect(sim.state.healthyCount(RUNNER)).toBe(app.instances);
  });
});
