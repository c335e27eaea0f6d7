/**
 * Schema validators compiled at build time (scripts/build-validators.mjs) and
 * loaded here; compiling them at run time cost interactive commands most of
 * their start-up. Running from the sources (tests), the build's modules are
 * absent and the schema is compiled instead, with the same options.
 */
import { createRequire } from "node:module";
import { Ajv, type ValidateFunction } from "ajv";

const require = createRequire(import.meta.url);

/** The validator `name` the build wrote, or `schema` compiled now when it is not there. */
export function precompiledValidator(name: "mdeploy-config" | "marathon-app", schema: Record<string, unknown>): ValidateFunction {
  const file = `../validators/${name}.cjs`;
  try {
    return require(file) as ValidateFunction;
  } catch (error) {
    // Only "this validator was not built"; anything else (a broken module) is a bug to see.
    const missing = (error as NodeJS.ErrnoException).code === "MODULE_NOT_FOUND" && String((error as Error).message).includes(`${name}.cjs`);
    if (!missing) throw error;
    return new Ajv({ allErrors: true, strict: false, verbose: true }).compile(schema);
  }
}
