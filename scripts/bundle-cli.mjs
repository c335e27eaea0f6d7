#!/usr/bin/env node
// Bundles the compiled CLI (dist/cli/run-cli.js) into dist/bundle/:
// - mdeploy-cli.js: the whole command line as one CommonJS file;
// - mdeploy.js: the package's `bin`, scripts/cli-loader.cjs, which compiles the
//   bundle with a V8 code cache (the loader says which and why);
// - mdeploy-cli.cache: the build's cache, made here by running the interactive
//   commands (render, status, plan, history) once against the built-in simulator;
// - package.json saying the folder is CommonJS (the package itself is ESM).
// Loading yaml, handlebars, commander and ~100 of our own modules file by file,
// and compiling them on every start (Node 20 has no compile cache), cost the
// interactive commands most of their start-up. Runs after tsc and
// scripts/write-help.mjs and scripts/build-validators.mjs.
//
// What stays outside the bundle, loaded from node_modules when used:
// - ajv's compiler: the validators the build precompiled (dist/validators/*.cjs) are
//   bundled with the runtime helpers they need, and only the simulator's cluster
//   file compiles a schema;
// - the AWS SDK: only `zk-id` with EC2 discovery loads it, and it is large.
// Files read at run time relative to the module (help.txt, package.json,
// schemas/, dist/validators/) resolve the same from dist/bundle/ as from
// dist/cli/, both two levels below the package root; help.txt is copied along.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = new URL("..", import.meta.url);
const outdir = new URL("dist/bundle/", root);
const loaderPath = fileURLToPath(new URL("mdeploy.js", outdir));

if (process.argv[2] === "--train") await train();
else await bundle();

