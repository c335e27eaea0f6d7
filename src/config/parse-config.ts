/**
 * The pure mdeploy.yml parser: text in, the file's typed content out, or a
 * ConfigError listing every problem at once, each with `file:line:column` and
 * the key path. Unknown keys are errors so a typo cannot pass silently.
 */
import { closestName } from "../core/did-you-mean.js";
import { createRequire } from "node:module";
import type { ErrorObject, ValidateFunction } from "ajv";
import { precompiledValidator } from "../validate/precompiled.js";
import { ConfigError } from "../errors.js";
import { parseYaml, type YamlSource } from "./yaml-source.js";
import { positiveNumberRequirement, TIMEOUT_SECONDS_RULE } from "../core/positive-number.js";
import type { Problem } from "../core/problem.js";
import type { StrategyChoice } from "./types.js";

/** `marathon:` as written in the file (global or per environment). */
export interface MarathonFileSettings {
  urls?: string | string[];
  usernameEnv?: string;
  passwordEnv?: string;
  tokenEnv?: string;
  caFile?: string;
  insecure?: boolean;
  timeoutSeconds?: number;
}

/** A secret listed with settings: `{ name: OPTIONAL_TOKEN, allowEmpty: true }`. */
export interface SecretFileEntry {
  name: string;
  allowEmpty?: boolean;
}

/** One environment (or `defaults:`) as written in the file. */
export interface EnvironmentFileSettings {
  template?: string;
  values?: string;
  variables?: Record<string, unknown>;
  /** Variable names, or `{ name, allowEmpty }` for a secret whose value may be empty. */
  secrets?: (string | SecretFileEntry)[];
  marathon?: MarathonFileSettings;
  mesos?: { url?: string };
  strategy?: StrategyChoice | "rolling";
  timeoutSeconds?: number;
  agents?: number;
  minHealthy?: number;
  canary?: CanaryFileSettings;
  blueGreen?: BlueGreenFileSettings;
}

/** Gate keys shared by `canary:` and `blueGreen:`, as written. */
export interface GateFileSettings {
  window?: number;
  httpProbe?: { url: string; expectStatus?: number };
  prometheus?: { url: string; query: string; max: number };
}

/** `canary:` as written. */
export interface CanaryFileSettings extends GateFileSettings {
  steps?: number[];
  stepUnit?: "percent" | "instances";
}

/** `blueGreen:` as written. */
export interface BlueGreenFileSettings extends GateFileSettings {
  previewHost?: string;
  keepSeconds?: number;
}

/** mdeploy.yml as written, after schema validation (schemas/mdeploy.schema.json). */
export interface ConfigFile {
  marathon?: MarathonFileSettings;
  mesos?: { url?: string };
  registries?: Record<string, { usernameEnv?: string; passwordEnv?: string; realms?: string[]; caFile?: string }>;
  insecureRegistries?: string[];
  defaults?: EnvironmentFileSettings;
  environments?: Record<string, EnvironmentFileSettings>;
}

/** Template variable names the renderer itself provides. */
const RESERVED_VARIABLES = ["env", "environment"] as const;

const require = createRequire(import.meta.url);

/** The editor-facing JSON Schema of mdeploy.yml; the build compiles the same file into the validator used at run time. */
const configSchema = () => require("../../schemas/mdeploy.schema.json") as Record<string, unknown>;

let compiled: ValidateFunction | undefined;
function validator(): ValidateFunction {
  // Loaded on first use: commands that never read a config (--version) pay nothing.
  compiled ??= precompiledValidator("mdeploy-config", configSchema);
  return compiled;
}

/** Parses and validates mdeploy.yml text. Throws ConfigError listing every problem. */
export function parseConfig(text: string, fileName: string): ConfigFile {
  const { source, problems } = parseYaml(text, fileName);
  if (!source) throw problemsError(fileName, problems);
  const value = source.value ?? {};
  if (typeof value !== "object" || Array.isArray(value)) {
    throw problemsError(fileName, [{ path: `${fileName}:1:1`, message: "the file must be a mapping of settings (marathon:, environments:, ...)" }]);
  }
  // Cross-key checks only make sense once every key is known (a misspelled template: is one problem, not two).
  const found = schemaProblems(value, source);
  if (found.length === 0) found.push(...semanticProblems(value as ConfigFile, source));
  if (found.length > 0) throw problemsError(fileName, sortByPosition(found));
  return value as ConfigFile;
}

