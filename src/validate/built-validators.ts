/**
 * Loads a validator module the build wrote (dist/validators/<module>.cjs). The
 * bundle replaces this module with one requiring each validator by its literal
 * path (scripts/bundle-cli.mjs), so the validators travel inside the bundle and
 * its code cache instead of being found and compiled at every start.
 */
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);

export function loadBuiltValidators(module: string): unknown {
  return require(`../validators/${module}.cjs`);
}
