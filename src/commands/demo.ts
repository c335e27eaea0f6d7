/**
 * `mdeploy demo` (what `npm start` runs): the original cluster in the built-in
 * simulator, and the story mdeploy was made for. click-count goes to staging and
 * production, is upgraded on the 497 MB agents (where Marathon's default
 * strategy would hang forever), then a broken build is deployed and rolled back.
 * Needs nothing but Node: the simulator runs in process on a fast virtual clock.
 */
import type { CliContext } from "../cli/context.js";
import { deployApp, type DeployAppOptions } from "../deploy/deploy-app.js";
import { createProgress, progressModeFor } from "../deploy/progress.js";
import { DeploymentFailedError, DeploymentTimedOutError, ExitWithCode, MdeployError } from "../errors.js";
import type { AppDefinition } from "../marathon/types.js";

export interface DemoOptions {
  /** Simulated seconds per real second. */
  speed: number;
}

export interface DemoResult {
  steps: { title: string; outcome: string; exitCode: number; version?: string }[];
}

/** The example app as marathon/click-count/app.json.hbs renders it for an environment and tag. */
export function demoApp(environment: string, tag: string): AppDefinition {
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
    healthChecks: [{ protocol: "HTTP", path: "/", portIndex: 0, gracePeriodSeconds: 120, intervalSeconds: 15, timeoutSeconds: 5, maxConsecutiveFailures: 3 }],
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
  const progress = createProgress(output, progressModeFor(context.env, Boolean(process.stdout.isTTY) && !output.json), clock);
  const result: DemoResult = { steps: [] };
  const say = (text = "") => output.info(text);

  say("mdeploy demo: the original cluster, simulated in this process");
  say(`  Marathon ${sim.marathonUrl}, Mesos ${sim.mesosUrl}, ${options.speed}x real time`);
  say("  agents: svc (2 CPUs, 8 GB), staging and production (t2.micro: Mesos reports 497 MB), attribute type=<name>");
  say("  app: click-count, a JVM app that needs 300 MB (the OOM killer ends it below that)");

  const deploy = (app: AppDefinition, environment: string) => {
    const deployOptions: DeployAppOptions = { environment, app, strategy: "auto", lockTimeoutMs: 600_000, force: false, env: {} };
    return deployApp(deployOptions, { marathon, mesos, clock, output, progress });
  };
  const step = async (title: string, explain: string, run: () => Promise<{ version?: string }>, expectFailure = false): Promise<void> => {
    say();
    say(`### ${title}`);
    say(`    ${explain}`);
    try {
      const { version } = await run();
      result.steps.push({ title, outcome: "verified", exitCode: 0, ...(version ? { version } : {}) });
      if (expectFailure) throw new ExitWithCode(1, `demo: "${title}" was expected to fail and roll back, but it succeeded`);
    } catch (error) {
      if (!expectFailure || !(error instanceof DeploymentFailedError || error instanceof DeploymentTimedOutError)) throw error;
      say(`mdeploy would exit ${error.exitCode} here: ${error.message}`);
      for (const line of error.details) say(`  ${line}`);
      result.steps.push({ title, outcome: "failed and rolled back", exitCode: error.exitCode });
    }
  };

  try {
    await step("1. deploy click-count 1.0.0 to staging", "A new app: mdeploy checks that 300 MB fit on an agent with type:staging, PUTs, and waits for a verified end.", () => deploy(demoApp("staging", "1.0.0"), "staging"));
    await step("2. deploy click-count 1.0.0 to production", "Same template, other environment.", () => deploy(demoApp("production", "1.0.0"), "production"));
    await step(
      "3. upgrade staging to 1.1.0",
      "Marathon's default upgradeStrategy (1, 1) starts the new instance beside the old one: 600 MB on a 497 MB agent, so the deployment would wait forever. mdeploy sees that and lowers minimumHealthCapacity only as far as needed.",
      () => deploy(demoApp("staging", "1.1.0"), "staging"),
    );
    await step(
      "4. deploy a broken build to staging",
      "The image never passes its health check. mdeploy notices the failing tasks, cancels the deployment, puts 1.1.0 back and waits until it is healthy again.",
      () => deploy(demoApp("staging", "broken"), "staging"),
      true,
    );
    const staging = sim.state.app("/staging/click-count") as { container?: { docker?: { image?: string } } } | undefined;
    say();
    say("### where things stand");
    say(`    staging runs ${staging?.container?.docker?.image ?? "?"} (${sim.state.healthyCount("/staging/click-count")} healthy)`);
    const production = sim.state.app("/production/click-count") as { container?: { docker?: { image?: string } } } | undefined;
    say(`    production runs ${production?.container?.docker?.image ?? "?"} (${sim.state.healthyCount("/production/click-count")} healthy)`);
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
