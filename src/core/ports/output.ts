import type { Redactor } from "../redact.js";

/**
 * Where commands speak. Human text goes to stderr when `--json` is on, so stdout
 * carries exactly one JSON document; everything passes the redactor. The CLI
 * builds the one implementation (src/cli/output.ts); every layer may take it.
 */
export interface Output {
  readonly redactor: Redactor;
  readonly json: boolean;
  /**
   * True when human text reaches a terminal (stdout is a TTY and `--json` is off),
   * so progress may rewrite one line in place. Read once, where the streams are known.
   */
  readonly isTerminal: boolean;
  /** Human-readable line (stdout normally, stderr under --json). */
  info(line: string): void;
  /** Warning line, always stderr. */
  warn(line: string): void;
  /** Error line, always stderr. */
  error(line: string): void;
  /** The machine-readable result; printed only under --json, and only the first (stdout holds one document). */
  result(value: unknown): void;
  /** True once a result was printed: the CLI's catch then adds no error document. */
  readonly resultWritten: boolean;
  /** Raw text to stdout (already formatted, e.g. a rendered artifact or a diff). */
  write(text: string): void;
}
