import type { Writable } from "node:stream";
import { createRedactor, type Redactor } from "../core/redact.js";
import type { Output } from "../core/ports/output.js";

export interface OutputOptions {
  json?: boolean;
  stdout?: Writable;
  stderr?: Writable;
  redactor?: Redactor;
}

/** The one implementation of the Output port: the process's stdout and stderr unless streams are given. */
export function createOutput(options: OutputOptions = {}): Output {
  const stdout = options.stdout ?? process.stdout;
  const stderr = options.stderr ?? process.stderr;
  const redactor = options.redactor ?? createRedactor();
  const json = options.json ?? false;
  const line = (stream: Writable, text: string) => stream.write(`${redactor.redact(text)}\n`);
  let resultWritten = false;
  const isTerminal = !json && (stdout as Writable & { isTTY?: boolean }).isTTY === true;
  return {
    redactor,
    json,
    isTerminal,
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