/** Parses a values file: a YAML mapping of template variables. Throws ConfigError with lines. */
export function parseValues(text: string, fileName: string): Record<string, unknown> {
  const { source, problems } = parseYaml(text, fileName);
  if (!source) throw problemsError(fileName, problems);
  const value = source.value ?? {};
  if (typeof value !== "object" || Array.isArray(value)) {
    throw problemsError(fileName, [{ path: `${fileName}:1:1`, message: "a values file must be a mapping of variable names to values" }]);
  }
  const bad: Problem[] = [];
  for (const name of Object.keys(value)) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) bad.push({ path: source.locate([], { key: name }), message: `variable name "${name}" must be letters, digits and _` });
    if ((RESERVED_VARIABLES as readonly string[]).includes(name)) bad.push({ path: source.locate([], { key: name }), message: `"${name}" is provided by mdeploy and cannot be a variable` });
  }
  if (bad.length > 0) throw problemsError(fileName, bad);
  return value as Record<string, unknown>;
}

/** One ConfigError for a list of problems: the message is the problem when there is one. */
function problemsError(fileName: string, problems: Problem[]): ConfigError {
  const lines = problems.map((p) => `${p.path}: ${p.message}`);
  if (lines.length === 1) return new ConfigError(lines[0] ?? fileName);
  return new ConfigError(`${fileName}: ${lines.length} problems`, lines);
}

/** In file order, as a reader goes through them. */
function sortByPosition(problems: Problem[]): Problem[] {
  const key = (p: Problem): [number, number] => {
    const m = /:(\d+):(\d+)$/.exec(p.path);
    return m ? [Number(m[1]), Number(m[2])] : [0, 0];
  };
  return [...problems].sort((a, b) => {
    const [la, ca] = key(a);
    const [lb, cb] = key(b);
    return la - lb || ca - cb;
  });
}

function schemaProblems(value: unknown, source: YamlSource): Problem[] {
  const validate = validator();
  if (validate(value)) return [];
  const all = validate.errors ?? [];
  const errors = all.filter((error) => isUseful(error) && !isOtherBranchType(error, all));
  const seen = new Set<string>();
  const problems: Problem[] = [];
  for (const error of errors) {
    const path = pointerToPath(error.instancePath);
    let problem: Problem;
    if (error.keyword === "additionalProperties") {
      const key = String((error.params as { additionalProperty: string }).additionalProperty);
      const known = knownKeys(error.parentSchema);
      const hint = closestName(key, known);
      problem = {
        path: source.locate(path, { key }),
        message: `${dotted([...path, key])}: unknown key${hint ? ` (did you mean "${hint}"?)` : known.length > 0 ? ` (expected one of ${known.join(", ")})` : ""}${credentialHint(key)}${retiredKeyHint(path, key)}`,
      };
    } else if (error.keyword === "propertyNames") {
      continue; // reported by the pattern error on the name itself
    } else {
      problem = { path: source.locate(path), message: `${dotted(path) || "(top level)"}: ${describe(error)}` };
    }
    const id = `${problem.path} ${problem.message}`;
    if (!seen.has(id)) {
      seen.add(id);
      problems.push(problem);
    }
  }
  return problems;
}

/** oneOf reports every branch; the branch messages say more than "must match exactly one schema". */
function isUseful(error: ErrorObject): boolean {
  return error.keyword !== "oneOf" && error.keyword !== "if";
}

/**
 * A oneOf of a name or a mapping (`secrets:` entries) fails both branches: a
 * mapping with a bad value is also "not a string". The type error of the other
 * branch goes when the same value has a more specific problem.
 */
function isOtherBranchType(error: ErrorObject, all: readonly ErrorObject[]): boolean {
  if (error.keyword !== "type" || !all.some((other) => other.keyword === "oneOf" && other.instancePath === error.instancePath)) return false;
  const specific = (other: ErrorObject) => other.instancePath.startsWith(`${error.instancePath}/`) || (other.instancePath === error.instancePath && other.keyword !== "type");
  return all.some((other) => other !== error && isUseful(other) && specific(other));
}

