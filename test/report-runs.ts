/**
 * Real runs for the deployment-report tests: `mdeploy deploy` (the command
 * function the CLI calls, in process so it shares the simulator's fast clock)
 * from a project directory with mdeploy.yml and a template, against the
 * simulator, with `--report`. Each run returns the page it wrote and the
 * simulator, whose timeline is the independent record to check the page against.
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { createOutput } from "../src/cli/output.js";
import type { CliContext } from "../src/core/ports/cli-context.js";
import { runDeploy } from "../src/commands/deploy.js";
import { runRollback } from "../src/commands/rollback.js";
import { createRedactor } from "../src/core/redact.js";
import { planDeploy } from "../src/deploy/plan-deploy.js";
import { MdeployError } from "../src/errors.js";
import { createMarathonClient } from "../src/marathon/client.js";
import type { AppDefinition } from "../src/marathon/types.js";
import { createMesosClient } from "../src/mesos/client.js";
import { defaultCluster, startSimulator, type ClusterSpec, type Simulator } from "../src/sim/index.js";
import { collector } from "./deploy-harness.js";

export const MARATHON_PASSWORD = "marathon-pw-report-5c1d";
export const DB_PASSWORD = "db-secret-report-77e0";
export const APP_ID = "/staging/click-count";

const CONFIG = `environments:
  staging:
    template: app.json.hbs
    secrets: [DB_PASSWORD]
`;

/** click-count with a secret env value; the tag and instance count come from the environment. */
const TEMPLATE = `{
  "id": "${APP_ID}",
  "instances": {{number env.INSTANCES}},
  "cpus": 0.25,
  "mem": 300,
  "container": {
    "type": "DOCKER",
    "docker": { "image": "registry.example.com/demo/click-count:{{str env.CI_COMMIT_TAG}}" },
    "portMappings": [{ "containerPort": 8080, "hostPort": 0, "name": "http" }]
  },
  "networks": [{ "mode": "container/bridge" }],
  "env": { "DB_PASSWORD": {{json env.DB_PASSWORD}}, "DB_HOST": "db.staging" },
  "constraints": [["type", "CLUSTER", "staging"]],
  "healthChecks": [{ "protocol": "MESOS_HTTP", "portIndex": 0, "gracePeriodSeconds": 120, "intervalSeconds": 15, "timeoutSeconds": 5, "maxConsecutiveFailures": 3 }]
}
`;

/** A project directory and a simulator, for a series of deploys. */
export interface ReportProject {
  dir: string;
  sim: Simulator;
  /** Everything printed by the commands so far. */
  printed(): string;
  /** `mdeploy deploy staging` with CI_COMMIT_TAG=tag (and --report when given); the exit code it would end with. */
  deploy(tag: string, options?: { report?: string; instances?: number; env?: Record<string, string> }): Promise<{ exitCode: number; minHealthy?: number }>;
  /** `mdeploy rollback staging --report FILE`. */
  rollback(report: string): Promise<{ exitCode: number }>;
  /** What the planner says about deploying `tag` now (the floor the report must draw). */
  plan(tag: string, instances?: number): Promise<number>;
  close(): Promise<void>;
}

/**
 * `speed` is simulated seconds per real second: slow enough that the real time
 * spent connecting and planning stays a small part of the chart.
 */
export async function startReportProject(cluster: ClusterSpec = defaultCluster(), speed = 250): Promise<ReportProject> {
  cluster.credentials = { username: "ci", password: MARATHON_PASSWORD };
  const sim = await startSimulator({ cluster, speed });
  const dir = await mkdtemp(path.join(tmpdir(), "mdeploy-report-"));
  await writeFile(path.join(dir, "mdeploy.yml"), CONFIG);
  await writeFile(path.join(dir, "app.json.hbs"), TEMPLATE);
  const out = collector();
  const err = collector();
  const output = createOutput({ stdout: out.stream, stderr: err.stream, redactor: createRedactor() });
  const env = (tag: string, instances: number, extra: Record<string, string> = {}) => ({
    MARATHON_URL: sim.marathonUrls.join(","),
    MESOS_URL: sim.mesosUrl,
    MARATHON_USERNAME: "ci",
    MARATHON_PASSWORD,
    DB_PASSWORD,
    CI_COMMIT_TAG: tag,
    INSTANCES: String(instances),
    ...extra,
  });
  const context = (e: Record<string, string>): CliContext => ({ output, env: e, cwd: dir, global: { json: false, debug: false } });
  const exitOf = async (run: () => Promise<unknown>) => {
    try {
      await run();
      return 0;
    } catch (error) {
      if (error instanceof MdeployError) return error.exitCode;
      throw error;
    }
  };
  return {
    dir,
    sim,
    printed: () => out.text() + err.text(),
    async deploy(tag, options = {}) {
      let minHealthy: number | undefined;
      const exitCode = await exitOf(async () => {
        const result = await runDeploy(
          { environment: "staging", lockTimeoutSeconds: 600, force: false, skipImageCheck: false, imageCheck: false, dotenv: "", ...(options.report ? { report: options.report } : {}) },
          context(env(tag, options.instances ?? 1, options.env)),
          sim.clock,
        );
        minHealthy = result.plan.minHealthy;
      });
      return { exitCode, ...(minHealthy !== undefined ? { minHealthy } : {}) };
    },
    async rollback(report) {
      return { exitCode: await exitOf(() => runRollback({ environment: "staging", report }, context(env("unused", 1)), sim.clock)) };
    },
    async plan(tag, instances = 1) {
      const marathon = createMarathonClient({ urls: sim.marathonUrls, clock: sim.clock, auth: { username: "ci", password: MARATHON_PASSWORD } });
      const mesos = createMesosClient({ url: sim.mesosUrl, clock: sim.clock });
      try {
        const app = JSON.parse(TEMPLATE.replace("{{number env.INSTANCES}}", String(instances)).replace("{{str env.CI_COMMIT_TAG}}", tag).replace("{{json env.DB_PASSWORD}}", JSON.stringify(DB_PASSWORD))) as AppDefinition;
        return (await planDeploy(app, "auto", { marathon, mesos, redact: (t) => t })).plan.minHealthy;
      } finally {
        marathon.close();
        mesos.close();
      }
    },
    async close() {
      await sim.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** The default cluster with a second staging agent, so an upgrade can keep an instance up. */
export function clusterWithSpareStagingAgent(): ClusterSpec {
  const cluster = defaultCluster();
  cluster.agents.push({ hostname: "staging-2", cpus: 1, mem: 497, disk: 4000, ports: "[31000-32000]", attributes: { type: "staging" } });
  return cluster;
}

/** Reads a written report. */
export function readReport(project: ReportProject, name: string): Promise<string> {
  return readFile(path.join(project.dir, name), "utf8");
}
