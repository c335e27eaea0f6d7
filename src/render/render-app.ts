/**
 * Pure rendering of one environment's Marathon app: template + variables +
 * environment variables in, a validated app definition out. Secret variables
 * never enter the template: it sees their placeholders (src/core/secret-placeholders.ts).
 */
import { isSecretVariableName } from "../core/redact.js";
import { didYouMean } from "../core/did-you-mean.js";
import { secretPlaceholder } from "../core/secret-placeholders.js";
import { TemplateError, ValidationError } from "../errors.js";
import type { AppDefinition } from "../marathon/types.js";
import { renderJsonTemplate, type RenderedTemplate } from "../template/render-template.js";
import type { TemplateHelper } from "../template/helpers.js";
import { checkAppId } from "../validate/app-rules.js";
import { validateApp } from "../validate/validate-app.js";
import type { EnvironmentConfig } from "../config/types.js";
import type { Problem } from "../core/problem.js";

export interface RenderAppInput {
  environment: EnvironmentConfig;
  /** The template's text. */
  templateSource: string;
  /** The template's name in messages (relative to the user's directory). */
  templateName: string;
  /** Environment variables (GitLab CI predefined ones included). */
  env: Record<string, string | undefined>;
  helpers?: Record<string, TemplateHelper>;
}

export interface RenderedApp {
  app: AppDefinition;
  warnings: Problem[];
}

/** Whether an environment variable's value must stay out of templates and artifacts. */
function isSecretFor(environment: EnvironmentConfig, name: string): boolean {
  return isSecretVariableName(name) || environment.secretVariables.includes(name);
}

/**
 * What a template sees: its variables at the top level, `environment` (the
 * environment's name) and `env` (environment variables, secret ones as placeholders).
 */
function templateContext(environment: EnvironmentConfig, env: Record<string, string | undefined>): Record<string, unknown> {
  const visible: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) continue;
    visible[name] = isSecretFor(environment, name) ? secretPlaceholder(name) : value;
  }
  // A secret the config lists must render as a placeholder even where this machine lacks it (render runs before deploy).
  for (const name of environment.secretVariables) visible[name] = secretPlaceholder(name);
  return { ...environment.variables, environment: environment.name, env: visible };
}

/**
 * Renders to one JSON object, not yet checked against Marathon's rules; the
 * template and secret checks apply. Throws TemplateError.
 */
function renderAppValue(input: RenderAppInput): { value: Record<string, unknown>; rendered: RenderedTemplate } {
  const { environment, env } = input;
  const rendered = renderJsonTemplate({
    source: input.templateSource,
    fileName: input.templateName,
    context: templateContext(environment, env),
    ...(input.helpers ? { helpers: input.helpers } : {}),
  });
  const value = rendered.value;
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new TemplateError(`${input.templateName}: the template must render one JSON object (the Marathon app), got ${Array.isArray(value) ? "an array" : value === null ? "null" : typeof value}`);
  }

  // Belt and braces: a secret value that reached the output some other way (a variable copied from a secret) must not be written.
  const leaked = Object.entries(env).filter(([name, v]) => v !== undefined && v.length >= 4 && isSecretFor(environment, name) && rendered.text.includes(v)).map(([name]) => name);
  if (leaked.length > 0) {
    throw new TemplateError(`${input.templateName} (${environment.name}): the rendered app contains the value of secret variable ${leaked.join(", ")}; use {{env.${leaked[0]}}} so it becomes a placeholder deploy fills in`);
  }
  // A listed secret the template never uses is most likely a misspelled name, which leaves the
  // variable the template does use unprotected: its real value would be written in plain text.
  const unused = (environment.templateSecrets ?? []).filter((name) => !rendered.text.includes(secretPlaceholder(name)));
  if (unused.length > 0) {
    const name = unused[0] as string;
    throw new TemplateError(
      `${input.templateName} (${environment.name}): secret variable ${name} is listed in mdeploy.yml (secrets) but the template never uses it${didYouMean(name, Object.keys(env))}; a misspelled name leaves the variable the template does use unprotected`,
    );
  }
  return { value: value as Record<string, unknown>, rendered };
}

/**
 * The app id the template renders, checked as Marathon checks ids, without
 * validating the rest of the app: what `status` and `history` need, and the
 * same id `renderApp` (and so deploy) would send. Throws TemplateError or
 * ValidationError, worded as renderApp words them.
 */
export function renderAppId(input: RenderAppInput): string {
  const { value, rendered } = renderAppValue(input);
  const id = value.id;
  const fail = (problem: string) => new ValidationError(`${rendered.locate("/id")} (${input.environment.name}): /id: ${problem}`);
  if (typeof id !== "string" || id === "") throw fail("the app needs an id (a non-empty string)");
  const idProblem = checkAppId(id);
  if (idProblem) throw fail(`invalid app id ${idProblem}`);
  return id;
}

/** Renders and validates. Throws TemplateError (template problems) or ValidationError (Marathon rules). */
export function renderApp(input: RenderAppInput): RenderedApp {
  const { environment } = input;
  const { value, rendered } = renderAppValue(input);
  const { errors, warnings } = validateApp(value, environment.agents === undefined ? {} : { agents: environment.agents });
  if (errors.length > 0) {
    // Each problem names the template line that produced it and the JSON path in the app.
    const lines = errors.map((e) => `${rendered.locate(e.path)} (${environment.name}): ${e.path}: ${e.message}`);
    throw errors.length === 1
      ? new ValidationError(lines[0] ?? "")
      : new ValidationError(`${input.templateName} rendered for ${environment.name}: ${errors.length} problems Marathon would reject`, lines);
  }
  return { app: value as AppDefinition, warnings };
}
