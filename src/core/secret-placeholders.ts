/**
 * Secret placeholders: how a secret environment value travels through an
 * artifact without being in it. The renderer writes `[[mdeploy-secret:NAME]]`
 * where a template uses a secret variable; deploy replaces it with the value
 * of the environment variable NAME at PUT time.
 *
 * Why this form: the double brackets and the `mdeploy-secret:` prefix cannot
 * occur in image names, URLs, hostnames or numbers, are not shell or
 * Handlebars syntax (so nothing expands them by accident), and stay a valid
 * JSON string wherever they are placed, even inside a longer string.
 */
import { ConfigError } from "../errors.js";
import type { Redactor } from "./redact.js";

const PLACEHOLDER = /\[\[mdeploy-secret:([A-Za-z_][A-Za-z0-9_]*)\]\]/g;

/** The placeholder standing for environment variable `name`. */
export function secretPlaceholder(name: string): string {
  return `[[mdeploy-secret:${name}]]`;
}

/** Names of the secret variables a value (artifact, app definition) refers to, sorted, each once. */
export function findSecretPlaceholders(value: unknown): string[] {
  const names = new Set<string>();
  walkStrings(value, (text) => {
    for (const match of text.matchAll(PLACEHOLDER)) if (match[1]) names.add(match[1]);
    return text;
  });
  return [...names].sort();
}

/** Which environment's secrets these are, and which of them mdeploy.yml lets be empty (`allowEmpty: true`). */
export interface EmptySecretRule {
  environment: string;
  emptySecretsAllowed: readonly string[];
}

/**
 * Refuses (ConfigError, exit 2) the secrets `names` whose value is set but
 * empty, unless the config allows it: an empty password is far more often a CI
 * variable that did not expand than a real one. Only whitespace (a variable that
 * expanded to nothing inside quotes or a file, `" "`, `"\n"`) counts as empty too.
 * Names the variables, never a value.
 */
export function checkEmptySecrets(names: readonly string[], env: Record<string, string | undefined>, rule: EmptySecretRule): void {
  const empty = names.filter((name) => env[name]?.trim() === "" && !rule.emptySecretsAllowed.includes(name));
  if (empty.length === 0) return;
  const [first] = empty;
  throw new ConfigError(
    `${rule.environment}: secret variable${empty.length === 1 ? "" : "s"} ${empty.join(", ")} ${empty.length === 1 ? "is" : "are"} empty; set ${empty.length === 1 ? "it" : "them"}, or allow an empty value in mdeploy.yml (secrets: [{ name: ${first}, allowEmpty: true }])`,
  );
}

/**
 * Returns a copy of `app` with every placeholder replaced by the value of its
 * environment variable, each value registered with the redactor first.
 * Throws ConfigError naming every variable that is unset (and where it is
 * used), or that is empty where `rule` does not allow it.
 */
export function resolveSecretPlaceholders<T>(app: T, env: Record<string, string | undefined>, redactor: Redactor, rule: EmptySecretRule): T {
  checkEmptySecrets(findSecretPlaceholders(app), env, rule);
  const missing = new Map<string, string[]>();
  const resolved = walkStrings(app, (text, path) =>
    text.replace(PLACEHOLDER, (whole, name: string) => {
      const value = env[name];
      if (value === undefined) {
        missing.set(name, [...(missing.get(name) ?? []), path || "/"]);
        return whole;
      }
      redactor.add(value);
      return value;
    }),
  );
  if (missing.size > 0) {
    const lines = [...missing].map(([name, paths]) => `${name} (used at ${paths.join(", ")})`);
    const first = [...missing.keys()][0] ?? "";
    throw new ConfigError(
      missing.size === 1
        ? `secret variable ${first} is not set in the environment; the artifact needs it at ${missing.get(first)?.join(", ")}`
        : `${missing.size} secret variables are not set in the environment`,
      missing.size === 1 ? [] : lines,
    );
  }
  return resolved;
}

/** Deep-copies a JSON-like value, passing every string (and its JSON pointer) through `map`. Keys are left alone. */
function walkStrings<T>(value: T, map: (text: string, path: string) => string, path = ""): T {
  if (typeof value === "string") return map(value, path) as T;
  if (Array.isArray(value)) return value.map((v, i) => walkStrings(v, map, `${path}/${i}`)) as T;
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = walkStrings(v, map, `${path}/${k.replace(/~/g, "~0").replace(/\//g, "~1")}`);
    return out as T;
  }
  return value;
}
