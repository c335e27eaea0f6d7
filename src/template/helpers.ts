/**
 * The template helpers. Templates produce JSON, so output is not HTML-escaped;
 * these helpers do the quoting. Every argument a helper needs must be defined:
 * Handlebars' strict mode checks `{{name}}` but not helper arguments, and a
 * silently empty `{{json imag}}` is the kind of typo strict mode is for.
 */

/** Where a helper was called from, as Handlebars passes it (`options.loc`), lines from 1, columns from 0. */
export interface TemplateLocation {
  start: { line: number; column: number };
  end: { line: number; column: number };
}

/** Thrown by a helper whose argument `index` resolved to undefined; the renderer names the variable. */
export class MissingHelperArgument extends Error {
  constructor(
    readonly helper: string,
    readonly index: number,
    readonly loc: TemplateLocation | undefined,
  ) {
    super(`${helper}: argument ${index + 1} is not defined`);
  }
}

/** A helper's misuse (wrong type of argument); the renderer adds the location. */
export class HelperUsageError extends Error {
  constructor(
    message: string,
    readonly loc: TemplateLocation | undefined,
  ) {
    super(message);
  }
}

export type TemplateHelper = (...args: unknown[]) => unknown;

interface HelperCall {
  args: unknown[];
  loc: TemplateLocation | undefined;
  fail(message: string): never;
}

/**
 * Wraps a helper body: splits off Handlebars' options argument and insists the
 * first `required` arguments are defined.
 */
function define(name: string, required: number, body: (call: HelperCall) => unknown): TemplateHelper {
  return (...raw: unknown[]) => {
    const options = raw[raw.length - 1] as { loc?: TemplateLocation } | undefined;
    const args = raw.slice(0, -1);
    const loc = options?.loc;
    for (let i = 0; i < required; i++) if (args[i] === undefined) throw new MissingHelperArgument(name, i, loc);
    if (args.length < required) throw new HelperUsageError(`${name} needs ${required} argument${required === 1 ? "" : "s"}`, loc);
    return body({
      args,
      loc,
      fail: (message) => {
        throw new HelperUsageError(`${name}: ${message}`, loc);
      },
    });
  };
}

/**
 * The helpers every template gets:
 * - `{{json value}}`: the value as JSON (strings quoted and escaped, numbers, booleans, objects).
 * - `{{str value}}`: a string or number escaped for use inside a JSON string, without quotes: `"Host:{{str domain}}"`.
 * - `{{default value fallback}}`: value unless it is undefined, null or "", else fallback: `{{json (default env.CI_COMMIT_TAG "latest")}}`.
 * - `{{concat a b ...}}`: strings joined: `{{json (concat env.CI_REGISTRY_IMAGE ":" env.CI_COMMIT_SHA)}}`.
 * - `{{number value}}`: a number from a number or numeric string (an env var), else an error.
 * - `{{eq a b}}`, `{{ne a b}}`: comparisons for `{{#if (eq environment "production")}}`.
 */
export function builtinHelpers(): Record<string, TemplateHelper> {
  return {
    json: define("json", 1, ({ args }) => JSON.stringify(args[0])),
    str: define("str", 1, ({ args, fail }) => {
      const value = args[0];
      if (typeof value !== "string" && typeof value !== "number" && typeof value !== "boolean") fail(`needs a string or number, got ${describe(value)}`);
      return JSON.stringify(String(value)).slice(1, -1);
    }),
    default: (...raw: unknown[]) => {
      const options = raw[raw.length - 1] as { loc?: TemplateLocation } | undefined;
      const [value, fallback] = raw;
      if (raw.length < 3) throw new HelperUsageError("default needs a value and a fallback", options?.loc);
      if (value !== undefined && value !== null && value !== "") return value;
      if (fallback === undefined) throw new MissingHelperArgument("default", 1, options?.loc);
      return fallback;
    },
    concat: (...raw: unknown[]) => {
      const options = raw[raw.length - 1] as { loc?: TemplateLocation } | undefined;
      const args = raw.slice(0, -1);
      args.forEach((a, i) => {
        if (a === undefined) throw new MissingHelperArgument("concat", i, options?.loc);
        if (a !== null && typeof a === "object") throw new HelperUsageError(`concat: argument ${i + 1} is ${describe(a)}, not text`, options?.loc);
      });
      return args.map(String).join("");
    },
    number: define("number", 1, ({ args, fail }) => {
      const value = args[0];
      const n = typeof value === "number" ? value : typeof value === "string" && value.trim() !== "" ? Number(value) : NaN;
      if (!Number.isFinite(n)) fail(`${JSON.stringify(value)} is not a number`);
      return n;
    }),
    eq: define("eq", 2, ({ args }) => args[0] === args[1]),
    ne: define("ne", 2, ({ args }) => args[0] !== args[1]),
  };
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  return typeof value === "object" ? "an object" : typeof value;
}
