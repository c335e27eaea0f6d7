/**
 * Where a deploy-family command gets the app definition: rendered from the
 * config's template for the environment, or read from an artifact made earlier
 * by `mdeploy render` (`--artifact FILE`), validated either way.
 */
// Read with the synchronous call: node:fs/promises costs interactive commands start-up time to load.
import { readFileSync } from "node:fs";
import path from "node:path";
import { loadConfig } from "../config/load-config.js";
import type { CliContext } from "../core/ports/cli-context.js";
import type { ConfigOverrides, MarathonSettings, MdeployConfig, MesosSettings } from "../config/types.js";
import type { Redactor } from "../core/redact.js";
import { TemplateError, UsageError, ValidationError } from "../errors.js";
import type { AppDefinition } from "../marathon/types.js";
import { configuredEnvironment, renderEnvironment, renderEnvironmentAppId } from "../render/render-environment.js";
import { checkAppId } from "../validate/app-rules.js";
import { validateApp } from "../validate/validate-app.js";
import { settingsFor } from "./cluster-clients.js";

export interface LoadTargetOptions {
  cwd: string;
  configFile?: string;
  env: Record<string, string | undefined>;
  redactor: Redactor;
  environment: string;
  artifact?: string;
  overrides?: ConfigOverrides;
}

export interface LoadedTarget {
  config: MdeployConfig;
  app: AppDefinition;
  /** Lints from validation, "path: message". */
  warnings: string[];
}

/** Loads the config and the app. Throws ConfigError/TemplateError/ValidationError (exit 2) with every problem listed. */
async function loadTarget(options: LoadTargetOptions): Promise<LoadedTarget> {
  const config = await loadConfig({
    cwd: options.cwd,
    env: options.env,
    redactor: options.redactor,
    ...(options.configFile !== undefined ? { file: options.configFile } : {}),
    ...(options.overrides ? { overrides: options.overrides } : {}),
  });
  if (!options.artifact) {
    const rendered = await renderEnvironment(config, options.environment, { env: options.env, cwd: options.cwd });
    return { config, app: rendered.app, warnings: rendered.warnings.map((w) => `${w.path}: ${w.message}`) };
  }
  const { value, shown } = await readArtifact(options.cwd, options.artifact);
  const { errors, warnings } = validateApp(value);
  if (errors.length > 0) {
    throw new ValidationError(`${shown}: ${errors.length} problem${errors.length === 1 ? "" : "s"} in the app definition; nothing was sent`, errors.map((e) => `${shown}: ${e.path}: ${e.message}`));
  }
  const app = value as AppDefinition;
  await checkArtifactBelongs(config, options, app, shown);
  return { config, app, warnings: warnings.map((w) => `${w.path}: ${w.message}`) };
}

/**
 * An artifact deploys only to the environment it was rendered for: the
 * environment must exist, a file named for another environment
 * (`marathon_app_production.json` given to staging) is refused, and the app id
 * must be the one the environment renders. When the template cannot render in
 * this job (a CI variable only the render job had), or there is no config file
 * at all, the name check stands alone.
 */
async function checkArtifactBelongs(config: MdeployConfig, options: LoadTargetOptions, app: AppDefinition, shown: string): Promise<void> {
  const env = options.environment;
  // Without any config file the artifact is all there is (a GitLab stop job with
  // GIT_STRATEGY: none has no checkout): only its file name can be checked.
  if (config.configFile !== undefined && !Object.hasOwn(config.environments, env)) {
    // renderEnvironment words the unknown-environment error (with the known ones).
    await renderEnvironment(config, env, { env: options.env, cwd: options.cwd });
  }
  checkArtifactName(shown, env);
  if (config.configFile === undefined) return;
  let rendered: AppDefinition;
  try {
    rendered = (await renderEnvironment(config, env, { env: options.env, cwd: options.cwd })).app;
  } catch (error) {
    if (error instanceof TemplateError || error instanceof ValidationError) return;
    throw error;
  }
  if (absolute(rendered.id) !== absolute(app.id)) {
    throw new UsageError(`${shown}: app id ${app.id} is not the app of environment "${env}" (its template renders ${rendered.id}); nothing was sent`);
  }
}

