/**
 * The package's `bin` (scripts/cli-loader.cjs, built into dist/bundle/mdeploy.js)
 * compiles the bundle with a V8 code cache. A cache is only ever a speed-up:
 * these tests hold that every cache it could meet (the build's, a user's, none,
 * a damaged one, one somebody else could have written) leaves what a command
 * does and prints unchanged, and that it only ever runs code from a cache made
 * for this very bundle by this user.
 */
import { chmodSync, cpSync, utimesSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI_PATH } from "./helpers/run-cli.js";
import { runProcess, type ProcessRun } from "./helpers/run-process.js";

const BUNDLE_DIR = join(CLI_PATH, "..");
let work: string;
let packageCopy: string;
let project: string;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), "mdeploy-code-cache-"));
  // The package as npm installs it: the bundle two levels below package.json, no build cache.
  packageCopy = join(work, "package");
  mkdirSync(join(packageCopy, "dist", "bundle"), { recursive: true });
  cpSync(join(BUNDLE_DIR, "..", "..", "package.json"), join(packageCopy, "package.json"));
  for (const file of ["mdeploy.js", "mdeploy-cli.js", "package.json", "help.txt"]) cpSync(join(BUNDLE_DIR, file), join(packageCopy, "dist", "bundle", file));
  project = join(work, "project");
  mkdirSync(project);
  writeFileSync(join(project, "mdeploy.yml"), "defaults:\n  template: app.json.hbs\nenvironments:\n  staging:\n    values: staging.yml\n");
  writeFileSync(join(project, "staging.yml"), "image: registry.example.com/demo/app:1.0.0\n");
  writeFileSync(join(project, "app.json.hbs"), '{ "id": "/staging/app", "instances": 1, "cpus": 0.1, "mem": 64, "container": { "type": "DOCKER", "docker": { "image": {{json image}} } } }\n');
});

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

function mdeploy(bin: string, args: string[], cacheHome: string, extra: Record<string, string> = {}): Promise<ProcessRun> {
  return runProcess(process.execPath, [bin, ...args], { cwd: project, env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: join(work, "home"), XDG_CACHE_HOME: cacheHome, ...extra }, timeoutMs: 60_000 });
}

const installedBin = () => join(packageCopy, "dist", "bundle", "mdeploy.js");
const cacheLine = (run: ProcessRun) => run.stderr.split("\n").find((line) => line.startsWith("code cache: ")) ?? "";

