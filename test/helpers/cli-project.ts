/**
 * What the CLI suites start from: a click-count project on disk (mdeploy.yml
 * and a Handlebars template) in a scratch directory that is removed after each
 * test. One template builder, so the suites differ only where they mean to.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach } from "vitest";
import type { Simulator } from "../../src/sim/index.js";
import { runCli, type CliRun } from "./run-cli.js";

/** The fields a suite varies; each is a JSON fragment as it stands in the template. */
export interface ClickCountTemplate {
  /** Default `"/staging/click-count"`. */
  id?: string;
  /** Extra `"env"` object, e.g. `{ "DB_PASSWORD": {{json env.DB_PASSWORD}} }`. */
  env?: string;
  /** Extra `"labels"` object. */
  labels?: string;
  /** The port mapping's name (default `http`; empty for none). */
  portName?: string;
}

/** click-count: 300 MB on a bridge network, the image tag from CI_COMMIT_TAG, a MESOS_HTTP health check (as marathon/click-count has). */
export function clickCountTemplate(options: ClickCountTemplate = {}): string {
  const portName = options.portName ?? "http";
  const lines = [
    `  "id": ${options.id ?? '"/staging/click-count"'},`,
    `  "instances": 1,`,
    `  "cpus": 0.25,`,
    `  "mem": 300,`,
    `  "container": {`,
    `    "type": "DOCKER",`,
    `    "docker": { "image": "registry.example.com/demo/click-count:{{str env.CI_COMMIT_TAG}}" },`,
    `    "portMappings": [{ "containerPort": 8080, "hostPort": 0${portName ? `, "name": "${portName}"` : ""} }]`,
    `  },`,
    `  "networks": [{ "mode": "container/bridge" }],`,
    ...(options.env ? [`  "env": ${options.env},`] : []),
    `  "constraints": [["type", "CLUSTER", "staging"]],`,
    ...(options.labels ? [`  "labels": ${options.labels},`] : []),
    `  "healthChecks": [{ "protocol": "MESOS_HTTP", "portIndex": 0, "gracePeriodSeconds": 120, "intervalSeconds": 15, "timeoutSeconds": 5 }]`,
  ];
  return `{\n${lines.join("\n")}\n}\n`;
}

/** Closes what `current()` holds after each test (the suite's simulator, started anew by each test). */
export function closeAfterEach(current: () => { close(): Promise<void> } | undefined): void {
  afterEach(async () => {
    await current()?.close();
  });
}

/** Scratch directories for one suite, each removed after the test that made it. */
export function scratchDirectories(prefix: string): {
  /** An empty directory. */
  dir(): Promise<string>;
  /** A directory holding these files (name -> text). */
  project(files: Record<string, string>): Promise<string>;
} {
  const made: string[] = [];
  afterEach(async () => {
    await Promise.all(made.splice(0).map((d) => rm(d, { recursive: true, force: true })));
  });
  const dir = async () => {
    const created = await mkdtemp(path.join(tmpdir(), prefix));
    made.push(created);
    return created;
  };
  return {
    dir,
    async project(files) {
      const created = await dir();
      for (const [name, text] of Object.entries(files)) await writeFile(path.join(created, name), text);
      return created;
    },
  };
}

/** Runs the built CLI in `dir` against `sim` (every Marathon URL, and Mesos), with `env` on top. */
export function cliAgainst(sim: Simulator | undefined, dir: string, args: string[], env: Record<string, string>): Promise<CliRun> {
  if (!sim) throw new Error("simulator not started");
  return runCli(args, { cwd: dir, timeoutMs: 60_000, env: { MARATHON_URL: sim.marathonUrls.join(","), MESOS_URL: sim.mesosUrl, ...env } });
}
