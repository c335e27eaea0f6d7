import { cpSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator, type Simulator } from "../src/sim/index.js";
import { ANSIBLE_DIR, runAnsible } from "./fixtures/ansible/run-ansible.js";
import { CLI_PATH } from "./helpers/run-cli.js";

// ansible/playbooks/click-count.yml on the simulator: the example app through mdeploy.

const ROOT = fileURLToPath(new URL("..", import.meta.url));

describe("click-count.yml", () => {
  let sim: Simulator;
  let project: string;
  beforeAll(async () => {
    sim = await startSimulator({ speed: 400 });
    project = mkdtempSync(join(tmpdir(), "mdeploy-click-count-"));
    cpSync(join(ROOT, "mdeploy.yml"), join(project, "mdeploy.yml"));
    cpSync(join(ROOT, "marathon", "click-count"), join(project, "marathon", "click-count"), { recursive: true });
  });
  afterAll(async () => {
    await sim?.close();
    if (project) rmSync(project, { recursive: true, force: true });
  });

  const play = (environment: string) =>
    runAnsible(
      "ansible-playbook",
      [
        "-i",
        "localhost,",
        join(ANSIBLE_DIR, "playbooks", "click-count.yml"),
        "-e",
        JSON.stringify({
          ansible_connection: "local",
          ansible_python_interpreter: "{{ ansible_playbook_python }}",
          click_count_environment: environment,
          marathon_url: sim.marathonUrl,
          mesos_url: sim.mesosUrl,
          mdeploy_command: `${process.execPath} ${CLI_PATH}`,
          mdeploy_project_dir: project,
          mdeploy_deploy_options: ["--skip-image-check"],
        }),
      ],
      { timeoutMs: 150_000 },
    );

  it("renders both environments and deploys the one asked for", { timeout: 180_000 }, async () => {
    const run = await play("staging");
    expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
    expect(existsSync(join(project, "marathon_app_staging.json"))).toBe(true);
    expect(existsSync(join(project, "marathon_app_production.json"))).toBe(true);
    expect(sim.state.healthyCount("/staging/click-count")).toBe(1);
    expect(sim.state.app("/production/click-count")).toBeUndefined();
  });
});
