#!/usr/bin/env node
/**
 * `node dist/cli/main.js`: the command line unbundled. The package's `bin` is the
 * bundle (dist/bundle/mdeploy.js, written by scripts/bundle-cli.mjs), which runs
 * the same `main`.
 */
import { main } from "./run-cli.js";

// Exit explicitly: a lingering keep-alive socket or timer must not keep a CI job waiting.
main(process.argv).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`mdeploy: internal error: ${String(error)}\n`);
    process.exit(70);
  },
);
