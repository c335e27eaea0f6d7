/**
 * Validation of a rendered Marathon app definition: mdeploy's own JSON Schema
 * (schemas/marathon-app.schema.json), then the 422 rules, then lints. Used by
 * render and by deploy for `--artifact FILE`. Pure.
 */
import { createRequire } from "node:module";
import type { ErrorObject, ValidateFunction } from "ajv";
import { precompiledValidator } from "./precompiled.js";
import type { AppDefinition } from "../marathon/types.js";
import type { Problem } from "../core/problem.js";
import { appRuleProblems } from "./app-rules.js";
import { appLintWarnings, type LintOptions } from "./app-lints.js";

const require = createRequire(import.meta.url);

/** mdeploy's JSON Schema for Marathon app definitions (read only when the build's validator is absent). */
const appSchema = () => require("../../schemas/marathon-app.schema.json") as Record<string, unknown>;

let compiled: ValidateFunction | undefined;
function validator(): ValidateFunction {
  compiled ??= precompiledValidator("marathon-app", appSchema);
  return compiled;
}

export interface AppValidation {
  /** Problems Marathon would reject (422) or that make the definition unusable. */
  errors: Problem[];
  /** Accepted by Marathon but a known trap, or a field Marathon ignores. */
  warnings: Problem[];
}

/**
 * Validates an app definition. `instances` may be the string "per-agent"
 * (deploy resolves it from the eligible agents). Every problem is listed, each
 * with its JSON pointer.
 */
export function validateApp(app: unknown, options: LintOptions = {}): AppValidation {
  if (app === null || typeof app !== "object" || Array.isArray(app)) {
    return { errors: [{ path: "/", message: "an app definition must be a JSON object" }], warnings: [] };
  }
  const validate = validator();
  const errors: Problem[] = [];
  const warnings: Problem[] = [];
  if (!validate(app)) {
    for (const error of collapse(validate.errors ?? [])) {
      if (error.keyword === "additionalProperties") {
        const key = String((error.params as { additionalProperty: string }).additionalProperty);
        const known = Object.keys((error.parentSchema as { properties?: object } | undefined)?.properties ?? {});
        const hint = suggest(key, known);
        warnings.push({ path: `${error.instancePath}/${key}`, message: `unknown field, Marathon ignores it${hint ? ` (did you mean "${hint}"?)` : ""}` });
      } else {
        errors.push({ path: error.instancePath || "/", message: describe(error) });
      }
    }
  }
  // Cross-field rules assume the shapes are right; skip them when the schema already failed.
  if (errors.length === 0) {
    errors.push(...appRuleProblems(app as AppDefinition));
    warnings.push(...appLintWarnings(app as AppDefinition, options));
  }
  return { errors, warnings };
}

/** One message per path for `oneOf` alternatives (e.g. instances: a number or "per-agent"). */
function collapse(errors: ErrorObject[]): ErrorObject[] {
  const oneOfPaths = new Set(errors.filter((e) => e.keyword === "oneOf").map((e) => e.instancePath));
  const out: ErrorObject[] = [];
  for (const error of errors) {
    if (oneOfPaths.has(error.instancePath) && error.keyword !== "oneOf") continue;
    out.push(error);
  }
  return out;
}

function describe(error: ErrorObject): string {
  const params = error.params as Record<string, unknown>;
  const got = ` (got ${JSON.stringify(error.data)?.slice(0, 60)})`;
  switch (error.keyword) {
    case "oneOf":
      if (error.instancePath === "/instances") return `must be a whole number >= 0 or "per-agent"${got}`;
      if (error.instancePath.startsWith("/env/")) return `must be a string or {"secret": name}${got}`;
      if (error.instancePath === "/unreachableStrategy") return `must be "disabled" or {inactiveAfterSeconds, expungeAfterSeconds}${got}`;
      return `${error.message ?? "is invalid"}${got}`;
    case "enum":
      return `must be one of ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(", ")}${got}`;
    case "required":
      return `missing required field "${String(params.missingProperty)}"`;
    case "type":
      return `must be ${String(params.type)}${got}`;
    default:
      return `${error.message ?? "is invalid"}${got}`;
  }
}

function suggest(key: string, known: readonly string[]): string | undefined {
  const lower = key.toLowerCase();
  return known.find((k) => k.toLowerCase() === lower) ?? known.find((k) => lower.length > 3 && (k.toLowerCase().startsWith(lower.slice(0, 4)) || k.toLowerCase().includes(lower)));
}
