// @ts-check
import js from "@eslint/js";
import tseslint from "typescript-eslint";

// The layer rule (docs/architecture.md): for each folder of src/, what it may not
// import. An arrow that runs the wrong way fails `npm run lint`;
// test/layer-rules.test.ts proves each rule still bites.

/** An import path that enters one of these folders of src/ ("../cli/output.js", "./deploy/x.js"). */
const intoFolders = (/** @type {string[]} */ folders) => `(^|/)(${folders.join("|")})/`;
/** Marathon's adapter, but not the shared model every layer may use (types.ts, defaults.ts). */
const MARATHON_ADAPTER = "(^|/)marathon/(?!(types|defaults)\\.js$)";
/** The core, but not its ports, which the simulator may use (the Clock it implements). */
const CORE_BEYOND_PORTS = "(^|/)core/(?!ports/)";
/** The HTTP adapter, but not the pure URL masking the config resolver applies to what users typed. */
const HTTP_BEYOND_SAFE_URL = "(^|/)http/(?!safe-url\\.js$)";
/** Modules that reach the network or spawn processes. */
const NETWORK_MODULES = "^((node:)?(http|https|http2|net|tls|dgram|dns|dns/promises|child_process|worker_threads|cluster)|axios|@gitbeaker/.*|@aws-sdk/.*)$";
/** Modules that reach the disk or the timers; with the network, what the pure core never touches. */
const DISK_AND_TIMER_MODULES = "^(node:)?(fs|fs/promises|timers|timers/promises|readline)$";

/** Adapter folders nothing pure may enter; marathon/ and http/ hold pure parts and have their own patterns above. */
const ADAPTERS = ["mesos", "gitlab", "registry", "zk", "host"];
/** The use cases, the commands, the CLI, and the simulator with its public face. */
const USE_CASES_AND_UP = ["cli", "commands", "deploy", "report", "api", "sim"];

/**
 * One layer's rule: no-restricted-imports for static imports (type imports too) and
 * no-restricted-syntax for `import()`, from one list of regular expressions.
 * @param {string} why the message, naming the layer and where the import belongs instead
 * @param {string[]} forbidden regular expressions over the import's module text
 * @param {string[]} [extraSyntax] further no-restricted-syntax selectors, each with `why` as message
 */
function layer(why, forbidden, extraSyntax = []) {
  return {
    "no-restricted-imports": ["error", { patterns: forbidden.map((regex) => ({ regex, message: why })) }],
    "no-restricted-syntax": [
      "error",
      ...forbidden.map((regex) => ({ selector: `ImportExpression[source.value=/${regex.replaceAll("/", "\\/")}/]`, message: why })),
      ...extraSyntax.map((selector) => ({ selector, message: why })),
    ],
  };
}

// Pure code reads no clock, no randomness and no process: they are parameters (STYLE.md rule 1).
const IMPURE_GLOBALS = ["process", "setTimeout", "setInterval", "setImmediate", "clearTimeout", "clearInterval", "fetch", "performance"].map((name) => ({
  name,
  message: "Pure code: pass the clock, the environment or the transport in as a parameter (STYLE.md rule 1).",
}));
const IMPURE_CALLS = [
  "CallExpression[callee.object.name='Date'][callee.property.name='now']",
  "NewExpression[callee.name='Date'][arguments.length=0]",
  "CallExpression[callee.object.name='Math'][callee.property.name='random']",
];
const PURE_FORBIDDEN = [intoFolders([...USE_CASES_AND_UP, ...ADAPTERS, "init"]), MARATHON_ADAPTER, NETWORK_MODULES, DISK_AND_TIMER_MODULES];

/** Everything under src/ that is not the CLI: the streams, argv, cwd and exit belong to src/cli. */
const PROCESS_OUTSIDE_CLI = ["stdout", "stderr", "stdin", "argv", "env", "cwd", "chdir", "exit"].map((property) => ({
  object: "process",
  property,
  message: "Only src/cli reads the process (streams, argv, env, cwd) or ends it; take what you need from CliContext or a parameter.",
}));

