import { cpSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator, type Simulator } from "../src/sim/index.js";
import { ANSIBLE_DIR, runAnsible } from "./fixtures/ansible/run-ansible.js";
import { CLI_PATH } from "./helpers/run-cli.js";

// The playbooks that deploy through mdeploy, run with ansible-playbook against the simulator:
// gitlab-runner.yml (the runner app and its health check) and click-count.yml (the example).

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const RUNNER = "/ci/gitlab-runner";

describe("playbooks that deploy with mdeploy", () => {
  let sim: Simulator;
  let project: string;
  beforeAll(async () => {
    sim = await startSimulator({ speed: 400 });
    project = mkdtempSync(join(tmpdir(), "mdeploy-playbooks-"));
    cpSync(join(ROOT, "mdeploy.yml"), join(project, "mdeploy.yml"));
    cpSync(join(ROOT, "marathon"), join(project, "marathon"), { recursive: true });
  });
  afterAll(async () => {
    await sim?.close();
    if (project) rmSync(project, { recursive: true, force: true });
  });

  const play = (playbook: string, vars: Record<string, unknown>) =>
    runAnsible(
      "ansible-playbook",
      [
        "-i",
        "localhost,",
        join(ANSIBLE_DIR, "playbooks", playbook),
        "-e",
        JSON.stringify({
          ansible_connection: "local",
          ansible_python_interpreter: "{{ ansible_playbook_python }}",
          marathon_url: sim.marathonUrl,
          mesos_url: sim.mesosUrl,
          mdeploy_command: `${process.execPath} ${CLI_PATH}`,
          mdeploy_project_dir: project,
          // The simulator has no registry: do not ask one.
          mdeploy_deploy_options: ["--no-image-check"],
          ...vars,
        }),
      ],
      { timeoutMs: 150_000 },
    );

  it("gitlab-runner.yml deploys the runner app with its health check and verifies every runner is healthy", { timeout: 180_000 }, async () => {
    const token = "glrt-test-token-not-printed";
    const run = await play("gitlab-runner.yml", { gitlab_runner_token: token });
    expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
    expect(run.stdout).toContain("Every runner passes its health check");
    expect(`${run.stdout}${run.stderr}`).not.toContain(token);
    const app = sim.state.app(RUNNER) as { instances: number; healthChecks: { protocol: string; command: { value: string } }[] };
    expect(app.healthChecks[0]).toMatchObject({ protocol: "COMMAND", command: { value: expect.stringContaining("mdeploy runner-health") } });
    expect(sim.state.healthyCount(RUNNER)).toBe(app.instances);
  });

  it("click-count.yml renders both environments and deploys the one asked for", { timeout: 180_000 }, async () => {
    const run = await play("click-count.yml", { click_count_environment: "staging" });
    expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
    expect(existsSync(join(project, "marathon_app_staging.json"))).toBe(true);
    expect(existsSync(join(project, "marathon_app_production.json"))).toBe(true);
    expect(sim.state.healthyCount("/staging/click-count")).toBe(1);
    expect(sim.state.app("/production/click-count")).toBeUndefined();
  });
});
