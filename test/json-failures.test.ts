/**
 * `--json` promises exactly one JSON document on stdout, success or failure:
 * a CI job pipes it to `jq` whatever the exit code. Every command is run into
 * a failure (bad flags for all; bad input, refusal and an unreachable cluster
 * where the command gets that far) and its stdout parsed as one document.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createProgram } from "../src/cli/program.js";
import { defaultCluster, startSimulator, type Simulator } from "../src/sim/index.js";
import { runCli } from "./helpers/run-cli.js";

const CONFIG = `environments:
  staging:
    template: app.json.hbs
`;
const TEMPLATE = `{{log "template says hello"}}{
  "id": "/staging/click-count", "instances": 2, "mem": 300, "cpus": 0.25,
  "container": { "type": "DOCKER", "docker": { "image": "registry.example.com/click-count:1.0.0" } },
  "constraints": [["type", "CLUSTER", "staging"]]
}
`;

let sim: Simulator;
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "mdeploy-json-"));
  await writeFile(path.join(dir, "mdeploy.yml"), CONFIG);
  await writeFile(path.join(dir, "app.json.hbs"), TEMPLATE);
  sim = await startSimulator({ cluster: defaultCluster(), speed: 500 });
});
afterAll(async () => {
  await sim?.close();
  await rm(dir, { recursive: true, force: true });
});

/** Runs with --json and returns the one document stdout holds. */
async function jsonRun(args: string[], env: Record<string, string> = {}): Promise<{ code: number; doc: { ok?: boolean; exitCode?: number; error?: { code: string; message: string; details: string[] } }; stderr: string }> {
  const run = await runCli([...args, "--json"], { cwd: dir, env, timeoutMs: 60_000 });
  let doc;
  try {
    doc = JSON.parse(run.stdout) as never;
  } catch (error) {
    throw new Error(`mdeploy ${args.join(" ")}: stdout is not one JSON document (${(error as Error).message}): ${JSON.stringify(run.stdout.slice(0, 300))}`);
  }
  return { code: run.code ?? -1, doc, stderr: run.stderr };
}

const commands = createProgram("0.0.0", { json: true, debug: false }, () => undefined as never).commands.map((c) => c.name());

describe("--json on every command, success or failure", () => {
  it.each(commands)("%s with a flag it does not have: exit 2 and one document naming the flag", async (command) => {
    const { code, doc } = await jsonRun([command, "--no-such-flag"]);
    expect(code).toBe(2);
    expect(doc).toMatchObject({ ok: false, exitCode: 2, error: { code: "bad-input" } });
    expect(doc.error?.message).toContain("--no-such-flag");
  });

  it("a command's own failures, exits 2, 3 and 6, each one document with the error and exit code", { timeout: 120_000 }, async () => {
    const cluster = { MARATHON_URL: sim.marathonUrls.join(","), MESOS_URL: sim.mesosUrl };
    const unreachable = { MARATHON_URL: "http://127.0.0.1:1", MESOS_URL: "http://127.0.0.1:1" };
    const cases: { args: string[]; env: Record<string, string>; exit: number; says: string }[] = [
      { args: ["render", "stagign"], env: {}, exit: 2, says: 'did you mean "staging"' },
      { args: ["stagign"], env: cluster, exit: 2, says: 'did you mean "staging"' },
      { args: ["plan", "staging"], env: cluster, exit: 3, says: "cannot finish" },
      { args: ["deploy", "staging", "--no-image-check"], env: cluster, exit: 3, says: "refused before any change" },
      { args: ["status", "staging"], env: unreachable, exit: 6, says: "127.0.0.1:1" },
      { args: ["history", "staging"], env: cluster, exit: 2, says: "is not deployed" },
      { args: ["rollback", "staging"], env: cluster, exit: 2, says: "is not deployed" },
      { args: ["demo", "--speed", "0"], env: {}, exit: 2, says: "speed" },
      { args: ["sim", "--cluster", "no-such-cluster.yml"], env: {}, exit: 2, says: "no-such-cluster.yml" },
      { args: ["registry-auth"], env: {}, exit: 2, says: "--registry" },
      { args: ["runner-reap"], env: {}, exit: 2, says: "--tag" },
    ];
    for (const c of cases) {
      const { code, doc, stderr } = await jsonRun(c.args, c.env);
      expect({ args: c.args, code }).toEqual({ args: c.args, code: c.exit });
      expect(doc).toMatchObject({ ok: false, exitCode: c.exit });
      expect(doc.error?.message).toContain(c.says);
      expect(stderr).toContain(c.says);
    }
  });

  it("Handlebars' {{log}} goes to stderr, never into the document", async () => {
    const { code, doc, stderr } = await jsonRun(["render", "staging", "--out-dir", "out"]);
    expect(code).toBe(0);
    expect(JSON.stringify(doc)).not.toContain("template says hello");
    expect(stderr).toContain("template says hello");
  });
});
