/**
 * Renders one configured environment: reads its template and hands it to the
 * pure renderer. What deploy calls when no `--artifact` is given.
 */
import { didYouMean } from "../core/did-you-mean.js";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { TemplateError, UsageError } from "../errors.js";
import type { AppDefinition } from "../marathon/types.js";
import { registryAuthHelpers } from "../template/helpers-registry-auth.js";
import type { MdeployConfig, Problem } from "../config/types.js";
import { renderApp } from "./render-app.js";

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
export function artifactFileName(environment: string): string {
  return `marathon_app_${environment}.json`;
}

/**
 * Renders and validates the app of `envName`. Throws UsageError for an unknown
 * environment, TemplateError for template problems, ValidationError when the
 * app breaks a Marathon rule.
 */
export async function renderEnvironment(config: MdeployConfig, envName: string, options: RenderEnvironmentOptions): Promise<RenderedEnvironment> {
  const environment = Object.hasOwn(config.environments, envName) ? config.environments[envName] : undefined;
  if (!environment) {
    const known = Object.keys(config.environments);
    const source = config.configFile ? path.relative(options.cwd ?? config.baseDir, config.configFile) || config.configFile : "no mdeploy.yml found";
    throw new UsageError(`unknown environment "${envName}"${didYouMean(envName, known)} (${source}: ${known.length > 0 ? `environments are ${known.join(", ")}` : "no environments defined"})`);
  }
  const templateName = path.relative(options.cwd ?? config.baseDir, environment.template) || environment.template;
  let templateSource: string;
  try {
    templateSource = await readFile(environment.template, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new TemplateError(`${templateName}: cannot read the template of environment ${envName} (${code === "ENOENT" ? "file not found" : (code ?? String(error))})`);
  }
  const { app, warnings } = renderApp({ environment, templateSource, templateName, env: options.env, helpers: registryAuthHelpers });
  return { environment: envName, app, warnings, artifactFileName: artifactFileName(envName) };
}
