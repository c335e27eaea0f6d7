import type { Output } from "./output.js";

/**
 * What every command action gets from the CLI entry besides its own flags. It sits
 * with the ports, not in src/cli, so commands and the deploy engine take it without
 * importing the CLI; tests build one to call a command directly.
 */
export interface CliContext {
  readonly output: Output;
  /** The process environment; commands read settings from it, never from `process.env` directly. */
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  /** Global flags. */
  readonly global: GlobalOptions;
}

export interface GlobalOptions {
  config?: string;
  json: boolean;
  debug: boolean;
}
