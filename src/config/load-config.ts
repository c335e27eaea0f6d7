/**
 * The thin configuration loader: reads mdeploy.yml and its values files,
 * hands them to the pure parser and resolver, and registers every secret it
 * met with the redactor before anything can print.
 */
// Read with the synchronous call: node:fs/promises costs interactive commands start-up time to load.
import { readFileSync } from "node:fs";
import path from "node:path";
import type { Redactor } from "../core/redact.js";
import { ConfigError } from "../errors.js";
import { parseConfig, parseValues, type ConfigFile } from "./parse-config.js";
import { resolveConfig } from "./resolve-config.js";
import type { ConfigOverrides, MdeployConfig } from "./types.js";

/** The file read when no `--config` is given. */
const DEFAULT_CONFIG_FILE = "mdeploy.yml";

export interface LoadConfigOptions {
  cwd: string;
  /** `--config` value. When it is undefined or the default name and the file does not exist, built-in defaults apply (no environments). */
  file?: string;
  env: Record<string, string | undefined>;
  redactor: Redactor;
  /** Flag values (highest precedence). */
  overrides?: ConfigOverrides;
}

/**
 * Loads the resolved configuration. Throws ConfigError (exit 2) naming file and
 * line for any problem in mdeploy.yml or a values file.
 */
export async function loadConfig(options: LoadConfigOptions): Promise<MdeployConfig> {
  const name = options.file ?? DEFAULT_CONFIG_FILE;
  const configFile = path.resolve(options.cwd, name);
  const text = await readOptional(configFile, name);
  if (text === undefined && name !== DEFAULT_CONFIG_FILE) {
    throw new ConfigError(`${name}: configuration file not found (looked in ${path.dirname(configFile)})`);
  }
  const displayName = path.relative(options.cwd, configFile) || name;
  const file: ConfigFile = text === undefined ? {} : parseConfig(text, displayName);
  const baseDir = text === undefined ? options.cwd : path.dirname(configFile);

  const valuesPaths = new Set<string>();
  if (file.defaults?.values) valuesPaths.add(file.defaults.values);
  for (const env of Object.values(file.environments ?? {})) if (env?.values) valuesPaths.add(env.values);
  const values: Record<string, Record<string, unknown>> = {};
  for (const valuesPath of valuesPaths) {
    const absolute = path.resolve(baseDir, valuesPath);
    const shown = path.relative(options.cwd, absolute) || valuesPath;
    const valuesText = await readOptional(absolute, shown);
    if (valuesText === undefined) throw new ConfigError(`${displayName}: values file ${shown} not found`);
    values[valuesPath] = parseValues(valuesText, shown);
  }

  const resolved = resolveConfig({
    file,
    ...(text === undefined ? {} : { configFile }),
    baseDir,
    values,
    env: options.env,
    resolvePath: (base, p) => path.resolve(base, p),
    ...(options.overrides ? { overrides: options.overrides } : {}),
  });
  for (const secret of resolved.secrets) options.redactor.add(secret);
  return resolved.config;
}

async function readOptional(file: string, shown: string): Promise<string | undefined> {
  try {
    return readFileSync(file, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return undefined;
    throw new ConfigError(`${shown}: cannot read (${code ?? String(error)})`);
  }
}
