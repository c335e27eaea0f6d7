/**
 * Pure resolution of the configuration layers, in rising precedence:
 * built-in defaults < mdeploy.yml (defaults:, then the environment's own keys)
 * < environment variables < flags. Returns the resolved config and every
 * secret value it touched, for the caller to register with the redactor.
 */
import { basicAuthSecrets, isSecretVariableName } from "../core/redact.js";
import { credentialsInUrl } from "../http/safe-url.js";
import type { ConfigFile, EnvironmentFileSettings, GateFileSettings, MarathonFileSettings } from "./parse-config.js";
import type { BlueGreenSettings, CanarySettings, ConfigOverrides, EnvironmentConfig, GateSettings, MarathonSettings, MdeployConfig, RegistryAccess, RegistrySettings } from "./types.js";

/** Everything resolution needs, already read from disk and the process. */
export interface ResolveConfigInput {
  file: ConfigFile;
  configFile?: string;
  /** Directory relative paths in the file are resolved against. */
  baseDir: string;
  /** Values files by the path written in the file (`values:`), already parsed. */
  values: Record<string, Record<string, unknown>>;
  env: Record<string, string | undefined>;
  overrides?: ConfigOverrides;
  /** Joins a relative path onto baseDir (path.resolve in production; injected to keep this pure). */
  resolvePath: (baseDir: string, path: string) => string;
}

export interface ResolvedConfig {
  config: MdeployConfig;
  /** Secret values read (credentials, secret-named and secret-listed variables): register each with the redactor. */
  secrets: string[];
}

/** The environment variables DESIGN.md names for Marathon credentials. */
const DEFAULT_CREDENTIAL_ENV = { username: "MARATHON_USERNAME", password: "MARATHON_PASSWORD", token: "MARATHON_TOKEN" } as const;

