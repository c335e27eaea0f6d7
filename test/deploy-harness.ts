/**
 * Shared set-up for deploy tests: an in-process simulator at high speed, the
 * real Marathon and Mesos adapters pointed at it on the simulator's clock, and
 * an Output that collects everything printed (to search for secrets).
 */
import { Writable } from "node:stream";
import { createOutput } from "../src/cli/output.js";
import type { Output } from "../src/core/ports/output.js";
import { createRedactor } from "../src/core/redact.js";
import { deployApp, type DeployAppOptions, type DeployDeps } from "../src/deploy/deploy-app.js";
import type { DeployResult } from "../src/deploy/deploy-result.js";
import { createProgress } from "../src/deploy/progress.js";
import type { Progress } from "../src/core/ports/progress.js";
import { expect } from "vitest";
import { createMarathonClient, type MarathonClient } from "../src/marathon/client.js";
import type { AppDefinition, UncheckedMarathonEvent } from "../src/marathon/types.js";
import type { Interrupts } from "../src/deploy/run-limits.js";
import { createMesosClient, type MesosClient } from "../src/mesos/client.js";
import { defaultCluster, startSimulator, type ClusterSpec, type Simulator } from "../src/sim/index.js";

export interface Harness {
  sim: Simulator;
  marathon: MarathonClient;
  mesos: MesosClient;
  output: Output;
  progress: Progress;
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
    progress,
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
    healthChecks: [{ protocol: "MESOS_HTTP", path: "/", portIndex: 0, gracePeriodSeconds: 120, intervalSeconds: 15, timeoutSeconds: 5, maxConsecutiveFailures: 3 }],
    ...extra,
  };
}

/** What a deploy ended with: its exit code (0 on success) and everything a user saw (progress, error, details). */
export async function outcomeOf(harness: Harness, promise: Promise<unknown>): Promise<{ code: number; shown: string }> {
  try {
    await promise;
    return { code: 0, shown: harness.printed() };
  } catch (error) {
    const e = error as { exitCode?: number; message?: string; details?: readonly string[] };
    if (typeof e.exitCode !== "number") throw error;
    return { code: e.exitCode, shown: [harness.printed(), e.message ?? "", ...(e.details ?? [])].join("\n") };
  }
}

/** The app runs `tag` only, every instance healthy, no deployment left. */
export function expectRunning(harness: Harness, tag: string, appId = "/staging/click-count"): void {
  const app = harness.sim.state.app(appId) as { version: string; instances: number; container: { docker: { image: string } } };
  expect(app.container.docker.image).toBe(`registry.example.com/demo/click-count:${tag}`);
  expect(harness.sim.state.deployments().filter((d) => d.affectedApps.includes(appId))).toEqual([]);
  const tasks = harness.sim.state.tasks(appId).filter((t) => t.state === "TASK_RUNNING");
  expect(tasks.length).toBe(app.instances);
  expect(harness.sim.state.healthyCount(appId)).toBe(app.instances);
}

/**
 * Calls `fault` once, inside the simulator, right after the first event of the given
 * type (optionally matching `when`): scheduled on the simulator's clock at that
 * moment, so it neither races the deployment nor runs in the middle of the engine's step.
 */
export function onFirst(harness: Harness, type: string, fault: (event: UncheckedMarathonEvent) => void, when: (event: UncheckedMarathonEvent) => boolean = () => true): void {
  let done = false;
  const stop = harness.sim.onEvent((event: UncheckedMarathonEvent) => {
    if (done || event.eventType !== type || !when(event)) return;
    done = true;
    stop();
    harness.sim.clock.schedule(0, () => fault(event));
  });
}

/** Interrupts the test controls, as the CLI's SIGINT/SIGTERM listener would deliver them (the first call is the first signal). */
export function interrupts(): { interrupts: Interrupts; signal(name: string): void } {
  const first = new AbortController();
  const second = new AbortController();
  return {
    interrupts: { first: first.signal, second: second.signal },
    signal: (name) => (first.signal.aborted ? second.abort(name) : first.abort(name)),
  };
}
