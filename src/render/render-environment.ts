/**
 * Renders one configured environment: reads its template and hands it to the
 * pure renderer. What deploy calls when no `--artifact` is given.
 */
import { didYouMean } from "../core/did-you-mean.js";
// Read with the synchronous call: node:fs/promises costs interactive commands start-up time to load.
import { readFileSync } from "node:fs";
import path from "node:path";
import { TemplateError, UsageError } from "../errors.js";
import type { AppDefinition } from "../marathon/types.js";
import { registryAuthHelpers } from "../template/helpers-registry-auth.js";
import type { EnvironmentConfig, MdeployConfig } from "../config/types.js";
import type { Problem } from "../core/problem.js";
import { renderApp, renderAppId, type RenderAppInput } from "./render-app.js";

export interface RenderedEnvironment {
  environment: string;
  /** The validated app; secret values appear only as placeholders. */
  app: AppDefinition;
  /** Lints (accepted by Marathon, but traps). */
  warnings: Problem[];
  /** `marathon_app_<environment>.json` */
  artifactFileName: string;
}

export interface RenderEnvironmentOptions {
  env: Record<string, string | undefined>;
  /** Directory template names in messages are relative to (default: the config's base directory). */
  cwd?: string;
}

/** The artifact name for an environment (DESIGN.md: marathon_app_staging.json). */
function artifactFileName(environment: string): string {
  return `marathon_app_${environment}.json`;
}

/**
 * Renders and validates the app of `envName`. Throws UsageError for an unknown
 * environment, TemplateError for template problems, ValidationError when the
 * app breaks a Marathon rule.
 */
export async function renderEnvironment(config: MdeployConfig, envName: string, options: RenderEnvironmentOptions): Promise<RenderedEnvironment> {
  const { app, warnings } = renderApp(await environmentTemplate(config, envName, options));
  return { environment: envName, app, warnings, artifactFileName: artifactFileName(envName) };
}

/**
 * The app id `envName` renders, the one renderEnvironment (and so deploy) would
 * send, without validating the rest of the app (`status`, `history`). Throws as
 * renderEnvironment does.
 */
export async function renderEnvironmentAppId(config: MdeployConfig, envName: string, options: RenderEnvironmentOptions): Promise<string> {
  return renderAppId(await environmentTemplate(config, envName, options));
}

/** The environment's config, as in mdeploy.yml; throws UsageError (with the known ones) for an unknown name. */
export function configuredEnvironment(config: MdeployConfig, envName: string, options: { cwd?: string }): EnvironmentConfig {
  const environment = Object.hasOwn(config.environments, envName) ? config.environments[envName] : undefined;
  if (!environment) {
    const known = Object.keys(config.environments);
    const source = config.configFile ? path.relative(options.cwd ?? config.baseDir, config.configFile) || config.configFile : "no mdeploy.yml found";
    throw new UsageError(`unknown environment "${envName}"${didYouMean(envName, known)} (${source}: ${known.length > 0 ? `environments are ${known.join(", ")}` : "no environments defined"})`);
  }
  return environment;
}

async function environmentTemplate(config: MdeployConfig, envName: string, options: RenderEnvironmentOptions): Promise<RenderAppInput> {
  const environment = configuredEnvironment(config, envName, options);
  const templateName = path.relative(options.cwd ?? config.baseDir, environment.template) || environment.template;
  let templateSource: string;
  try {
    templateSource = readFileSync(environment.template, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new TemplateError(`${templateName}: cannot read the template of environment ${envName} (${code === "ENOENT" ? "file not found" : (code ?? String(error))})`);
  }
  return { environment, templateSource, templateName, env: options.env, helpers: registryAuthHelpers };
}
