import type { Output } from "./output.js";

/** What every command action gets from the CLI entry besides its own flags. */
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
