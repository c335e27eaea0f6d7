#!/usr/bin/env node
// The package's `bin` (copied to dist/bundle/mdeploy.js by scripts/bundle-cli.mjs,
// which fills in BUILD_ID).
//
// Node 20 has no compile cache: every start parses and compiles the CLI again,
// which cost the interactive commands (status, plan, render, history) about a
// third of their run. This loader compiles the bundle (dist/bundle/mdeploy-cli.js,
// CommonJS) with a V8 code cache, so the functions a command runs start compiled:
// - the build's own (dist/bundle/mdeploy-cli.cache), made by running those
//   commands once; it is there when mdeploy runs where it was built (a clone,
//   the toolkit image) and is left out of the npm package, whose users run
//   other Node versions, for which V8 would reject it anyway;
// - otherwise one per command in the user's cache directory
//   ($XDG_CACHE_HOME/mdeploy, else ~/.cache/mdeploy), written when the command
//   first ends without one. MDEPLOY_CODE_CACHE=off turns that off.
// V8 rejects a cache made by another Node (version or flags); the loader then
// compiles as plain Node would. V8 checks a cache against the source's length
// only, and runs the bytecode it holds: so a cache is used only while the bundle
// is the one BUILD_ID names (a copy patched in place must run as patched), and
// only a cache that says it was made for BUILD_ID. Hashing the bundle costs 4 ms,
// so a cache also records the size and modification time (ns) of the file it was
// made beside; while the bundle still has exactly those, nothing rewrote it and
// it is not hashed (defeating that takes forging a file time to the nanosecond,
// by someone who could as well edit the bundle's code). A cache is only ever a
// speed-up: failing to read or write one never changes what the command does or prints.
"use strict";
const { closeSync, constants, fstatSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } = require("node:fs");
const { createRequire, wrap } = require("node:module");
const { homedir } = require("node:os");
const { isAbsolute, join, relative, sep } = require("node:path");
const { Script } = require("node:vm");

/** The bundle's content hash, written in by the build: a user cache is only ever used with the bundle it was made from. */
const BUILD_ID = "__MDEPLOY_BUILD_ID__";
const BUNDLE = join(__dirname, "mdeploy-cli.js");
const PACKAGED_CACHE = join(__dirname, "mdeploy-cli.cache");
/** A cache is about 1 MB; a file much bigger is not one, and is not read. */
const MAX_CACHE_BYTES = 64 * 1024 * 1024;

/**
 * Compiles and runs the bundle with a cache: the command's user cache when there is
 * one (written because the build's was missing or rejected), else the build's.
 * Its `main`, the compiled script, and which cache V8 accepted.
 */
function loadCli(argv, env) {
  const bundle = readBundle();
  // The bundle is ASCII (esbuild escapes the rest; the build checks): read as latin1 it needs no UTF-8 decoding.
  const source = wrap(bundle.bytes.toString("latin1"));
  const userFile = userCacheFile(argv, env);
  const userCache = userFile ? readCache(userFile, true) : undefined;
  const found = userCache ?? readCache(PACKAGED_CACHE, false);
  // A cache made for BUILD_ID is used with the very file it was made beside (same size and
  // modification time: nothing rewrote it since), else only once the bundle's hash is BUILD_ID.
  const cachedData = found && (found.bundleStamp === bundle.stamp || isThisBuild(bundle)) ? found.data : undefined;
  const script = new Script(source, { filename: BUNDLE, ...(cachedData ? { cachedData } : {}) });
  const used = cachedData && script.cachedDataRejected === false ? (userCache ? userFile : PACKAGED_CACHE) : undefined;
  const cjsModule = { exports: {} };
  script.runInThisContext()(cjsModule.exports, createRequire(BUNDLE), cjsModule, BUNDLE, __dirname);
  return { main: cjsModule.exports.main, script, cache: { used, userFile, bundle } };
}

/** The bundle's bytes and its stamp (size and modification time), read from one open file. */
function readBundle() {
  const fd = openSync(BUNDLE, constants.O_RDONLY);
  try {
    return { bytes: readFileSync(fd), stamp: stampOf(fstatSync(fd, { bigint: true })) };
  } finally {
    closeSync(fd);
  }
}

function stampOf(stat) {
  return `${stat.size}:${stat.mtimeNs}`;
}

/**
 * Whether the bundle's content is the one BUILD_ID names (as scripts/bundle-cli.mjs
 * computes it). About 4 ms with node:crypto's loading, so asked only when the stamp
 * does not already say so.
 */
function isThisBuild(bundle) {
  bundle.verified ??= require("node:crypto").createHash("sha256").update(bundle.bytes).digest("hex").slice(0, 16) === BUILD_ID;
  return bundle.verified;
}

/** A cache file's bytes: BUILD_ID and the bundle's stamp, each on a line, then V8's data. */
function cacheBytes(script, bundle = readBundle()) {
  return Buffer.concat([Buffer.from(`${BUILD_ID}\n${bundle.stamp}\n`, "latin1"), script.createCachedData()]);
}

/**
 * The V8 data of a cache file made for BUILD_ID and the stamp of the bundle it was made
 * beside, or undefined. A user cache is code this process will run, so it counts only
 * when this user owns it and nobody else may write it. Only a regular file of a cache's
 * size is read: opened without blocking, a FIFO in its place cannot hang the command,
 * nor a device or a huge file fill its memory.
 */
