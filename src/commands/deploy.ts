/**
 * `mdeploy deploy <env>` (and `mdeploy <env>`): load and validate the app,
 * wire the adapters, and hand over to the deploy engine. Writes the dotenv
 * report on success.
 */
import { randomUUID } from "node:crypto";
import { rename, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import type { CliContext } from "../core/ports/cli-context.js";
import type { Clock } from "../core/ports/clock.js";
import { systemClock } from "../host/system-clock.js";
import { PreflightRefusedError, UnreachableError, UsageError } from "../errors.js";
import { marathonClientFor, mesosClientFor } from "../deploy/cluster-clients.js";
import { deployApp, type PreflightHook } from "../deploy/deploy-app.js";
import type { DeployResult } from "../deploy/deploy-result.js";
import { loadCommandTarget } from "../deploy/load-target.js";
import { withCiProvenance } from "../deploy/app-provenance.js";
import { createProgress, progressModeFor } from "../deploy/progress.js";
import type { OnInterrupt } from "../deploy/run-limits.js";
import type { EnvironmentConfig, RegistryAccess } from "../config/types.js";
import type { StrategyChoice } from "../config/types.js";
import { reportedDeps, reportPathFor, startReport, withReport } from "../report/write-report.js";
import { listenForInterrupts } from "./process-interrupts.js";

export interface DeployOptions {
  environment: string;
  /** Deploy this rendered artifact instead of rendering. */
  artifact?: string;
  strategy?: StrategyChoice;
  /** Seconds; default derived from the app's health checks. */
  timeoutSeconds?: number;
  /** Seconds a 409 waits for the other deployment (default 600). */
  lockTimeoutSeconds: number;
  force: boolean;
  skipImageCheck: boolean;
  /** False with `--no-image-check`: the registry is not asked at all. */
  imageCheck?: boolean;
  /** `--registry-ca`: PEM file with the registry's CA. */
  registryCa?: string;
  /** `--insecure-registry`: registries asked like Docker's insecure-registries. */
  insecureRegistries?: string[];
  /** Dotenv report path (default deploy.env); empty string = none. */
  dotenv: string;
  url?: string;
  /** `--report FILE` (HTML deployment report); false with `--no-report`; default: mdeploy-report.html in CI only. */
  report?: string | false;
  /** SIGINT/SIGTERM: roll back (default) or leave the deployment running. */
  onInterrupt?: OnInterrupt;
  /** Seconds the rollback after a first signal may take (default 20). */
  interruptGraceSeconds?: number;
}

/** Deploys and returns the verified result (printed under --json). */
export async function runDeploy(options: DeployOptions, context: CliContext, clock: Clock = systemClock): Promise<DeployResult> {
  const { output } = context;
  const loaded = await loadCommandTarget(context, options, {
    ...(options.strategy ? { strategy: options.strategy } : {}),
    ...(options.timeoutSeconds !== undefined ? { timeoutSeconds: options.timeoutSeconds } : {}),
  });
  const dotenvPath = options.dotenv ? path.resolve(context.cwd, options.dotenv) : undefined;
  if (dotenvPath) await checkDotenvPath(dotenvPath, options.dotenv);
  const envConfig = Object.hasOwn(loaded.config.environments, options.environment) ? loaded.config.environments[options.environment] : undefined;
  const marathon = marathonClientFor(loaded.settings.marathon, clock);
  const mesos = mesosClientFor(loaded.settings, clock);
  const preflight: PreflightHook[] =
    options.imageCheck === false
      ? [skippedImageCheck]
      : [(app) => checkImage(app, context.env, options.skipImageCheck ? (text) => output.warn(text) : undefined, { access: loaded.config.registry, options, clock })];
  const report = startReport({ file: reportPathFor(options.report, context.env), command: "deploy", environment: options.environment, appId: loaded.app.id, clock, env: context.env, cwd: context.cwd, output });
  const signals = listenForInterrupts(output);
  try {
    const timeoutSeconds = options.timeoutSeconds ?? envConfig?.timeoutSeconds;
    const strategy = options.strategy ?? envConfig?.strategy ?? "auto";
    // Canary and blue/green wrap the same engine: the stable app ends up deployed by it.
    const engine = strategy === "canary" || strategy === "blue-green" ? await progressiveEngine(strategy, options.environment, envConfig) : deployApp;
    const result = await withReport(report, () => engine(
      {
        environment: options.environment,
        app: withCiProvenance(loaded.app, context.env),
        strategy: strategy === "template" ? "template" : "auto",
        ...(envConfig?.minHealthy !== undefined ? { minHealthy: envConfig.minHealthy } : {}),
        ...(timeoutSeconds !== undefined ? { timeoutMs: timeoutSeconds * 1000 } : {}),
        lockTimeoutMs: options.lockTimeoutSeconds * 1000,
        force: options.force,
        env: context.env,
        ...(envConfig ? { emptySecretsAllowed: envConfig.emptySecretsAllowed } : {}),
        ...(dotenvPath ? { dotenvPath } : {}),
        ...(options.url ? { url: options.url } : context.env.CI_ENVIRONMENT_URL ? { url: context.env.CI_ENVIRONMENT_URL } : {}),
        ...(options.onInterrupt ? { onInterrupt: options.onInterrupt } : {}),
        ...(options.interruptGraceSeconds !== undefined ? { interruptGraceMs: options.interruptGraceSeconds * 1000 } : {}),
      },
      reportedDeps(report, {
        marathon,
        ...(mesos ? { mesos } : {}),
        clock,
        output,
        progress: createProgress(output, progressModeFor(context.env, output.isTerminal), clock),
        preflight,
        writeFile: writeAtomically,
        interrupts: signals.interrupts,
      }),
    ), (r) => `${r.appId} version ${r.version} verified: ${r.instances.healthy}/${r.instances.total} healthy`);
    output.result(result);
    return result;
  } finally {
    signals.dispose();
    marathon.close();
    mesos?.close();
  }
}

/** The canary or blue/green engine with the environment's settings, loaded only when asked for. */
async function progressiveEngine(strategy: "canary" | "blue-green", environment: string, envConfig: EnvironmentConfig | undefined): Promise<typeof deployApp> {
  if (!envConfig) throw new UsageError(`--strategy ${strategy} needs environment ${environment} in mdeploy.yml (its ${strategy === "canary" ? "canary:" : "blueGreen:"} settings)`);
  if (strategy === "canary") {
    const { deployCanary } = await import("../deploy/progressive/canary.js");
    return (options, deps) => deployCanary(options, envConfig.canary, deps);
  }
  const { deployBlueGreen } = await import("../deploy/progressive/blue-green.js");
  return (options, deps) => deployBlueGreen(options, envConfig.blueGreen, deps);
}

/**
 * The dotenv report is written after a verified deploy; a path that cannot take
 * it must fail before anything is sent, not turn a good deploy into an error.
 */
async function checkDotenvPath(file: string, shown: string): Promise<void> {
  const directory = path.dirname(file);
  const kind = async (p: string) =>
    stat(p).then(
      (s) => (s.isDirectory() ? "directory" : "file"),
      (error: NodeJS.ErrnoException) => {
        if (error.code === "ENOENT" || error.code === "ENOTDIR") return "missing";
        throw new UsageError(`--dotenv ${shown}: cannot check ${p} (${error.code ?? error.message}); nothing was sent`);
      },
    );
  if ((await kind(directory)) !== "directory") throw new UsageError(`--dotenv ${shown}: directory ${directory} does not exist; nothing was sent`, ["create it first, or give another path (--dotenv \"\" writes no report)"]);
  if ((await kind(file)) === "directory") throw new UsageError(`--dotenv ${shown}: ${file} is a directory; nothing was sent`, ["give a file path for the report (default deploy.env)"]);
}

/**
 * The registry preflight: refuse (exit 3) when the image tag does not exist.
 * With `--skip-image-check` (`warnIfUnreachable` given) the registry is still
 * asked and a missing tag still refused; only a registry that cannot be reached
 * or refuses our credentials becomes a warning. That mode asks once, without
 * retries, on a short bound, so a registry host that does not resolve or
 * refuses connections costs a fraction of a second.
 */
async function checkImage(
  app: { container?: { docker?: { image?: string } } | null },
  env: Record<string, string | undefined>,
  warnIfUnreachable: ((text: string) => void) | undefined,
  registrySettings: { access: RegistryAccess; options: Pick<DeployOptions, "registryCa" | "insecureRegistries">; clock: Clock },
): Promise<string | undefined> {
  const image = app.container?.docker?.image;
  if (!image) return undefined;
  const { checkImageTagExists } = await import("../registry/image-check.js");
  const { parseImageReference } = await import("../registry/image-reference.js");
  const { registryCheckAccess } = await import("../registry/credentials.js");
  const parsed = parseImageReference(image);
  const registry = typeof parsed === "string" ? "" : parsed.registry;
  const { options } = registrySettings;
  const access = registryCheckAccess(registry, env, registrySettings.access, {
    ...(options.registryCa ? { caFile: options.registryCa } : {}),
    ...(options.insecureRegistries ? { insecureRegistries: options.insecureRegistries } : {}),
  });
  const bounds = warnIfUnreachable ? { timeoutMs: SKIPPABLE_CHECK_TIMEOUT_MS, retryDelaysMs: [] } : { timeoutMs: 15_000 };
  let result;
  try {
    result = await checkImageTagExists({ image, ...bounds, ...access, clock: registrySettings.clock });
  } catch (error) {
    if (!(error instanceof UnreachableError)) throw error;
    if (!warnIfUnreachable) throw new UnreachableError(error.message, [...error.details, ...UNREACHABLE_REGISTRY_HINTS]);
    warnIfUnreachable(`image tag not checked (--skip-image-check): ${error.message}`);
    return undefined;
  }
  if (!result.exists) {
    throw new PreflightRefusedError(`image ${image} not found in ${result.registry} (${result.url}); nothing was sent`, ["push the image first (--skip-image-check only passes over a registry that cannot be reached)"]);
  }
  return `image ${image} exists in ${result.registry}`;
}

/** `--no-image-check`: nothing is asked, and the preflight report says so. */
async function skippedImageCheck(): Promise<string> {
  return "image tag not checked (--no-image-check)";
}

/** What to do about a registry that cannot be reached, named with the flags. */
const UNREACHABLE_REGISTRY_HINTS = [
  "--skip-image-check makes an unreachable registry a warning (a missing tag is still refused)",
  "--no-image-check asks no registry at all (for clusters without one, such as mdeploy sim)",
];

/** Bound on the registry check under --skip-image-check, where giving up only costs a warning. */
const SKIPPABLE_CHECK_TIMEOUT_MS = 5_000;

/** Writes by rename so a reader never sees half a report. */
async function writeAtomically(file: string, text: string): Promise<void> {
  const temporary = `${file}.${randomUUID()}.tmp`;
  await writeFile(temporary, text, "utf8");
  await rename(temporary, file);
}
