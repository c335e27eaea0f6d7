import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createProgress, progressModeFor } from "../deploy/progress.js";
import { createOutput } from "./output.js";

/** A stream that keeps what is written, claiming to be a terminal or not. */
function stream(isTTY: boolean): Writable & { text(): string } {
  const chunks: string[] = [];
  const writable = new Writable({
    write(chunk, _encoding, done) {
      chunks.push(String(chunk));
      done();
    },
  });
  return Object.assign(writable, { isTTY, text: () => chunks.join("") });
}

const clock = { now: () => 0, sleep: async () => undefined };

describe("Output.isTerminal: the CLI reads whether stdout is a terminal once, for every command", () => {
  it("a terminal on stdout rewrites the progress line in place", () => {
    const stdout = stream(true);
    const output = createOutput({ stdout, stderr: stream(false) });
    expect(output.isTerminal).toBe(true);
    const progress = createProgress(output, progressModeFor({}, output.isTerminal), clock);
    progress.update("0/1 healthy");
    progress.update("1/1 healthy");
    progress.settle();
    expect(stdout.text()).toBe("\r\u001b[2K0/1 healthy\r\u001b[2K1/1 healthy\n");
  });

  it("a pipe, or --json on a terminal (human text then goes to stderr), prints one line per change", () => {
    for (const output of [createOutput({ stdout: stream(false), stderr: stream(false) }), createOutput({ json: true, stdout: stream(true), stderr: stream(true) })]) {
      expect(output.isTerminal).toBe(false);
      expect(progressModeFor({}, output.isTerminal)).toBe("plain");
    }
  });
});