function describe(error: ErrorObject): string {
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case "enum":
      return `must be one of ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(", ")}`;
    case "pattern":
      if (error.propertyName !== undefined) return `name "${error.propertyName}" is not allowed (letters, digits, _ . - only)`;
      return `${error.message ?? "is invalid"}`;
    case "type":
      return `must be ${String(params.type)}`;
    case "exclusiveMinimum":
    case "maximum":
      // A timeout in seconds reads like the --timeout flag's problem, whichever bound it broke.
      if (error.instancePath.endsWith("/timeoutSeconds")) return positiveNumberRequirement(TIMEOUT_SECONDS_RULE);
      if (error.keyword === "exclusiveMinimum" && params.limit === 0) return positiveNumberRequirement();
      return error.message ?? "is invalid";
    default:
      return error.message ?? "is invalid";
  }
}

function semanticProblems(file: ConfigFile, source: YamlSource): Problem[] {
  const problems: Problem[] = [];
  const scopes: [string[], EnvironmentFileSettings | undefined][] = [[["defaults"], file.defaults]];
  for (const [name, body] of Object.entries(file.environments ?? {})) scopes.push([["environments", name], body]);
  for (const [path, body] of scopes) {
    for (const reserved of RESERVED_VARIABLES) {
      if (body?.variables && Object.hasOwn(body.variables, reserved)) {
        problems.push({ path: source.locate([...path, "variables"], { key: reserved }), message: `${dotted([...path, "variables", reserved])}: "${reserved}" is provided by mdeploy and cannot be a variable` });
      }
    }
  }
  for (const [path, body] of scopes) {
    // The schema says "a number above 0"; only here can 1.5 be told apart from 2 and 0.5.
    const floor = body?.minHealthy;
    if (floor !== undefined && floor >= 1 && !Number.isInteger(floor)) {
      problems.push({ path: source.locate([...path, "minHealthy"]), message: `${dotted([...path, "minHealthy"])}: ${floor} is neither a count (a whole number such as 2) nor a share (a fraction between 0 and 1 such as 0.5)` });
    }
  }
  for (const [path, body] of scopes) problems.push(...canaryStepProblems(body?.canary, body?.canary?.stepUnit ?? file.defaults?.canary?.stepUnit, [...path, "canary"], source));
  for (const [name, body] of Object.entries(file.environments ?? {})) {
    if (body && typeof body === "object" && !body.template && !file.defaults?.template) {
      problems.push({ path: source.locate(["environments", name]), message: `environments.${name}: no template (set template: here or under defaults:)` });
    }
  }
  return problems;
}

/** Canary steps must climb, and say what they count: a percent is at most 100, a count a whole number. */
function canaryStepProblems(canary: CanaryFileSettings | undefined, unit: "percent" | "instances" | undefined, path: string[], source: YamlSource): Problem[] {
  const steps = canary?.steps;
  if (!steps) return [];
  const problems: Problem[] = [];
  steps.forEach((step, i) => {
    const where = { path: source.locate([...path, "steps", String(i)]) };
    if ((unit ?? "percent") === "percent" && step > 100) problems.push({ ...where, message: `${dotted([...path, "steps", i])}: ${step} is above 100 percent (with stepUnit: instances the steps are instance counts)` });
    if (unit === "instances" && !Number.isInteger(step)) problems.push({ ...where, message: `${dotted([...path, "steps", i])}: ${step} is not a whole number of instances` });
    const before = steps[i - 1];
    if (before !== undefined && step <= before) problems.push({ ...where, message: `${dotted([...path, "steps", i])}: ${step} does not come after ${before}; steps must go up` });
  });
  return problems;
}

function pointerToPath(pointer: string): string[] {
  if (!pointer) return [];
  return pointer
    .slice(1)
    .split("/")
    .map((p) => p.replace(/~1/g, "/").replace(/~0/g, "~"));
}

function dotted(path: readonly (string | number)[]): string {
  return path.join(".");
}

function knownKeys(schema: unknown): string[] {
  const props = (schema as { properties?: Record<string, unknown> } | undefined)?.properties;
  return props ? Object.keys(props) : [];
}

/**
 * A key mdeploy once accepted and never read: saying so beats a bare "unknown key".
 * `gitlab:` went because no GitLab command can read mdeploy.yml (they run in the runner's
 * container, from config.toml, on a cold-start budget; see README "Configuration file").
 */
function retiredKeyHint(path: readonly string[], key: string): string {
  return path.length === 0 && key === "gitlab" ? "; the GitLab commands never read it: they take --gitlab-url, GITLAB_URL or CI_SERVER_URL and GITLAB_TOKEN; remove the section" : "";
}

function credentialHint(key: string): string {
  return /^(password|token|username)$/i.test(key) ? `; credentials do not belong in the file: set ${key}Env to the name of the environment variable that holds it` : "";
}