describe("the code cache", () => {
  it("where mdeploy was built, compiles with the build's cache and writes nothing", async () => {
    const cacheHome = join(work, "built-home-cache");
    const run = await mdeploy(CLI_PATH, ["render", "staging", "--debug"], cacheHome);
    expect(run.code, run.stderr).toBe(0);
    expect(cacheLine(run)).toBe(`code cache: compiled with ${join(BUNDLE_DIR, "mdeploy-cli.cache")}`);
    expect(existsSync(cacheHome)).toBe(false);
    // The bundle is the file the cache was made beside, so it is not hashed: node:crypto (4 ms) stays unloaded.
    const probe = join(work, "crypto-probe.cjs");
    writeFileSync(probe, 'process.on("exit", () => process.stderr.write(`crypto loaded: ${process.moduleLoadList.includes("NativeModule crypto")}\\n`));\n');
    const probed = await runProcess(process.execPath, ["--require", probe, CLI_PATH, "render", "staging"], { cwd: project, env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: join(work, "home"), XDG_CACHE_HOME: cacheHome }, timeoutMs: 60_000 });
    expect(probed.code, probed.stderr).toBe(0);
    expect(probed.stderr).toContain("crypto loaded: false");
  });

  it("from the npm package, writes the command's cache on its first run, privately, and compiles with it after", async () => {
    const cacheHome = join(work, "user-cache");
    const first = await mdeploy(installedBin(), ["render", "staging", "--debug"], cacheHome);
    expect(first.code, first.stderr).toBe(0);
    const dir = join(cacheHome, "mdeploy");
    const [file, ...others] = readdirSync(dir);
    expect(others).toEqual([]);
    expect(file).toMatch(new RegExp(`^cli-[0-9a-f]{16}-${process.version.replace(/\./g, "\\.")}-${process.arch}-render\\.v8cache$`));
    expect(cacheLine(first)).toBe(`code cache: none accepted; wrote ${join(dir, file ?? "")}`);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(join(dir, file ?? "")).mode & 0o777).toBe(0o600);

    const second = await mdeploy(installedBin(), ["render", "staging", "--debug"], cacheHome);
    expect(second.code, second.stderr).toBe(0);
    expect(cacheLine(second)).toBe(`code cache: compiled with ${join(dir, file ?? "")}`);
    // Same result with the cache as without one.
    const without = await mdeploy(installedBin(), ["render", "staging"], cacheHome, { MDEPLOY_CODE_CACHE: "off" });
    expect(without.code, without.stderr).toBe(0);
    expect(second.stdout).toBe(without.stdout);
    expect(readdirSync(dir)).toEqual([file]);
  });

  it("a bundle whose file time changed but whose content did not (a copy, a touch) still gets its cache, once its hash says it is this build", async () => {
    const cacheHome = join(work, "touched-cache");
    const first = await mdeploy(installedBin(), ["render", "staging"], cacheHome);
    expect(first.code, first.stderr).toBe(0);
    const later = new Date(Date.now() + 60_000);
    utimesSync(join(packageCopy, "dist", "bundle", "mdeploy-cli.js"), later, later);
    const touched = await mdeploy(installedBin(), ["render", "staging", "--debug"], cacheHome);
    expect(touched.code, touched.stderr).toBe(0);
    expect(cacheLine(touched)).toMatch(/^code cache: compiled with .*-render\.v8cache$/);
    expect(touched.stdout).toBe(first.stdout);
  });

  it("rejects a damaged cache and one others could have written, and replaces them; the command is unaffected", async () => {
    const cacheHome = join(work, "hostile-cache");
    const first = await mdeploy(installedBin(), ["render", "staging"], cacheHome);
    expect(first.code, first.stderr).toBe(0);
    const dir = join(cacheHome, "mdeploy");
    const file = join(dir, readdirSync(dir)[0] ?? "");
    const good = readFileSync(file);

    writeFileSync(file, good.subarray(0, good.length >> 1));
    const truncated = await mdeploy(installedBin(), ["render", "staging", "--debug"], cacheHome);
    expect(truncated.code, truncated.stderr).toBe(0);
    expect(cacheLine(truncated)).toBe(`code cache: none accepted; wrote ${file}`);
    expect(truncated.stdout).toBe(first.stdout);

    // Group- or world-writable: somebody else could have put code there, so it is not even read.
    chmodSync(file, 0o666);
    const shared = await mdeploy(installedBin(), ["render", "staging", "--debug"], cacheHome);
    expect(shared.code, shared.stderr).toBe(0);
    expect(cacheLine(shared)).toBe(`code cache: none accepted; wrote ${file}`);
    expect(statSync(file).mode & 0o777).toBe(0o600);

    // Another build's caches go when this one writes its own.
    const stale = join(dir, `cli-0123456789abcdef-${process.version}-${process.arch}-status.v8cache`);
    writeFileSync(stale, "old", { mode: 0o600 });
    const help = await mdeploy(installedBin(), ["help", "render"], cacheHome);
    expect(help.code, help.stderr).toBe(0);
    expect(existsSync(stale)).toBe(false);
    expect(readdirSync(dir).sort()).toEqual([file.slice(dir.length + 1), file.slice(dir.length + 1).replace("-render.", "-help.")].sort());
  });

  it("with no usable cache directory, or MDEPLOY_CODE_CACHE=off, runs as before and keeps stdout one JSON document", async () => {
    const notADir = join(work, "a-file");
    writeFileSync(notADir, "");
    const blocked = await mdeploy(installedBin(), ["render", "staging", "--json", "--debug"], notADir);
    expect(blocked.code, blocked.stderr).toBe(0);
    expect(cacheLine(blocked)).toBe("code cache: none accepted");
    expect(JSON.parse(blocked.stdout)).toMatchObject({ artifacts: [{ environment: "staging" }] });

    const off = await mdeploy(installedBin(), ["render", "staging", "--json", "--debug"], join(work, "off-cache"), { MDEPLOY_CODE_CACHE: "off" });
    expect(off.code, off.stderr).toBe(0);
    expect(cacheLine(off)).toBe("code cache: none accepted");
    expect(existsSync(join(work, "off-cache"))).toBe(false);
    expect(JSON.parse(off.stdout)).toEqual(JSON.parse(blocked.stdout));

    // --version and --help answer without writing a cache for a "command" they are not.
    const version = await mdeploy(installedBin(), ["--version"], join(work, "version-cache"));
    expect(version.code).toBe(0);
    expect(existsSync(join(work, "version-cache"))).toBe(false);
  });
});
