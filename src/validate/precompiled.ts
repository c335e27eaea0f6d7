/**
 * Schema validators compiled at build time (scripts/build-validators.mjs) and
 * loaded here; compiling them at run time cost interactive commands most of
 * their start-up, and loading ajv itself a good part of the rest. Running from
 * the sources (tests), the build's modules are absent and the schema is
 * compiled instead, with the same options; only then is ajv loaded.
 */
import { createRequire } from "node:module";
import type { Options, ValidateFunction } from "ajv";
import { loadBuiltValidators } from "./built-validators.js";

const require = createRequire(import.meta.url);

/**
 * The validator modules the build writes into dist/validators/, each with its
 * ajv options: one schema per module for the config and the app (their errors
 * carry the offending data, `verbose`), one export per answer kind for the
 * HTTP adapters' response checks.
 */
export const VALIDATOR_OPTIONS = {
  "mdeploy-config": { allErrors: true, strict: false, verbose: true },
  "marathon-app": { allErrors: true, strict: false, verbose: true },
  "marathon-responses": { allErrors: true, strict: false },
  "mesos-responses": { allErrors: true, strict: false },
  "marathon-events": { allErrors: true, strict: false },
} as const satisfies Record<string, Options>;

export type ValidatorModule = keyof typeof VALIDATOR_OPTIONS;

/** The validator `name` the build wrote, or the schema (read only then) compiled now when it is not there. */
export function precompiledValidator(name: "mdeploy-config" | "marathon-app", schema: () => Record<string, unknown>): ValidateFunction {
  return (loadBuilt(name) as ValidateFunction | undefined) ?? compile(name, schema());
}

/**
 * A validator per schema name from the module the build wrote for `module`
 * (one export per name), or each schema compiled on first use when it is not there.
 */
export function precompiledValidatorSet<Name extends string>(module: ValidatorModule, schemas: Readonly<Record<Name, object>>): (name: Name) => ValidateFunction {
  const built = loadBuilt(module) as Record<string, ValidateFunction> | undefined;
  const compiled = new Map<Name, ValidateFunction>();
  return (name) => {
    const found = built ? built[name] : compiled.get(name);
    if (found) return found;
    // A built module always exports every name: a gap means a stale build, not a schema to compile here.
    if (built) throw new Error(`dist/validators/${module}.cjs has no validator "${name}"; run npm run build`);
    const validate = compile(module, schemas[name]);
    compiled.set(name, validate);
    return validate;
  };
}

function loadBuilt(module: ValidatorModule): unknown {
  try {
    return loadBuiltValidators(module);
  } catch (error) {
    // Only "this validator was not built"; anything else (a broken module) is a bug to see.
    const missing = (error as NodeJS.ErrnoException).code === "MODULE_NOT_FOUND" && String((error as Error).message).includes(`${module}.cjs`);
    if (!missing) throw error;
    return undefined;
  }
}

function compile(module: ValidatorModule, schema: object): ValidateFunction {
  const { Ajv } = require("ajv") as typeof import("ajv");
  return new Ajv(VALIDATOR_OPTIONS[module]).compile(schema);
}