export default tseslint.config(
  { ignores: ["dist/", "dist-typecheck/", "node_modules/", ".gitlab-ci-local/", "coverage/", "ansible/", "**/*.py"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: { process: "readonly", console: "readonly", URL: "readonly", setTimeout: "readonly", clearTimeout: "readonly", Buffer: "readonly" },
    },
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      // Style rule 5: nothing but the CLI entry ends the process.
      "no-restricted-properties": ["error", { object: "process", property: "exit", message: "Throw a typed error; only src/cli/main.ts exits." }],
    },
  },
  {
    files: ["src/**/*.ts"],
    ignores: ["src/cli/**", "src/**/*.test.ts"],
    rules: { "no-restricted-properties": ["error", ...PROCESS_OUTSIDE_CLI] },
  },
  {
    // The AWS SDK reads its settings from the environment only; this is where zk-id quiets it.
    files: ["src/zk/discovery/ec2.ts"],
    rules: { "no-restricted-properties": ["error", ...PROCESS_OUTSIDE_CLI.filter((p) => p.property !== "env")] },
  },
  {
    files: ["src/marathon/**", "src/mesos/**", "src/gitlab/**", "src/registry/**", "src/http/**", "src/zk/**", "src/host/**"],
    ignores: ["**/*.test.ts"],
    rules: layer("Adapters sit below the use cases: src/marathon, mesos, gitlab, registry, http, zk and host may not import cli, commands, deploy, report, render, sim or api; define the port here and let them depend on it.", [
      intoFolders([...USE_CASES_AND_UP, "render", "init"]),
    ]),
  },
  {
    files: ["src/deploy/**"],
    ignores: ["**/*.test.ts"],
    rules: layer("src/deploy is below the commands and the CLI: it may not import cli, commands, report, sim or api; take ports from src/core/ports.", [intoFolders(["cli", "commands", "report", "api", "sim"])]),
  },
  {
    files: ["src/report/**"],
    ignores: ["**/*.test.ts"],
    rules: layer("src/report is below the commands and the CLI: it may not import cli, commands, sim or api; take ports from src/core/ports.", [intoFolders(["cli", "commands", "api", "sim"])]),
  },
  {
    files: ["src/commands/**"],
    ignores: ["**/*.test.ts"],
    rules: layer("src/commands may not import src/cli: a command takes what it needs (CliContext, ports, adapter factories) as parameters, so tests call it without the CLI.", [intoFolders(["cli"])]),
  },
  {
    files: ["src/api/**"],
    ignores: ["**/*.test.ts"],
    rules: layer("src/api is the simulator's public face: it may not import cli, commands, deploy or report.", [intoFolders(["cli", "commands", "deploy", "report"])]),
  },
  {
    files: ["src/sim/**"],
    ignores: ["**/*.test.ts"],
    rules: layer(
      "src/sim is the independent oracle: it imports only the shared Marathon model (marathon/types, marathon/defaults), the ports in src/core/ports and src/errors, never the planner, the engine or the clients it is tested against.",
      [intoFolders(["cli", "commands", "deploy", "report", "api", "plan", "validate", "template", "config", "render", "init", "http", ...ADAPTERS]), MARATHON_ADAPTER, CORE_BEYOND_PORTS],
    ),
  },
  {
    // Project files: the two loaders read from disk, but reach no network and no adapter.
    files: ["src/config/load-config.ts", "src/render/render-environment.ts", "src/init/**"],
    ignores: ["**/*.test.ts"],
    rules: layer("src/config, src/render and src/init read project files: they may not reach the network, the adapters or the layers above (cli, commands, deploy, report, sim, api).", [
      intoFolders([...USE_CASES_AND_UP, ...ADAPTERS]),
      MARATHON_ADAPTER,
      HTTP_BEYOND_SAFE_URL,
      NETWORK_MODULES,
    ]),
  },
  {
    files: ["src/config/**", "src/render/**"],
    ignores: ["src/config/load-config.ts", "src/render/render-environment.ts", "**/*.test.ts"],
    rules: {
      ...layer(
        "Pure code (config parsing and resolving, rendering): no fs, network, clock or process, and no import of adapters or the layers above; the loaders (load-config.ts, render-environment.ts) read the files.",
        [...PURE_FORBIDDEN, HTTP_BEYOND_SAFE_URL],
        IMPURE_CALLS,
      ),
      "no-restricted-globals": ["error", ...IMPURE_GLOBALS],
    },
  },
  {
    files: ["src/plan/**", "src/validate/**", "src/template/**"],
    ignores: ["**/*.test.ts"],
    rules: {
      ...layer(
        "Pure core (plan, validate, template): no fs, network, clock or process, and no import of config, render, adapters or the layers above; take values and ports as parameters.",
        [...PURE_FORBIDDEN, intoFolders(["config", "render", "http"])],
        IMPURE_CALLS,
      ),
      "no-restricted-globals": ["error", ...IMPURE_GLOBALS],
    },
  },
  {
    // The shared Marathon model: every layer and the simulator import it, so it imports nothing but itself.
    files: ["src/marathon/types.ts", "src/marathon/defaults.ts"],
    rules: {
      ...layer(
        "The shared Marathon model (marathon/types.ts, marathon/defaults.ts) is pure and imports only itself: the planner, the engine and the simulator all stand on it.",
        [...PURE_FORBIDDEN, intoFolders(["config", "render", "http", "core", "plan", "validate", "template"]), "^\\./(?!(types|defaults)\\.js$)"],
        IMPURE_CALLS,
      ),
      "no-restricted-globals": ["error", ...IMPURE_GLOBALS],
    },
  },
  {
    // src/errors.ts, the typed errors every layer throws, stands on the same ground.
    files: ["src/core/**", "src/errors.ts"],
    ignores: ["**/*.test.ts"],
    rules: {
      ...layer(
        "src/core is the bottom layer (pure functions and ports; src/errors.ts beside it): no fs, network, clock or process, and no import of any other folder of src/ but the Marathon model and src/errors.",
        [...PURE_FORBIDDEN, intoFolders(["config", "render", "http", "plan", "validate", "template"])],
        IMPURE_CALLS,
      ),
      "no-restricted-globals": ["error", ...IMPURE_GLOBALS],
    },
  },
  {
    files: ["src/cli/main.ts", "scripts/**", "bench/**", "test/**"],
    rules: { "no-restricted-properties": "off" },
  },
  {
    // The bundle's loader (the package's `bin`) is CommonJS, as the bundle it compiles.
    files: ["**/*.cjs"],
    languageOptions: { sourceType: "commonjs", globals: { require: "readonly", module: "writable", __dirname: "readonly" } },
    rules: { "@typescript-eslint/no-require-imports": "off" },
  },
);
