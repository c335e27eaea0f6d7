/**
 * The README tour against the simulator, then what an operator asks of it:
 * `mdeploy history` (versions people recognise, which never became healthy,
 * which runs), a plain rollback that says why, a second one that does not flip
 * forward, a retried job that sends nothing, and `plan --detailed-exitcode`.
 * The built CLI, the repository's own mdeploy.yml and click-count template.
 */
import { cp, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultCluster, startSimulator, type Simulator } from "../src/sim/index.js";
import { runCli, type CliRun } from "./helpers/run-cli.js";

const REPO = fileURLToPath(new URL("..", import.meta.url));
const IMAGE = "registry.gitlab.example.com/demo/click-count";
const PIPELINE = "https://gitlab.example.com/demo/click-count/-/pipelines/";

let sim: Simulator;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "mdeploy-tour-"));
  await cp(path.join(REPO, "mdeploy.yml"), path.join(dir, "mdeploy.yml"));
  await cp(path.join(REPO, "marathon"), path.join(dir, "marathon"), { recursive: true });
  sim = await startSimulator({ cluster: defaultCluster(), speed: 500 });
});

afterAll(async () => {
  await sim?.close();
  await rm(dir, { recursive: true, force: true });
});

function mdeploy(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  return runCli(args, { cwd: dir, timeoutMs: 60_000, env: { MARATHON_URL: sim.marathonUrls.join(","), MESOS_URL: sim.mesosUrl, ...env } });
}

/** A CI job's variables: its pipeline and commit. */
function ci(pipeline: number, tag: string): Record<string, string> {
  return { CI_COMMIT_TAG: tag, CI_PIPELINE_URL: `${PIPELINE}${pipeline}`, CI_COMMIT_SHA: `${String(pipeline).repeat(40)}`.slice(0, 40), CI_COMMIT_REF_NAME: tag };
}

function json<T>(run: CliRun): T {
  return JSON.parse(run.stdout) as T;
}

interface HistoryJson {
  current: string;
  versions: { version: string; image?: string; healthy: string; runsNow: boolean; pipelineUrl?: string; rollbackOf?: string }[];
}

describe("the README tour, as an operator reads it", () => {
  it("history shows 1.0.0, 1.1.0, broken (never healthy) and the rollback; rollback says why and does not flip forward", { timeout: 120_000 }, async () => {
    expect((await mdeploy(["render", "staging", "production"])).code).toBe(0);
    const first = await mdeploy(["deploy", "staging", "--artifact", "marathon_app_staging.json", "--no-image-check", "--json"], ci(1, "1.0.0"));
    expect(first.code, first.stderr).toBe(0);
    expect(json<{ runs: { image: string; pipelineUrl: string } }>(first).runs).toMatchObject({ image: `${IMAGE}:1.0.0`, pipelineUrl: `${PIPELINE}1` });

    // Drift: the artifact is what runs; a new tag is not.
    expect((await mdeploy(["plan", "staging", "--artifact", "marathon_app_staging.json", "--detailed-exitcode"], ci(2, "1.0.0"))).code).toBe(0);
    const drift = await mdeploy(["plan", "staging", "--detailed-exitcode"], ci(2, "1.1.0"));
    expect(drift.code, drift.stderr).toBe(8);
    expect(drift.stderr).toContain("differs from the artifact (1 path: container.docker.image)");
    expect(drift.stdout).toContain(`runs `);
    expect(drift.stdout).toContain(`${IMAGE}:1.0.0, 1 instance; pipeline ${PIPELINE}1`);

    const upgrade = await mdeploy(["staging", "--no-image-check"], ci(2, "1.1.0"));
    expect(upgrade.code, upgrade.stderr).toBe(0);
    expect(upgrade.stdout).toMatch(new RegExp(`version \\S+ \\(${IMAGE}:1\\.1\\.0, 1 instance; pipeline ${PIPELINE}2, commit 22222222 \\(1\\.1\\.0\\)\\) verified`));

    // A retried job: a new pipeline URL, nothing else. Nothing is sent, the version stays.
    const before = sim.state.app("/staging/click-count") as { version: string };
    const retried = await mdeploy(["staging", "--no-image-check", "--json"], ci(3, "1.1.0"));
    expect(retried.code, retried.stderr).toBe(0);
    expect(retried.stderr).toContain("nothing was sent");
    expect(json<{ unchanged: boolean; version: string }>(retried)).toMatchObject({ unchanged: true, version: before.version });
    expect((sim.state.app("/staging/click-count") as { version: string }).version).toBe(before.version);

    const broken = await mdeploy(["staging", "--no-image-check"], ci(4, "broken"));
    expect(broken.code, broken.stderr).toBe(1);

    const status = await mdeploy(["status", "staging"]);
    expect(status.stdout).toContain(`${IMAGE}:1.1.0, 1 instance; pipeline ${PIPELINE}2`);

    const rollback = await mdeploy(["rollback", "staging"]);
    expect(rollback.code, rollback.stderr).toBe(0);
    expect(rollback.stdout).toMatch(/is the newest earlier version that runs something else \(container\.docker\.image.*skipped .*click-count:broken.*was rolled back from/);
    expect(rollback.stdout).toMatch(new RegExp(`is back at \\S+ \\(${IMAGE}:1\\.0\\.0, 1 instance; pipeline ${PIPELINE}1`));

    const history = await mdeploy(["history", "staging"]);
    expect(history.code, history.stderr).toBe(0);
    const lines = history.stdout.split("\n").filter((l) => /^[* ] \d{4}-/.test(l));
    expect(lines.map((l) => /click-count:(\S+),/.exec(l)?.[1])).toEqual(["1.0.0", "1.1.0", "broken", "1.1.0", "1.0.0"]);
    expect(lines[0]).toMatch(/^\* .*rollback from .*became healthy {2}<- runs now$/);
    expect(lines[2]).toContain("never healthy");
    expect(lines[3]).toContain("became healthy");

    const historyJson = json<HistoryJson>(await mdeploy(["history", "staging", "--json", "--limit", "3"]));
    expect(historyJson.versions.map((v) => [v.image, v.healthy, v.runsNow])).toEqual([
      [`${IMAGE}:1.0.0`, "yes", true],
      [`${IMAGE}:1.1.0`, "yes", false],
      [`${IMAGE}:broken`, "never", false],
    ]);
    expect(historyJson.versions[0]?.pipelineUrl).toBe(`${PIPELINE}1`);

    // A second plain rollback does not silently go forward to 1.1.0 again.
    const again = await mdeploy(["rollback", "staging"]);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain("no earlier version runs something else that a rollback has not already left");
    expect((sim.state.app("/staging/click-count") as { container: { docker: { image: string } } }).container.docker.image).toBe(`${IMAGE}:1.0.0`);

    const unknown = await mdeploy(["rollback", "staging", "--to", "2020-01-01T00:00:00.000Z"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("has no stored version 2020-01-01T00:00:00.000Z");
    expect(unknown.stderr).toMatch(/nearest stored versions: \d{4}-/);

    const never = await mdeploy(["rollback", "production"]);
    expect(never.code).toBe(2);
    expect(never.stderr).toContain("production: /production/click-count is not deployed on");
  });
});
