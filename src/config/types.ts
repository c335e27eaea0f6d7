/**
 * The resolved mdeploy configuration: what `loadConfig` returns after merging,
 * in rising precedence, built-in defaults < mdeploy.yml < environment variables
 * < command-line flags (DESIGN.md, "Command line"). Every other area reads
 * settings from here, never from `process.env` or the YAML directly.
 */

/** How mdeploy talks to Marathon, fully resolved for one scope (global or one environment). */
export interface MarathonSettings {
  /** One or more Marathon base URLs (several = failover); from `MARATHON_URL` (comma list), the file, or a flag. Empty when nothing set one. */
  urls: string[];
  /** Basic auth user (`MARATHON_USERNAME`, or the variable named by `marathon.usernameEnv`). */
  username?: string;
  /** Basic auth password (`MARATHON_PASSWORD` or `marathon.passwordEnv`); registered with the redactor. */
  password?: string;
  /** DC/OS ACS token (`MARATHON_TOKEN` or `marathon.tokenEnv`); sent as `Authorization: token=...`; registered with the redactor. */
  token?: string;
  /** PEM file with the CA that signed Marathon's certificate, absolute. */
  caFile?: string;
  /** Skip TLS verification. Off unless explicitly switched on. */
  insecure: boolean;
  /** Per-request HTTP timeout in seconds (not the deployment timeout). */
  timeoutSeconds?: number;
}

/** Where the Mesos master answers (`MESOS_URL`, the file, or a flag). */
export interface MesosSettings {
  url?: string;
}


/** One container registry's settings (`registries.<host>` in the file), resolved. */
export interface RegistrySettings {
  /** Read from the variables the file names (`usernameEnv`/`passwordEnv`); the password is registered with the redactor. */
  credentials?: { username: string; password: string; source: string };
  /** Token realms on other hosts that may receive this registry's credentials (URLs or host names). */
  realms: string[];
  /** PEM file with the CA that signed the registry's certificate, absolute. */
  caFile?: string;
}

/** How mdeploy reaches container registries for the image check. */
export interface RegistryAccess {
  /** By host[:port] as written in image names. */
  registries: Record<string, RegistrySettings>;
  /** Asked like Docker's insecure-registries: HTTPS without certificate checks, then plain HTTP (file and MDEPLOY_INSECURE_REGISTRIES). */
  insecureRegistries: string[];
}

/**
 * Deploy strategy: `auto` (Marathon's rolling upgrade with a capacity-aware
 * upgradeStrategy, the default; `rolling` in the file means the same), `template`
 * (the template's own upgradeStrategy, checked the same way), `canary` or
 * `blue-green` (src/deploy/progressive/).
 */
export type StrategyChoice = "auto" | "template" | "canary" | "blue-green";

/** Checks a canary step or a blue/green switch must pass. */
export interface GateSettings {
  /** Seconds every new task stays healthy without a restart. */
  windowSeconds: number;
  httpProbe?: { url: string; expectStatus: number };
  prometheus?: { url: string; query: string; max: number };
}

/** `canary:` of an environment, resolved (defaults filled in). */
export interface CanarySettings extends GateSettings {
  /** Ascending; percent of the instances, or instance counts. */
  steps: number[];
  stepUnit: "percent" | "instances";
}

/** `blueGreen:` of an environment, resolved. */
export interface BlueGreenSettings extends GateSettings {
  /** Host of the preview router; undefined = preview.<public host>. */
  previewHost?: string;
  /** Seconds the previous copy stays up after the switch. */
  keepSeconds: number;
}

/** One deploy target (staging, production, ...), resolved. */
export interface EnvironmentConfig {
  /** The environment's name as written in the file; also the artifact name part (`marathon_app_<name>.json`). */
  name: string;
  /** Absolute path of the Handlebars template of the Marathon app. */
  template: string;
  /**
   * Template variables, in rising precedence: `defaults.values` (a YAML file),
   * `defaults.variables`, the environment's `values` file, its `variables`.
   * Plain JSON values; secrets are never here.
   */
  variables: Record<string, unknown>;
  /**
   * Names of environment variables whose values are secret for this
   * environment: `secrets:` in the file, plus credential variables the file
   * names (`passwordEnv`, `tokenEnv`) that do not look secret by their name.
   * Templates see them as placeholders
   * (see src/core/secret-placeholders.ts), as they do every `*_PASSWORD` /
   * `*_TOKEN` / `*_SECRET` variable; deploy resolves the placeholders at PUT time.
   */
  secretVariables: string[];
  /**
   * The names under `secrets:` (here or in `defaults:`) that are not also credential
   * variables the file names: the template must use each, so a misspelled entry, which
   * would leave the variable the template does use unprotected, is refused.
   */
  templateSecrets?: string[];
  /**
   * Secret variables the file allows to be empty (`allowEmpty: true` under
   * `secrets:`, here or in `defaults:`); render and deploy refuse any other
   * secret the app uses whose value is empty.
   */
  emptySecretsAllowed: string[];
  /** Marathon settings for this environment: global file settings < per-environment file settings < env vars < flags. */
  marathon: MarathonSettings;
  /** Mesos master for this environment (same precedence). */
  mesos: MesosSettings;
  /** Upgrade strategy choice (default `auto`). */
  strategy: StrategyChoice;
  /** Deployment timeout in seconds; undefined = deploy derives one from the app's health checks. */
  timeoutSeconds?: number;
  /** How many Mesos agents can run this app (for lints such as hostname UNIQUE); undefined = unknown. */
  agents?: number;
  /** The fewest healthy instances an upgrade may leave: a count (integer) or a share (0 < x < 1); undefined = no floor. */
  minHealthy?: number;
  /** Canary steps and gates (defaults when the file has no `canary:`). */
  canary: CanarySettings;
  /** Blue/green preview host, keep window and gates. */
  blueGreen: BlueGreenSettings;
}

/** The whole resolved configuration. */
export interface MdeployConfig {
  /** Absolute path of the config file that was read, or undefined when none existed and defaults were used. */
  configFile?: string;
  /** Directory relative paths in the file are resolved against (the file's directory, else cwd). */
  baseDir: string;
  /** Global Marathon settings (before per-environment overrides). */
  marathon: MarathonSettings;
  mesos: MesosSettings;
  registry: RegistryAccess;
  /** Environments by name, in file order. */
  environments: Record<string, EnvironmentConfig>;
}

/** Flag values that override everything else (highest precedence). Undefined fields leave lower layers alone. */
export interface ConfigOverrides {
  marathon?: Partial<MarathonSettings>;
  mesos?: MesosSettings;
  strategy?: StrategyChoice;
  timeoutSeconds?: number;
}
