import { positiveFlag } from "../core/positive-number.js";
import { UsageError } from "../errors.js";
import type { CliContext } from "../core/ports/cli-context.js";

/** Options of `mdeploy sim`. */
export interface SimOptions {
  cluster?: string;
  port: string | number;
  mesosPort: string | number;
  speed: string | number;
  seed: string | number;
  host?: string;
}

/** What `runSim` returns once stopped (printed under --json). */
export interface SimResult {
  marathonUrl: string;
  marathonUrls: string[];
  mesosUrl: string;
}

export interface SimDeps {
  /** Aborted to stop the simulator; default: SIGINT or SIGTERM. */
  stop?: AbortSignal;
  /** Called once the servers listen (tests use it instead of parsing output). */
  onReady?: (urls: SimResult) => void;
}

function parseNumber(flag: string, value: string | number, check: (n: number) => boolean, hint: string): number {
  const n = typeof value === "number" ? value : Number(value);
  if (!Number.isFinite(n) || !check(n)) throw new UsageError(`${flag} ${String(value)}: ${hint}`);
  return n;
}

/**
 * `mdeploy sim`: runs the Marathon + Mesos simulator until SIGINT/SIGTERM (or
 * `deps.stop`), printing its URLs. Resolves after a clean shutdown.
 */
export async function runSim(options: SimOptions, context: CliContext, deps: SimDeps = {}): Promise<SimResult> {
  const port = parseNumber("--port", options.port, (n) => Number.isInteger(n) && n >= 0 && n <= 65535, "must be a port number (0-65535)");
  const mesosPort = parseNumber("--mesos-port", options.mesosPort, (n) => Number.isInteger(n) && n >= 0 && n <= 65535, "must be a port number (0-65535)");
  const speed = positiveFlag("--speed", String(options.speed), { unit: "simulated seconds per real second", max: 1_000_000 });
  const seed = parseNumber("--seed", options.seed, (n) => Number.isInteger(n), "must be an integer");
  const { startSimulator, defaultCluster, loadClusterFile, SimulatorListenError } = await import("../sim/index.js");
  const { resolve } = await import("node:path");
  const cluster = options.cluster ? await loadClusterFile(resolve(context.cwd, options.cluster)) : defaultCluster();
  if (cluster.credentials) context.output.redactor.add(cluster.credentials.password);
  const sim = await startSimulator({ cluster, speed, seed, port, mesosPort, host: options.host ?? "127.0.0.1" }).catch((error: unknown) => {
    if (error instanceof SimulatorListenError) throw new UsageError(`${error.message} (choose others with --port and --mesos-port)`);
    throw error;
  });
  const result: SimResult = { marathonUrl: sim.marathonUrl, marathonUrls: sim.marathonUrls, mesosUrl: sim.mesosUrl };
  context.output.info(`Marathon: ${sim.marathonUrls.join(", ")}`);
  context.output.info(`Mesos:    ${sim.mesosUrl}`);
  context.output.info(`${cluster.agents.length} agents, ${speed} simulated second${speed === 1 ? "" : "s"} per second, seed ${seed}; Ctrl-C stops.`);
  // Under --json the URLs are the document, printed as soon as they are known so a script can read them.
  context.output.result(result);
  deps.onReady?.(result);
  await new Promise<void>((done) => {
    if (deps.stop) {
      if (deps.stop.aborted) return done();
      deps.stop.addEventListener("abort", () => done(), { once: true });
      return;
    }
    const onSignal = () => {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
      done();
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
  });
  await sim.close();
  return result;
}
