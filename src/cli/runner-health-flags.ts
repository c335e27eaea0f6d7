import { parseArgs } from "node:util";
import { UsageError } from "../errors.js";

/**
 * The flags of `mdeploy runner-health`, as data. Commander registers them for help
 * and ordinary runs; the CLI entry parses them with node's own `parseArgs` when the
 * health check runs, so a check Marathon starts every interval does not load
 * commander (issue budget: 2x a bare `node -e` request).
 */
export interface FlagSpec {
  /** Long name without dashes, kebab-case. */
  name: string;
  /** Value placeholder for flags that take one; absent for switches. */
  value?: string;
  description: string;
  default?: string;
  /** A `--no-<name>` switch that sets `<name>` to false. */
  negated?: boolean;
}

export const runnerHealthFlags: readonly FlagSpec[] = [
  { name: "gitlab-url", value: "url", description: "GitLab base URL (default GITLAB_URL, CI_SERVER_URL, or config.toml)" },
  { name: "runner-config", value: "file", description: "gitlab-runner config.toml (default /etc/gitlab-runner/config.toml when present)" },
  { name: "runner-id", value: "id", description: "runner id to look up with GITLAB_TOKEN (default GITLAB_RUNNER_ID or config.toml id)" },
  { name: "system-id", value: "id", description: "this container's system_id (default GITLAB_RUNNER_SYSTEM_ID or .runner_system_id)" },
  { name: "metrics-url", value: "url", description: "runner metrics endpoint (default from listen_address, else http://127.0.0.1:9252/metrics)" },
  { name: "metrics", negated: true, description: "do not check the runner process" },
  { name: "timeout", value: "seconds", description: "answer within this time (keep below Marathon's timeoutSeconds)", default: "5" },
  { name: "grace", value: "seconds", description: "start-up grace for a runner GitLab has not heard from yet", default: "300" },
  { name: "strict", description: "count GitLab unreachable or misconfigured as unhealthy" },
  { name: "state-file", value: "file", description: "where to keep job-request counters between checks (default in the temp dir)" },
  {
    name: "verify-token",
    description: "ask GitLab with POST /runners/verify and the runner's token instead; a WRITE: GitLab counts it as the runner's contact, so use it rarely, never as the periodic check",
  },
];

/** The global flags every command accepts (see src/cli/program.ts). */
const globalFlags: readonly FlagSpec[] = [
  { name: "config", value: "file", description: "configuration file" },
  { name: "json", description: "JSON on stdout" },
  { name: "debug", description: "stack traces" },
];

/** `--gitlab-url` as commander writes it. */
export function commanderFlag(spec: FlagSpec): string {
  if (spec.negated) return `--no-${spec.name}`;
  return spec.value ? `--${spec.name} <${spec.value}>` : `--${spec.name}`;
}

/**
 * Parses `args` against `specs` the way commander would (camelCase keys, defaults,
 * `--no-x` sets `x` to false), with commander's wording for unknown flags.
 */
export function parseFlags(specs: readonly FlagSpec[], args: string[]): Record<string, string | boolean> {
  const options: Record<string, { type: "string" | "boolean" }> = {};
  for (const spec of [...specs, ...globalFlags]) options[spec.negated ? `no-${spec.name}` : spec.name] = { type: spec.value ? "string" : "boolean" };
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: joinNegativeValues(args, options), options, strict: true, allowPositionals: false });
  } catch (error) {
    throw new UsageError(`${describeParseError(error)} (see mdeploy runner-health --help)`);
  }
  const result: Record<string, string | boolean> = {};
  for (const spec of specs) if (spec.default !== undefined) result[camelCase(spec.name)] = spec.default;
  for (const [key, value] of Object.entries(parsed.values)) {
    if (value === undefined || Array.isArray(value)) continue;
    if (key.startsWith("no-")) result[camelCase(key.slice(3))] = false;
    else result[camelCase(key)] = value;
  }
  return result;
}

/**
 * `--timeout -5` as `--timeout=-5`: parseArgs takes "-5" for a flag and would
 * say "argument missing"; commander takes it as the value, and so does this,
 * so the flag's own check can say what is wrong with it.
 */
function joinNegativeValues(args: readonly string[], options: Record<string, { type: "string" | "boolean" }>): string[] {
  const joined: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? "";
    const next = args[i + 1];
    if (arg.startsWith("--") && options[arg.slice(2)]?.type === "string" && next !== undefined && /^-\d/.test(next)) {
      joined.push(`${arg}=${next}`);
      i++;
    } else {
      joined.push(arg);
    }
  }
  return joined;
}

function describeParseError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const unknown = /Unknown option '([^']+)'/.exec(message);
  if (unknown) return `unknown option '${unknown[1]}'`;
  const positional = /Unexpected argument '([^']+)'/.exec(message);
  if (positional) return `too many arguments for 'runner-health': '${positional[1]}'`;
  const missing = /Option '(-[^']*)' argument missing/.exec(message) ?? /Option '([^']+)'.*argument/.exec(message);
  if (missing) return `option '${missing[1]}' argument missing`;
  return message.split("\n")[0] ?? message;
}

function camelCase(name: string): string {
  return name.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase());
}