async function bundle() {
  const { build } = await import("esbuild");
  rmSync(outdir, { recursive: true, force: true });
  await build({
    entryPoints: { "mdeploy-cli": fileURLToPath(new URL("dist/cli/run-cli.js", root)) },
    outdir: fileURLToPath(outdir),
    bundle: true,
    format: "cjs",
    platform: "node",
    target: "node20",
    external: ["@aws-sdk/*"],
    // A lazily imported command becomes a function that runs its module on first use; an
    // external (the AWS SDK) is required then, so the loader needs no ES module loader.
    supported: { "dynamic-import": false },
    // Modules find help.txt, package.json and the validators from their own URL: in the
    // bundle that is the bundle's file, two levels below the package root as dist/cli is.
    define: { "import.meta.url": "__mdeployBundleUrl" },
    banner: { js: 'var __mdeployBundleUrl = require("node:url").pathToFileURL(__filename).href;' },
    plugins: [
      {
        // ajv's compiler stays in node_modules; its runtime helpers (ajv/dist/runtime/*) are bundled.
        name: "ajv-compiler-outside",
        setup(b) {
          b.onResolve({ filter: /^ajv$/ }, () => ({ path: "ajv", external: true }));
        },
      },
      {
        // The validators the build wrote, required by literal path so they are bundled
        // (with the few ajv runtime helpers they need) instead of loaded from disk at run time.
        name: "bundled-validators",
        setup(b) {
          b.onLoad({ filter: /[\\/]dist[\\/]validate[\\/]built-validators\.js$/ }, async () => {
            const { VALIDATOR_OPTIONS } = await import(new URL("dist/validate/precompiled.js", root).href);
            const cases = Object.keys(VALIDATOR_OPTIONS).map((name) => `    case ${JSON.stringify(name)}: return require(${JSON.stringify(`../validators/${name}.cjs`)});`);
            const contents = `export function loadBuiltValidators(module) {\n  switch (module) {\n${cases.join("\n")}\n    default: throw Object.assign(new Error(\`no validator module \${module}.cjs\`), { code: "MODULE_NOT_FOUND" });\n  }\n}\n`;
            return { contents, loader: "js", resolveDir: fileURLToPath(new URL("dist/validate/", root)) };
          });
        },
      },
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
    // CommanderError, which run-cli.ts recognises by name), so names are kept.
    keepNames: true,
    logLevel: "warning",
  });
  // The loader reads the bundle as latin1, which decodes ASCII exactly as UTF-8 does, and nothing past it.
  const nonAscii = readFileSync(new URL("mdeploy-cli.js", outdir)).findIndex((byte) => byte > 0x7f);
  if (nonAscii !== -1) throw new Error(`bundle-cli: dist/bundle/mdeploy-cli.js has a byte past ASCII at ${nonAscii}; the loader reads it as latin1`);
  writeFileSync(new URL("package.json", outdir), `${JSON.stringify({ type: "commonjs" })}\n`);
  // The loader keys user caches by the bundle's content, so a cache never outlives its bundle.
  const buildId = createHash("sha256").update(readFileSync(new URL("mdeploy-cli.js", outdir))).digest("hex").slice(0, 16);
  const loader = readFileSync(new URL("scripts/cli-loader.cjs", root), "utf8");
  if (!loader.includes('"__MDEPLOY_BUILD_ID__"')) throw new Error("bundle-cli: scripts/cli-loader.cjs has no BUILD_ID to fill in");
  writeFileSync(loaderPath, loader.replace('"__MDEPLOY_BUILD_ID__"', JSON.stringify(buildId)));
  chmodSync(loaderPath, 0o755);
  copyFileSync(new URL("dist/cli/help.txt", root), new URL("help.txt", outdir));

  // Trained in a child: the commands print, change directory and leave the simulator's
  // servers behind, none of which belongs in the build's own process. Without the building
  // machine's NODE_OPTIONS: V8 rejects a cache made under other flags (--max-old-space-size
  // among them), and mdeploy runs without them.
  const trained = spawnSync(process.execPath, [fileURLToPath(import.meta.url), "--train"], {
    stdio: ["ignore", "ignore", "pipe"],
    encoding: "utf8",
    timeout: 120_000,
    env: { ...process.env, NODE_OPTIONS: undefined },
  });
  const { PACKAGED_CACHE } = createRequire(import.meta.url)(loaderPath);
  if (trained.status !== 0 || !existsSync(PACKAGED_CACHE)) {
    throw new Error(`bundle-cli: making the code cache failed (exit ${trained.status ?? trained.signal}): ${trained.stderr.trim().split("\n").slice(-5).join(" | ")}`);
  }
}

/** Runs render, status, plan and history once in this process, then writes the compiled code V8 holds for the bundle. */
async function train() {
  const { startSimulator, defaultCluster } = await import(new URL("dist/sim/index.js", root).href);
  const sim = await startSimulator({ cluster: defaultCluster(), speed: 1000 });
  const project = mkdtempSync(join(tmpdir(), "mdeploy-train-"));
  try {
    writeFileSync(join(project, "mdeploy.yml"), "defaults:\n  template: app.json.hbs\nenvironments:\n  staging:\n    values: staging.yml\n");
    writeFileSync(join(project, "staging.yml"), "image: registry.example.com/train/app\ntag: 1.0.0\ninstances: 2\n");
    // Shaped like the apps users deploy (the click-count example): helpers, a Docker
    // container with ports, a Mesos health check, Traefik labels, env and constraints.
    writeFileSync(
      join(project, "app.json.hbs"),
      `{
  "id": "/train/app",
  "instances": {{json instances}},
  "cpus": 0.1,
  "mem": 64,
  "container": {
    "type": "DOCKER",
    "docker": { "image": {{json (concat (default env.CI_REGISTRY_IMAGE image) ":" (default env.CI_COMMIT_SHA tag))}} },
    "portMappings": [{ "containerPort": 8080, "hostPort": 0, "protocol": "tcp", "name": "http" }]
  },
  "networks": [{ "mode": "container/bridge" }],
  "env": { "MODE": {{json environment}}{{#if env.TRAIN_SECRET}}, "SECRET": {{json env.TRAIN_SECRET}}{{/if}} },
  "constraints": [["hostname", "UNIQUE"]],
  "labels": {
    "traefik.enable": "true",
    "traefik.http.routers.train-{{str environment}}.rule": "Host(\`train.example.com\`)",
    "traefik.http.services.train-{{str environment}}.loadbalancer.server.port": "index:0"
  },
  "healthChecks": [{ "protocol": "MESOS_HTTP", "path": "/", "portIndex": 0, "gracePeriodSeconds": 60, "intervalSeconds": 10, "timeoutSeconds": 5, "maxConsecutiveFailures": 3 }]
}
`,
    );
    process.chdir(project);
    // Only what the commands read: CI variables of the machine building would change what render does.
    for (const name of Object.keys(process.env)) if (name !== "PATH" && name !== "HOME") delete process.env[name];
    process.env.MARATHON_URL = sim.marathonUrl;
    process.env.MESOS_URL = sim.mesosUrl;
    const { loadCli, cacheBytes, PACKAGED_CACHE } = createRequire(import.meta.url)(loaderPath);
    const { main, script } = loadCli([], { MDEPLOY_CODE_CACHE: "off" });
    const run = async (...args) => {
      const code = await main([process.execPath, loaderPath, ...args]);
      if (code !== 0) throw new Error(`mdeploy ${args.join(" ")} exited ${code}`);
    };
    await run("render", "staging");
    // The app status, plan and history read, put there directly: deploy's own code would only grow the cache.
    const app = JSON.parse(readFileSync(join(project, "marathon_app_staging.json"), "utf8"));
    const created = sim.apply({ method: "POST", path: "/v2/apps", body: app });
    if (created.status !== 201) throw new Error(`the simulator refused the app: ${JSON.stringify(created.body)}`);
    await run("status", "staging");
    await run("plan", "staging");
    await run("history", "staging");
    writeFileSync(PACKAGED_CACHE, cacheBytes(script));
  } finally {
    process.chdir(tmpdir());
    rmSync(project, { recursive: true, force: true });
    await sim.close();
  }
  process.exit(0);
}
