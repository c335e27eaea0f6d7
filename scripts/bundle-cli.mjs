#!/usr/bin/env node
// Bundles the compiled CLI (dist/cli/main.js) into dist/bundle/: mdeploy.js, the
// `bin`, plus one chunk per lazily imported command. Loading yaml, handlebars,
// commander and ~100 of our own modules file by file cost interactive commands
// most of their start-up (Node 20 has no compile cache); a handful of files
// loads several times faster. Runs after tsc and scripts/write-help.mjs.
//
// What stays outside the bundle, loaded from node_modules when used:
// - ajv: the validators the build precompiles (dist/validators/*.cjs) require its
//   runtime helpers, and only the simulator's cluster file compiles a schema;
// - the AWS SDK: only `zk-id` with EC2 discovery imports it, and it is large.
// Files read at run time relative to the module (help.txt, package.json,
// schemas/, dist/validators/) resolve the same from dist/bundle/ as from
// dist/cli/, both two levels below the package root; help.txt is copied along.
import { copyFileSync, rmSync } from "node:fs";
import { build } from "esbuild";

const root = new URL("..", import.meta.url);
const outdir = new URL("dist/bundle/", root);

rmSync(outdir, { recursive: true, force: true });
await build({
  entryPoints: { mdeploy: new URL("dist/cli/main.js", root).pathname },
  outdir: outdir.pathname,
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  chunkNames: "[name]-[hash]",
  external: ["ajv", "ajv/*", "@aws-sdk/*"],
  // The CommonJS dependencies (commander, handlebars) require Node built-ins;
  // in an ES module that needs a real `require`.
  banner: { js: 'import { createRequire as __mdeployCreateRequire } from "node:module";\nconst require = __mdeployCreateRequire(import.meta.url);' },
  plugins: [
    {
      // handlebars tries `require("source-map")` at load, in a try, for source
      // maps of compiled templates, which mdeploy never asks for: an empty
      // module keeps it from loading and handlebars uses its own fallback.
      name: "no-source-map",
      setup(b) {
        b.onResolve({ filter: /^source-map$/ }, () => ({ path: "source-map", namespace: "empty" }));
        b.onLoad({ filter: /.*/, namespace: "empty" }, () => ({ contents: "module.exports = {};", loader: "js" }));
      },
    },
  ],
  // Smaller to read and to ship (the package's size budget).
  minifyWhitespace: true,
  minifySyntax: true,
  // Bundling renames classes whose names collide across modules; errors take
  // their `name` from their class (ours in src/errors.ts, commander's
  // CommanderError, which main.ts recognises by name), so names are kept.
  keepNames: true,
  logLevel: "warning",
});
copyFileSync(new URL("dist/cli/help.txt", root), new URL("help.txt", outdir));