function readCache(file, mustBeOwn) {
  let fd;
  try {
    fd = openSync(file, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
    const stat = fstatSync(fd);
    if (!stat.isFile() || stat.size > MAX_CACHE_BYTES || (mustBeOwn && !ownedAndPrivate(stat))) return undefined;
    const bytes = readFileSync(fd);
    const idEnd = BUILD_ID.length;
    const stampEnd = bytes.indexOf(0x0a, idEnd + 1);
    if (bytes.toString("latin1", 0, idEnd) !== BUILD_ID || bytes[idEnd] !== 0x0a || stampEnd === -1 || stampEnd > idEnd + 64) return undefined;
    return { bundleStamp: bytes.toString("latin1", idEnd + 1, stampEnd), data: bytes.subarray(stampEnd + 1) };
  } catch {
    return undefined; // none yet, or unreadable: compile without
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function ownedAndPrivate(stat) {
  return (typeof process.getuid !== "function" || stat.uid === process.getuid()) && (stat.mode & 0o022) === 0;
}

/** This command's cache file in the user's cache directory, or undefined when there is none to use. */
function userCacheFile(argv, env) {
  if (env.MDEPLOY_CODE_CACHE === "off" || BUILD_ID.startsWith("__")) return undefined;
  // Per command: each one's cache holds the code it runs. `--help`, `--version` and typos get none.
  const command = argv[2];
  if (!command || !/^[a-z][a-z0-9-]{0,39}$/.test(command)) return undefined;
  let base = env.XDG_CACHE_HOME;
  if (!base || !isAbsolute(base)) {
    const home = homedir();
    if (!home || !isAbsolute(home)) return undefined;
    base = join(home, ".cache");
  }
  const file = join(base, "mdeploy", `cli-${BUILD_ID}-${process.version}-${process.arch}-${command}.v8cache`);
  // In GitLab CI, the project directory is what job caches and artifacts restore: files other
  // jobs (other branches) wrote, owned by this user all the same. No code is taken from there.
  const fromProject = env.CI_PROJECT_DIR && isAbsolute(env.CI_PROJECT_DIR) ? relative(env.CI_PROJECT_DIR, file) : "..";
  return isAbsolute(fromProject) || fromProject.split(sep)[0] === ".." ? file : undefined;
}

/**
 * Writes this run's compiled code as the command's cache: to a private temporary file,
 * then renamed into place, so a reader never sees half a file. Caches of other builds
 * go at the same time. Any failure leaves things as they were.
 */
function writeUserCache(script, file, bundle) {
  // Code compiled from a bundle that is not BUILD_ID's (patched in place) is never kept under its name.
  if (!isThisBuild(bundle)) return false;
  const dir = join(file, "..");
  const temp = `${file}.${process.pid}.tmp`;
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    writeFileSync(temp, cacheBytes(script, bundle), { mode: 0o600, flag: "wx" });
    renameSync(temp, file);
    for (const name of readdirSync(dir)) {
      if (name.startsWith("cli-") && name.endsWith(".v8cache") && !name.startsWith(`cli-${BUILD_ID}-`)) unlinkSync(join(dir, name));
    }
    return true;
  } catch (error) {
    // EEXIST: the temporary name is another process's (a dead one's with this pid): not ours to remove.
    if (error?.code === "EEXIST") return false;
    try {
      unlinkSync(temp);
    } catch {
      // nothing was written
    }
    return false;
  }
}

/**
 * `mdeploy --version` and `mdeploy --help` alone are answered from files without
 * compiling the bundle (they must start as fast as plain node): the version from
 * package.json, the help from help.txt, which the build writes from the same
 * commander program (scripts/write-help.mjs). Undefined when that is not the
 * question, or the file is missing (the bundle's commander answers then).
 */
function answerFromFiles(args) {
  if (args.length !== 1) return undefined;
  try {
    if (args[0] === "--version" || args[0] === "-V") return `${JSON.parse(readFileSync(join(__dirname, "..", "..", "package.json"), "utf8")).version}\n`;
    if (args[0] === "--help" || args[0] === "-h") return readFileSync(join(__dirname, "help.txt"), "utf8");
  } catch {
    return undefined;
  }
  return undefined;
}

function runAsBin() {
  const answer = answerFromFiles(process.argv.slice(2));
  if (answer !== undefined) {
    process.stdout.write(answer);
    return;
  }
  const { main, script, cache } = loadCli(process.argv, process.env);
  const debug = process.argv.includes("--debug");
  process.on("exit", () => {
    const written = !cache.used && cache.userFile ? writeUserCache(script, cache.userFile, cache.bundle) : false;
    if (debug) process.stderr.write(`code cache: ${cache.used ? `compiled with ${cache.used}` : "none accepted"}${written ? `; wrote ${cache.userFile}` : ""}\n`);
  });
  // Exit explicitly: a lingering keep-alive socket or timer must not keep a CI job waiting.
  main(process.argv).then(
    (code) => process.exit(code),
    (error) => {
      process.stderr.write(`mdeploy: internal error: ${String(error)}\n`);
      process.exit(70);
    },
  );
}

if (require.main === module) runAsBin();
else module.exports = { loadCli, cacheBytes, PACKAGED_CACHE };
