/**
 * Shared set-up for deploy tests: an in-process simulator at high speed, the
 * real Marathon and Mesos adapters pointed at it on the simulator's clock, and
 * an Output that collects everything printed (to search for secrets).
 */
import { Writable } from "node:stream";
import { createOutput, type Output } from "../src/cli/output.js";
import { createRedactor } from "../src/core/redact.js";
import { deployApp, type DeployAppOptions, type DeployDeps, type DeployResult } from "../src/deploy/deploy-app.js";
import { createProgress } from "../src/deploy/progress.js";
import { createMarathonClient, type MarathonClient } from "../src/marathon/client.js";
import type { AppDefinition } from "../src/marathon/types.js";
import { createMesosClient, type MesosClient } from "../src/mesos/client.js";
import { defaultCluster, startSimulator, type ClusterSpec, type Simulator } from "../src/sim/index.js";

export interface Harness {
  sim: Simulator;
  marathon: MarathonClient;
  mesos: MesosClient;
  output: Output;
  /** Everything printed so far (stdout and stderr). */
  printed(): string;
  deploy(app: AppDefinition, options?: Partial<DeployAppOptions>): Promise<DeployResult>;
  /** Deploys with some dependencies replaced (a lossy Marathon, no Mesos). */
  deployWith(deps: Partial<DeployDeps>, app: AppDefinition, options?: Partial<DeployAppOptions>): Promise<DeployResult>;
  close(): Promise<void>;
}

/** Collects written text. */
export function collector(): { stream: Writable; text: () => string } {
  let text = "";
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      text += chunk.toString();
      done();
    },
  });
  return { stream, text: () => text };
}

export async function startHarness(options: { cluster?: ClusterSpec; speed?: number; secrets?: string[]; marathonAuth?: { username: string; password: string } } = {}): Promise<Harness> {
  const sim = await startSimulator({ cluster: options.cluster ?? defaultCluster(), speed: options.speed ?? 2000 });
  const marathon = createMarathonClient({ urls: sim.marathonUrls, clock: sim.clock, timeoutMs: 5_000, ...(options.marathonAuth ? { auth: options.marathonAuth } : {}) });
  const mesos = createMesosClient({ url: sim.mesosUrl, clock: sim.clock });
  const out = collector();
  const err = collector();
  const output = createOutput({ stdout: out.stream, stderr: err.stream, redactor: createRedactor(options.secrets ?? []) });
  const progress = createProgress(output, "plain", sim.clock);
  const deployWith = (deps: Partial<DeployDeps>, app: AppDefinition, extra: Partial<DeployAppOptions> = {}) => {
    const all: DeployDeps = { marathon, mesos, clock: sim.clock, output, progress, ...deps };
    if ("mesos" in deps && deps.mesos === undefined) delete all.mesos;
    return deployApp({ environment: "staging", app, strategy: "auto", lockTimeoutMs: 600_000, force: false, env: {}, ...extra }, all);
  };
  return {
    sim,
    marathon,
    mesos,
    output,
    printed: () => out.text() + err.text(),
    deploy: (app, extra = {}) => deployWith({}, app, extra),
    deployWith,
    close: async () => {
      marathon.close();
      mesos.close();
      await sim.close();
    },
  };
}

/** click-count as the example template renders it for an environment. */
export function clickCount(tag: string, environment = "staging", extra: Partial<AppDefinition> = {}): AppDefinition {
  return {
    id: `/${environment}/click-count`,
    instances: 1,
    cpus: 0.25,
    mem: 300,
    container: { type: "DOCKER", docker: { image: `registry.example.com/demo/click-count:${tag}` }, portMappings: [{ containerPort: 8080, hostPort: 0, protocol: "tcp", name: "http" }] },
    networks: [{ mode: "container/bridge" }],
    constraints: [["type", "CLUSTER", environment]],
    healthChecks: [{ protocol: "HTTP", path: "/", portIndex: 0, gracePeriodSeconds: 120, intervalSeconds: 15, timeoutSeconds: 5, maxConsecutiveFailures: 3 }],
    ...extra,
  };
}