export function resolveConfig(input: ResolveConfigInput): ResolvedConfig {
  const { file, env, overrides = {} } = input;
  const secrets = new Set<string>();
  const read = (name: string | undefined): string | undefined => {
    if (!name) return undefined;
    const value = env[name];
    return value === undefined || value === "" ? undefined : value;
  };

  const marathonFor = (layers: (MarathonFileSettings | undefined)[]): MarathonSettings => {
    const merged: MarathonFileSettings = Object.assign({}, ...layers.filter(Boolean));
    const fromEnvUrls = read("MARATHON_URL");
    const urls = overrides.marathon?.urls ?? (fromEnvUrls !== undefined ? splitUrls(fromEnvUrls) : merged.urls !== undefined ? splitUrls(merged.urls) : []);
    // The file never holds credentials, only which variable does (so production can use its own).
    const username = overrides.marathon?.username ?? read(merged.usernameEnv ?? DEFAULT_CREDENTIAL_ENV.username);
    const password = overrides.marathon?.password ?? read(merged.passwordEnv ?? DEFAULT_CREDENTIAL_ENV.password);
    const token = overrides.marathon?.token ?? read(merged.tokenEnv ?? DEFAULT_CREDENTIAL_ENV.token);
    if (password) for (const secret of basicAuthSecrets(username ?? "", password)) secrets.add(secret);
    if (token) secrets.add(token);
    // MARATHON_URL may carry user info; the client sends it as Basic auth.
    for (const inUrl of urls.map(credentialsInUrl)) if (inUrl?.password) for (const secret of basicAuthSecrets(inUrl.username, inUrl.password)) secrets.add(secret);
    const caFile = overrides.marathon?.caFile ?? (merged.caFile ? input.resolvePath(input.baseDir, merged.caFile) : undefined);
    const settings: MarathonSettings = { urls, insecure: overrides.marathon?.insecure ?? merged.insecure ?? false };
    if (username !== undefined) settings.username = username;
    if (password !== undefined) settings.password = password;
    if (token !== undefined) settings.token = token;
    if (caFile !== undefined) settings.caFile = caFile;
    const timeoutSeconds = overrides.marathon?.timeoutSeconds ?? merged.timeoutSeconds;
    if (timeoutSeconds !== undefined) settings.timeoutSeconds = timeoutSeconds;
    return settings;
  };

  const mesosFor = (layers: ({ url?: string } | undefined)[]): { url?: string } => {
    const fileUrl = layers.reduce<string | undefined>((acc, l) => l?.url ?? acc, undefined);
    const url = overrides.mesos?.url ?? read("MESOS_URL") ?? fileUrl;
    return url === undefined ? {} : { url };
  };

  // Any secret-named variable in the environment is a secret wherever it shows up.
  for (const [name, value] of Object.entries(env)) if (value && isSecretVariableName(name)) secrets.add(value);

  // Registry credentials: the Basic header built from each pair is a secret of its own (base64 of user:password).
  for (const [user, password] of [
    ["MDEPLOY_REGISTRY_USER", "MDEPLOY_REGISTRY_PASSWORD"],
    ["CI_REGISTRY_USER", "CI_REGISTRY_PASSWORD"],
    ["CI_DEPLOY_USER", "CI_DEPLOY_PASSWORD"],
  ] as const) {
    const value = read(password);
    if (value) for (const secret of basicAuthSecrets(read(user) ?? "", value)) secrets.add(secret);
  }
  const registry: RegistryAccess = {
    registries: {},
    insecureRegistries: [...(file.insecureRegistries ?? []), ...(read("MDEPLOY_INSECURE_REGISTRIES")?.split(",") ?? [])].map((h) => h.trim()).filter((h) => h !== ""),
  };
  for (const [host, body] of Object.entries(file.registries ?? {})) {
    const settings: RegistrySettings = { realms: body.realms ?? [] };
    const username = read(body.usernameEnv);
    const password = read(body.passwordEnv);
    if (username && password && body.usernameEnv && body.passwordEnv) {
      settings.credentials = { username, password, source: `${body.usernameEnv}/${body.passwordEnv}` };
      for (const secret of basicAuthSecrets(username, password)) secrets.add(secret);
    }
    if (body.caFile) settings.caFile = input.resolvePath(input.baseDir, body.caFile);
    registry.registries[host] = settings;
  }

  const defaults = file.defaults ?? {};
  const environments: Record<string, EnvironmentConfig> = {};
  for (const [name, own] of Object.entries(file.environments ?? {})) {
    const body: EnvironmentFileSettings = own ?? {};
    const template = body.template ?? defaults.template ?? "";
    // Anything the environment says beats anything defaults: says; within each, variables: beat the values file.
    const variables = {
      ...(defaults.values ? input.values[defaults.values] : {}),
      ...defaults.variables,
      ...(body.values ? input.values[body.values] : {}),
      ...body.variables,
    };
    // Variables the file names as holding credentials are secret whatever they are called (PROD_MARATHON_PASS).
    const namedCredentials = [file.marathon, defaults.marathon, body.marathon]
      .flatMap((m) => [m?.passwordEnv, m?.tokenEnv])
      .concat(...Object.values(file.registries ?? {}).map((r) => r.passwordEnv))
      .filter((n): n is string => n !== undefined);
    const credentialNames = namedCredentials.filter((n) => !isSecretVariableName(n));
    const listed = [...(defaults.secrets ?? []), ...(body.secrets ?? [])].map((entry) => (typeof entry === "string" ? { name: entry } : entry));
    const secretVariables = [...new Set([...listed.map((entry) => entry.name), ...credentialNames])];
    const emptySecretsAllowed = [...new Set(listed.filter((entry) => entry.allowEmpty === true).map((entry) => entry.name))];
    for (const secretName of secretVariables) {
      const value = read(secretName);
      if (value) secrets.add(value);
    }
    const environment: EnvironmentConfig = {
      name,
      template: input.resolvePath(input.baseDir, template),
      variables,
      secretVariables,
      templateSecrets: [...new Set(listed.map((entry) => entry.name))].filter((n) => !namedCredentials.includes(n)),
      emptySecretsAllowed,
      marathon: marathonFor([file.marathon, defaults.marathon, body.marathon]),
      mesos: mesosFor([file.mesos, defaults.mesos, body.mesos]),
      strategy: overrides.strategy ?? rollingIsAuto(body.strategy ?? defaults.strategy) ?? "auto",
      canary: canarySettings(defaults, body),
      blueGreen: blueGreenSettings(defaults, body),
    };
    const timeoutSeconds = overrides.timeoutSeconds ?? body.timeoutSeconds ?? defaults.timeoutSeconds;
    if (timeoutSeconds !== undefined) environment.timeoutSeconds = timeoutSeconds;
    const agents = body.agents ?? defaults.agents;
    if (agents !== undefined) environment.agents = agents;
    const minHealthy = body.minHealthy ?? defaults.minHealthy;
    if (minHealthy !== undefined) environment.minHealthy = minHealthy;
    environments[name] = environment;
  }

  const config: MdeployConfig = {
    baseDir: input.baseDir,
    marathon: marathonFor([file.marathon]),
    mesos: mesosFor([file.mesos]),
    registry,
    environments,
  };
  if (input.configFile !== undefined) config.configFile = input.configFile;
  return { config, secrets: [...secrets] };
}

