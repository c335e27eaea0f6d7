import type { Writable } from "node:stream";
import { createRedactor, type Redactor } from "../core/redact.js";

/**
 * Where commands speak. Human text goes to stderr when `--json` is on, so stdout
 * carries exactly one JSON document; everything passes the redactor.
 */
export interface Output {
  readonly redactor: Redactor;
  readonly json: boolean;
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

export interface OutputOptions {
  json?: boolean;
  stdout?: Writable;
  stderr?: Writable;
  redactor?: Redactor;
}

export function createOutput(options: OutputOptions = {}): Output {
  const stdout = options.stdout ?? process.stdout;
  const stderr = options.stderr ?? process.stderr;
  const redactor = options.redactor ?? createRedactor();
  const json = options.json ?? false;
  const line = (stream: Writable, text: string) => stream.write(`${redactor.redact(text)}\n`);
  let resultWritten = false;
  return {
    redactor,
    json,
    get resultWritten() {
      return resultWritten;
    },
    info: (text) => line(json ? stderr : stdout, text),
    warn: (text) => line(stderr, `warning: ${text}`),
    error: (text) => line(stderr, text),
    result: (value) => {
      if (json && !resultWritten) stdout.write(`${JSON.stringify(redactor.redactValue(value), null, 2)}\n`);
      resultWritten = true;
    },
    write: (text) => (json ? stderr : stdout).write(redactor.redact(text)),
  };
}
