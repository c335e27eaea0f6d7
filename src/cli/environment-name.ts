/**
 * What an environment name may be, without commander: the check flag-checks.ts
 * gives commander, and the commands that run without it (quick-commands.ts) use.
 */

/** Longest environment name (it becomes part of a file name and of log lines). */
const MAX_ENVIRONMENT_NAME_LENGTH = 64;

/** Why `value` is not an environment name (letters, digits, `_ . -`, of a sane length), or undefined when it is one. */
export function environmentNameProblem(value: string): string | undefined {
  if (value.length > MAX_ENVIRONMENT_NAME_LENGTH) return `an environment name has at most ${MAX_ENVIRONMENT_NAME_LENGTH} characters (got ${value.length})`;
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(value)) return "an environment name is letters, digits, _ . and -, starting with a letter or digit";
  return undefined;
}