/** A file named for another environment (`marathon_app_production.json` given to staging) is refused. */
function checkArtifactName(shown: string, env: string): void {
  const named = /^marathon_app_(.+)\.json$/.exec(path.basename(shown))?.[1];
  if (named !== undefined && named !== env) {
    throw new UsageError(`${shown} is the artifact of environment "${named}", not "${env}"; nothing was sent`, [`deploy it with: mdeploy deploy ${named} --artifact ${shown}, or give marathon_app_${env}.json`]);
  }
}

/** The artifact's parsed JSON and its name for messages. Throws ValidationError (exit 2). */
async function readArtifact(cwd: string, artifact: string): Promise<{ value: unknown; shown: string }> {
  const file = path.resolve(cwd, artifact);
  const shown = path.relative(cwd, file) || artifact;
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new ValidationError(`${shown}: cannot read the artifact (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  try {
    return { value: JSON.parse(text) as unknown, shown };
  } catch (error) {
    throw new ValidationError(`${shown}: not valid JSON (${(error as Error).message})`);
  }
}

function absolute(id: string): string {
  return id.startsWith("/") ? id : `/${id}`;
}

/** What a deploy-family command starts from: the app, and the Marathon and Mesos settings of its environment. */
export interface CommandTarget extends LoadedTarget {
  settings: { marathon: MarathonSettings; mesos: MesosSettings };
}

/** loadTarget with the CLI's cwd, --config, environment and redactor; warnings go to the output. */
export async function loadCommandTarget(context: CliContext, target: { environment: string; artifact?: string }, overrides?: ConfigOverrides): Promise<CommandTarget> {
  const loaded = await loadTarget({
    cwd: context.cwd,
    ...(context.global.config !== undefined ? { configFile: context.global.config } : {}),
    env: context.env,
    redactor: context.output.redactor,
    environment: target.environment,
    ...(target.artifact ? { artifact: target.artifact } : {}),
    ...(overrides ? { overrides } : {}),
  });
  for (const warning of loaded.warnings) context.output.warn(warning);
  return { ...loaded, settings: settingsFor(loaded.config, target.environment) };
}

/** What `status` and `history` start from: the app id, and the Marathon and Mesos settings of its environment. */
export interface CommandAppId {
  config: MdeployConfig;
  appId: string;
  settings: { marathon: MarathonSettings; mesos: MesosSettings };
}

/**
 * The environment's app id without validating the whole app (the read-only
 * commands need nothing else, and full validation was most of their start-up):
 * rendered from the template, or read from `--artifact`, whose file name must
 * be the environment's. Either way the id is the one deploy would send; deploy
 * additionally refuses an artifact whose id the template does not render.
 */
export async function loadCommandAppId(context: CliContext, target: { environment: string; artifact?: string }): Promise<CommandAppId> {
  const env = target.environment;
  const config = await loadConfig({
    cwd: context.cwd,
    env: context.env,
    redactor: context.output.redactor,
    ...(context.global.config !== undefined ? { file: context.global.config } : {}),
  });
  let appId: string;
  if (target.artifact) {
    // Without any config file the artifact is all there is (see checkArtifactBelongs).
    if (config.configFile !== undefined) configuredEnvironment(config, env, { cwd: context.cwd });
    const { value, shown } = await readArtifact(context.cwd, target.artifact);
    checkArtifactName(shown, env);
    const id = (value as { id?: unknown } | null)?.id;
    if (typeof id !== "string" || id === "") throw new ValidationError(`${shown}: /id: the app needs an id (a non-empty string)`);
    const idProblem = checkAppId(id);
    if (idProblem) throw new ValidationError(`${shown}: /id: invalid app id ${idProblem}`);
    appId = id;
  } else {
    appId = await renderEnvironmentAppId(config, env, { env: context.env, cwd: context.cwd });
  }
  return { config, appId, settings: settingsFor(config, env) };
}
