/**
 * Secret redaction. Every output path (stdout, stderr, logs, plans, diffs,
 * reports, error messages) passes through one Redactor, which learns secrets
 * the moment they are read (STYLE.md rule 8).
 */

export const REDACTED = "[REDACTED]";

/** Secrets shorter than this are not redacted: replacing "1" everywhere would garble output without protecting anything. */
const MIN_SECRET_LENGTH = 4;

export interface Redactor {
  /** Registers a value that must never be shown. */
  add(secret: string | undefined | null): void;
  /** Replaces every registered secret (and its URL-encoded and base64 forms) in text. */
  redact(text: string): string;
  /** Deep-copies a JSON-like value with every string redacted. */
  redactValue<T>(value: T): T;
}

export function createRedactor(initial: Iterable<string> = []): Redactor {
  const secrets = new Set<string>();
  let pattern: RegExp | undefined;

  const add = (secret: string | undefined | null): void => {
    if (!secret || secret.length < MIN_SECRET_LENGTH) return;
    // Also hide the forms a secret takes inside URLs and Basic auth headers.
    for (const form of [secret, encodeURIComponent(secret), Buffer.from(secret).toString("base64")]) {
      if (!secrets.has(form)) {
        secrets.add(form);
        pattern = undefined;
      }
    }
  };

  const compiled = (): RegExp | undefined => {
    if (secrets.size === 0) return undefined;
    if (!pattern) {
      // Longest first so a secret that contains another is replaced whole.
      const alternatives = [...secrets].sort((a, b) => b.length - a.length).map(escapeRegExp);
      pattern = new RegExp(alternatives.join("|"), "g");
    }
    return pattern;
  };

  const redact = (text: string): string => {
    const re = compiled();
    return re ? text.replace(re, REDACTED) : text;
  };

  const redactValue = <T>(value: T): T => {
    if (typeof value === "string") return redact(value) as T;
    if (Array.isArray(value)) return value.map((v) => redactValue(v)) as T;
    if (value && typeof value === "object") {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) out[k] = redactValue(v);
      return out as T;
    }
    return value;
  };

  for (const s of initial) add(s);
  return { add, redact, redactValue };
}

/**
 * The secret forms Basic credentials take: the password, and the exact base64 of
 * `user:password` that an `Authorization: Basic ...` header carries (a server may echo
 * the header back in an error body). The password's own base64 is not enough: it shows
 * inside base64(user:password) only when the user name plus colon is a multiple of
 * 3 bytes long. Register each with {@link Redactor.add}.
 */
export function basicAuthSecrets(username: string, password: string): string[] {
  return [password, Buffer.from(`${username}:${password}`).toString("base64")];
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** Environment variable names whose values are secrets wherever they appear (DESIGN.md). */
export function isSecretVariableName(name: string): boolean {
  return /(^|_)(PASSWORD|TOKEN|SECRET)$/i.test(name) || /^(MARATHON_PASSWORD|MARATHON_TOKEN|GITLAB_TOKEN|CI_REGISTRY_PASSWORD|CI_JOB_TOKEN)$/.test(name);
}
