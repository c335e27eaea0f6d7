import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator, type Simulator } from "../src/sim/index.js";
import { runAnsible } from "./fixtures/ansible/run-ansible.js";

// Diff mode of mdeploy.marathon.marathon_app compares numbers by value: Marathon answers
// doubles (1.0, 0.0) where playbooks write integers, or the other way round, and a diff
// must show only the fields that really change.
const PLAYBOOK = fileURLToPath(new URL("./fixtures/ansible/marathon-app.yml", import.meta.url));

describe("marathon_app diff mode", { timeout: 120_000 }, () => {
  let sim: Simulator;
  let work: string;

  beforeAll(async () => {
    sim = await startSimulator({ speed: 200 });
    work = mkdtempSync(join(tmpdir(), "mdeploy-ansible-diff-"));
  });
  afterAll(async () => {
    await sim.close();
    rmSync(work, { recursive: true, force: true });
  });

  /** The -e document written by hand: JSON.stringify would print 1.0 as 1. */
  const extra = (resultFile: string, definition: string) =>
    `{"marathon_url": "${sim.marathonUrl}", "app_id": "/numbers", "result_file": "${resultFile}", "app_definition": ${definition}}`;

  it("shows a changed instance count, and no line for numbers spelt 1 here and 1.0 there", async () => {
    const created = await runAnsible("ansible-playbook", ["-i", "localhost,", PLAYBOOK, "-e", extra(join(work, "create.json"), '{"cmd": "sleep 1000", "cpus": 1, "mem": 64, "disk": 0, "instances": 1}')]);
    expect(created.code, created.stdout + created.stderr).toBe(0);

    const resultFile = join(work, "check.json");
    const check = await runAnsible("ansible-playbook", ["-i", "localhost,", PLAYBOOK, "--check", "--diff", "-e", extra(resultFile, '{"cmd": "sleep 1000", "cpus": 1.0, "mem": 64.0, "disk": 0.0, "instances": 2}')]);
    expect(check.code, check.stdout + check.stderr).toBe(0);
    const diffLines = check.stdout.split("\n").filter((line) => /^[-+]\s/.test(line));
    expect(diffLines).toEqual(['-    "instances": 1,', '+    "instances": 2,']);
    const raw = readFileSync(resultFile, "utf8");
    expect(raw).not.toMatch(/"(cpus|mem|disk)": \d+\.0\b/);
    expect(JSON.parse(raw)).toMatchObject({ changed: true, changed_fields: ["instances"] });
    expect(sim.state.app("/numbers")).toMatchObject({ instances: 1 });
  });
});
