/**
 * A second plain `mdeploy rollback` never goes forward again to the version the
 * first one left (issue 13, item 2), with and without MESOS_URL: without it the
 * rollback used to be Marathon's own `PUT {"version"}`, which cannot carry the
 * MDEPLOY_ROLLBACK_OF label the rule reads, so the second rollback flipped
 * back to the version just rolled away from.
 */
import { describe, expect, it } from "vitest";
import { defaultCluster, startSimulator, type Simulator } from "../src/sim/index.js";
import { clickCountTemplate, closeAfterEach, scratchDirectories } from "./helpers/cli-project.js";
import { runCli, type CliRun } from "./helpers/run-cli.js";

const APP = "/staging/click-count";
const CONFIG = "environments:\n  staging:\n    template: app.json.hbs\n";
const DEPLOY = ["deploy", "staging", "--no-image-check", "--dotenv", "", "--no-report"];

let sim: Simulator | undefined;
closeAfterEach(() => sim);
const scratch = scratchDirectories("mdeploy-rollback-twice-");

interface RunningApp {
  version: string;
  container: { docker: { image: string } };
  labels?: Record<string, string>;
}

function running(): RunningApp {
  return sim?.state.app(APP) as unknown as RunningApp;
}

const modes = [
  { mode: "with MESOS_URL", mesos: true },
  { mode: "without MESOS_URL", mesos: false },
];

describe.each(modes)("a second plain rollback, $mode", ({ mesos }) => {
  async function project(): Promise<(args: string[], tag?: string) => Promise<CliRun>> {
    // Room for old and new side by side: without MESOS_URL nothing plans around the 497 MB trap, and the trap is not this test's subject.
    const cluster = defaultCluster();
    cluster.agents = cluster.agents.map((agent) => (agent.hostname === "staging" ? { ...agent, mem: 1024 } : agent));
    sim = await startSimulator({ cluster, speed: 400 });
    const started = sim;
    const dir = await scratch.project({ "mdeploy.yml": CONFIG, "app.json.hbs": clickCountTemplate() });
    return (args, tag = "unused") =>
      runCli(args, { cwd: dir, timeoutMs: 60_000, env: { MARATHON_URL: started.marathonUrl, ...(mesos ? { MESOS_URL: started.mesosUrl } : {}), CI_COMMIT_TAG: tag } });
  }

  it("after 1.0.0, 1.1.0 and a rollback to 1.0.0, refuses to go forward to 1.1.0 and names --to", { timeout: 120_000 }, async () => {
    const mdeploy = await project();
    for (const tag of ["1.0.0", "1.1.0"]) expect((await mdeploy(DEPLOY, tag)).code).toBe(0);
    const left = running().version;

    const first = await mdeploy(["rollback", "staging", "--no-report"]);
    expect(first.code, first.stderr).toBe(0);
    expect(running().container.docker.image).toMatch(/:1\.0\.0$/);
    expect(running().labels?.MDEPLOY_ROLLBACK_OF).toBe(left);
    const afterFirst = running().version;

    const second = await mdeploy(["rollback", "staging", "--no-report"]);
    expect(second.code).toBe(2);
    expect(second.stderr).toContain("no earlier version runs something else that a rollback has not already left");
    expect(second.stderr).toContain("name one with --to");
    expect(running().version).toBe(afterFirst);
    expect(running().container.docker.image).toMatch(/:1\.0\.0$/);
  });

  it("after 0.9.0, 1.0.0, 1.1.0 and a rollback to 1.0.0, goes on back to 0.9.0", { timeout: 120_000 }, async () => {
    const mdeploy = await project();
    for (const tag of ["0.9.0", "1.0.0", "1.1.0"]) expect((await mdeploy(DEPLOY, tag)).code).toBe(0);
    expect((await mdeploy(["rollback", "staging", "--no-report"])).code).toBe(0);
    expect(running().container.docker.image).toMatch(/:1\.0\.0$/);

    const second = await mdeploy(["rollback", "staging", "--no-report"]);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toMatch(/skipped .*click-count:1\.1\.0.* was rolled back from/);
    expect(running().container.docker.image).toMatch(/:0\.9\.0$/);
  });
});
