/**
 * `mdeploy demo` (what `npm start` runs): the original cluster in the built-in
 * simulator, and the story mdeploy was made for. click-count goes to staging and
 * production, is upgraded on the 497 MB agents (where Marathon's default
 * strategy would hang forever), then a broken build is deployed and rolled back.
 * Needs nothing but Node: the simulator runs in process on a fast virtual clock.
 */
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { CliContext } from "../core/ports/cli-context.js";
import { deployApp, type DeployAppOptions } from "../deploy/deploy-app.js";
import { createProgress, progressModeFor } from "../deploy/progress.js";
import { DeploymentFailedError, DeploymentTimedOutError, ExitWithCode, MdeployError } from "../errors.js";
import type { AppDefinition } from "../marathon/types.js";
import { reportedDeps, startReport, withReport } from "../report/write-report.js";
import type { VersionSummary } from "../deploy/version-display.js";

export interface DemoOptions {
  /** Simulated seconds per real second. */
  speed: number;
  /** Folder for the acts' deployment reports (default: a new folder under the system's temp folder, so the working directory stays clean). */
  reports?: string;
}

export interface DemoResult {
  /** The folder holding one HTML deployment report per act. */
  reports: string;
  steps: { title: string; outcome: string; exitCode: number; version?: string; runs?: VersionSummary; report: string }[];
}

/** The example app as marathon/click-count/app.json.hbs renders it for an environment and tag. */
function demoApp(environment: string, tag: string): AppDefinition {
  return {
    id: `/${environment}/click-count`,
    instances: 1,
    cpus: 0.25,
    mem: 300,
    container: {
      type: "DOCKER",
      docker: { image: `registry.gitlab.example.com/demo/click-count:${tag}`, forcePullImage: false },
      portMappings: [{ containerPort: 8080, hostPort: 0, protocol: "tcp", name: "http" }],
    },
    networks: [{ mode: "container/bridge" }],
    env: { REDIS_HOST: `redis.${environment}.example.com` },
    constraints: [["type", "CLUSTER", environment]],
    labels: { "traefik.enable": "true", [`traefik.http.routers.click-count-${environment}.rule`]: `Host(\`click-count.${environment}.example.com\`)` },
    healthChecks: [{ protocol: "MESOS_HTTP", path: "/", portIndex: 0, gracePeriodSeconds: 120, intervalSeconds: 15, timeoutSeconds: 5, maxConsecutiveFailures: 3 }],
  };
}

/** Runs the demo; exit 0 when every step behaved as the story says. */
export async function runDemo(options: DemoOptions, context: CliContext): Promise<DemoResult> {
  const { output } = context;
  const { startSimulator, defaultCluster } = await import("../sim/index.js");
  const { createMarathonClient } = await import("../marathon/client.js");
  const { createMesosClient } = await import("../mesos/client.js");
  const sim = await startSimulator({ cluster: defaultCluster(), speed: options.speed });
  const clock = sim.clock;
  const marathon = createMarathonClient({ urls: sim.marathonUrls, clock });
  const mesos = createMesosClient({ url: sim.mesosUrl, clock });
  const progress = createProgress(output, progressModeFor(context.env, output.isTerminal), clock);
  const reports = options.reports ? path.resolve(context.cwd, options.reports) : await mkdtemp(path.join(tmpdir(), "mdeploy-demo-reports-"));
  const result: DemoResult = { reports, steps: [] };
  const say = (text = "") => output.info(text);

  say("mdeploy demo: the original cluster, simulated in this process");
  say(`  Marathon ${sim.marathonUrl}, Mesos ${sim.mesosUrl}, ${options.speed}x real time`);
  say("  agents: svc (2 CPUs, 8 GB), staging and production (t2.micro: Mesos reports 497 MB), attribute type=<name>");
  say("  app: click-count, a JVM app that needs 300 MB (the OOM killer ends it below that)");

  /** Deploys one act, writing its report to `file`. */
  const deploy = (app: AppDefinition, environment: string, file: string) => {
    const deployOptions: DeployAppOptions = { environment, app, strategy: "auto", lockTimeoutMs: 600_000, force: false, env: {} };
    const report = startReport({ file, command: "deploy", environment, appId: app.id, clock, env: {}, cwd: context.cwd, output });
    return withReport(report, () => deployApp(deployOptions, reportedDeps(report, { marathon, mesos, clock, output, progress })), (r) => `${r.appId} version ${r.version} verified`);
  };
  const step = async (title: string, explain: string, run: (reportFile: string) => Promise<{ version?: string; runs?: VersionSummary }>, expectFailure = false): Promise<void> => {
    say();
    say(`### ${title}`);
    say(`    ${explain}`);
    const report = path.join(reports, `${title.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "")}.html`);
    try {
      const { version, runs } = await run(report);
      result.steps.push({ title, outcome: "verified", exitCode: 0, ...(version ? { version } : {}), ...(runs ? { runs } : {}), report });
      if (expectFailure) throw new ExitWithCode(1, `demo: "${title}" was expected to fail and roll back, but it succeeded`);
    } catch (error) {
      if (!expectFailure || !(error instanceof DeploymentFailedError || error instanceof DeploymentTimedOutError)) throw error;
      say(`mdeploy would exit ${error.exitCode} here: ${error.message}`);
      for (const line of error.details) say(`  ${line}`);
      result.steps.push({ title, outcome: "failed and rolled back", exitCode: error.exitCode, report });
    }
  };

  try {
    await step("1. deploy click-count 1.0.0 to staging", "A new app: mdeploy checks that 300 MB fit on an agent with type:staging, PUTs, and waits for a verified end.", (file) => deploy(demoApp("staging", "1.0.0"), "staging", file));
    await step("2. deploy click-count 1.0.0 to production", "Same template, other environment.", (file) => deploy(demoApp("production", "1.0.0"), "production", file));
    await step(
      "3. upgrade staging to 1.1.0",
      "Marathon's default upgradeStrategy (1, 1) starts the new instance beside the old one: 600 MB on a 497 MB agent, so the deployment would wait forever. mdeploy sees that and lowers minimumHealthCapacity only as far as needed.",
      (file) => deploy(demoApp("staging", "1.1.0"), "staging", file),
    );
    await step(
      "4. deploy a broken build to staging",
      "The image never passes its health check. mdeploy notices the failing tasks, cancels the deployment, puts 1.1.0 back and waits until it is healthy again.",
      (file) => deploy(demoApp("staging", "broken"), "staging", file),
      true,
    );
    const staging = sim.state.app("/staging/click-count") as { container?: { docker?: { image?: string } } } | undefined;
    say();
    say("### where things stand");
    say(`    staging runs ${staging?.container?.docker?.image ?? "?"} (${sim.state.healthyCount("/staging/click-count")} healthy)`);
    const production = sim.state.app("/production/click-count") as { container?: { docker?: { image?: string } } } | undefined;
    say(`    production runs ${production?.container?.docker?.image ?? "?"} (${sim.state.healthyCount("/production/click-count")} healthy)`);
    say();
    say(`### deployment reports, one per act (open them in a browser): ${reports}`);
    for (const s of result.steps) say(`    ${path.basename(s.report)}`);
    say();
    say("Next: the README's 5-minute tour does the same by hand with mdeploy sim, render, plan, deploy and rollback.");
    output.result(result);
    return result;
  } catch (error) {
    if (error instanceof MdeployError) throw new ExitWithCode(error.exitCode === 0 ? 1 : error.exitCode, `demo: unexpected outcome: ${error.message}`);
    throw error;
  } finally {
    marathon.close();
    mesos.close();
    await sim.close();
  }
}
