/**
 * The `error` object `--json` prints when a command fails: the same exit code
 * and message a person reads on stderr, plus what is known of the cluster's
 * state. Shaped here so the CLI's one catch can print it without loading commander.
 */
import { ExitCode } from "../errors.js";

/** What `{"ok": false, "exitCode": N, "error": {...}}` carries. */
export interface FailureDocument {
  exitCode: number;
  error: {
    /** A stable name for the exit code: bad-input, refused, unreachable, ... */
    code: string;
    /** The error's class (UsageError, PreflightRefusedError, ...). */
    type: string;
    message: string;
    details: string[];
    /** The state the command knew when it stopped (what runs, what is open), when it knew one. */
    state?: unknown;
  };
}

const CODE_NAMES: Record<number, string> = {
  ...Object.fromEntries(Object.entries(ExitCode).map(([name, code]) => [code, name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)])),
  70: "internal",
};

const COMMANDER_OK = new Set(["commander.helpDisplayed", "commander.version", "commander.help"]);

/** Exit code and document for any error that reaches the CLI entry (exit 0 for commander's help and version). */
export function describeFailure(error: unknown): FailureDocument {
  const err = error instanceof Error ? error : new Error(String(error));
  const fields = err as Error & { code?: unknown; exitCode?: unknown; details?: unknown; state?: unknown };
  let exitCode = 70;
  let message = err.message;
  if (err.name === "CommanderError" && typeof fields.code === "string") {
    exitCode = COMMANDER_OK.has(fields.code) ? 0 : ExitCode.badInput;
    message = message.replace(/^error:\s*/, "").replace(/\s*\n\s*/g, " ");
  } else if (typeof fields.exitCode === "number" && Array.isArray(fields.details)) {
    exitCode = fields.exitCode;
  }
  return {
    exitCode,
    error: {
      code: CODE_NAMES[exitCode] ?? String(exitCode),
      type: err.name,
      message,
      details: Array.isArray(fields.details) ? fields.details.map(String) : [],
      ...(fields.state !== undefined ? { state: fields.state } : {}),
    },
  };
}