/** Canary steps when the file gives none: a tenth, then half, then everyone. */
const DEFAULT_CANARY_STEPS = [10, 50, 100];
/** Seconds new tasks must stay healthy for a gate to pass when the file does not say. */
const DEFAULT_GATE_WINDOW_SECONDS = 60;
/** Seconds the previous blue/green copy stays up after the switch when the file does not say. */
const DEFAULT_KEEP_SECONDS = 300;

/** `rolling` is what Marathon calls the upgrade `auto` plans. */
function rollingIsAuto(strategy: EnvironmentFileSettings["strategy"]): EnvironmentConfig["strategy"] | undefined {
  return strategy === "rolling" ? "auto" : strategy;
}

/** The environment's gate keys over defaults: (key by key: an environment may add a probe to the default window). */
function gateSettings(defaults: GateFileSettings | undefined, own: GateFileSettings | undefined): GateSettings {
  const gate: GateSettings = { windowSeconds: own?.window ?? defaults?.window ?? DEFAULT_GATE_WINDOW_SECONDS };
  const probe = own?.httpProbe ?? defaults?.httpProbe;
  if (probe) gate.httpProbe = { url: probe.url, expectStatus: probe.expectStatus ?? 200 };
  const prometheus = own?.prometheus ?? defaults?.prometheus;
  if (prometheus) gate.prometheus = { ...prometheus };
  return gate;
}

function canarySettings(defaults: EnvironmentFileSettings, body: EnvironmentFileSettings): CanarySettings {
  const steps = body.canary?.steps ?? defaults.canary?.steps;
  const stepUnit = body.canary?.stepUnit ?? defaults.canary?.stepUnit ?? "percent";
  // Units and steps travel together: default percents counted as instances would mean 100 instances.
  return { ...gateSettings(defaults.canary, body.canary), steps: steps ?? DEFAULT_CANARY_STEPS, stepUnit: steps ? stepUnit : "percent" };
}

function blueGreenSettings(defaults: EnvironmentFileSettings, body: EnvironmentFileSettings): BlueGreenSettings {
  const settings: BlueGreenSettings = { ...gateSettings(defaults.blueGreen, body.blueGreen), keepSeconds: body.blueGreen?.keepSeconds ?? defaults.blueGreen?.keepSeconds ?? DEFAULT_KEEP_SECONDS };
  const previewHost = body.blueGreen?.previewHost ?? defaults.blueGreen?.previewHost;
  if (previewHost !== undefined) settings.previewHost = previewHost;
  return settings;
}

/** `MARATHON_URL` style comma lists (and arrays from the file) to clean URLs without trailing slashes. */
export function splitUrls(value: string | string[]): string[] {
  const parts = Array.isArray(value) ? value.flatMap((v) => v.split(",")) : value.split(",");
  return parts.map((p) => p.trim().replace(/\/+$/, "")).filter((p) => p.length > 0);
}
