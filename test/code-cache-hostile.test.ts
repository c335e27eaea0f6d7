/**
 * The code cache (scripts/cli-loader.cjs) against what a hostile user or an unlucky
 * operator brings: a bundle patched in place, a cache from another build, a FIFO where
 * the cache should be, a cache directory CI restores from other jobs, a build machine's
 * NODE_OPTIONS, concurrent first runs, signals and failures during the first run, and
 * secrets. V8 checks a cache against the source's length only and runs whatever
 * bytecode it holds, so the loader alone decides which cache is trusted.
 */
import { createHash } from "node:crypto";
import { execFileSync } from "node:child_process";
import { chownSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { UncheckedMarathonEvent } from "../src/marathon/types.js";
import { defaultCluster, startSimulator, type Simulator } from "../src/sim/index.js";
import { clickCountTemplate } from "./helpers/cli-project.js";
import { CLI_PATH } from "./helpers/run-cli.js";
import { runProcess, type ProcessRun, type RunProcessOptions } from "./helpers/run-process.js";

const BUNDLE_DIR = join(CLI_PATH, "..");
const ROOT = join(BUNDLE_DIR, "..", "..");
/** The line render prints for each artifact, as the bundle spells it; tests patch it to see which code ran. */
const WROTE = ": wrote ${file} (";
const PATCHED = ": WROTE ${file} (";

let work: string;
let project: string;
let sim: Simulator | undefined;
let count = 0;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), "mdeploy-code-cache-hostile-"));
  project = join(work, "project");
  mkdirSync(project);
  writeFileSync(join(project, "mdeploy.yml"), "defaults:\n  template: app.json.hbs\nenvironments:\n  staging:\n    values: staging.yml\n");
  writeFileSync(join(project, "staging.yml"), "image: registry.example.com/demo/app:1.0.0\n");
  writeFileSync(join(project, "app.json.hbs"), '{ "id": "/staging/app", "instances": 1, "cpus": 0.1, "mem": 64, "container": { "type": "DOCKER", "docker": { "image": {{json image}} } } }\n');
});

afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

/** The package as npm installs it (no build cache unless asked); its `bin`. */
function install(options: { buildCache?: boolean } = {}): string {
  const root = join(work, `package-${++count}`);
  mkdirSync(join(root, "dist", "bundle"), { recursive: true });
  cpSync(join(ROOT, "package.json"), join(root, "package.json"));
  const files = ["mdeploy.js", "mdeploy-cli.js", "package.json", "help.txt", ...(options.buildCache ? ["mdeploy-cli.cache"] : [])];
  for (const file of files) cpSync(join(BUNDLE_DIR, file), join(root, "dist", "bundle", file));
  return join(root, "dist", "bundle", "mdeploy.js");
}

const fresh = (name: string) => join(work, `${name}-${++count}`);

function mdeploy(bin: string, args: string[], cacheHome: string | undefined, extra: Record<string, string> = {}, options: Partial<RunProcessOptions> = {}): Promise<ProcessRun> {
  const env: Record<string, string> = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: join(work, "home"), ...(cacheHome ? { XDG_CACHE_HOME: cacheHome } : {}), ...extra };
  return runProcess(process.execPath, [bin, ...args], { cwd: project, timeoutMs: 30_000, ...options, env });
}

const cacheLine = (run: ProcessRun) => run.stderr.split("\n").find((line) => line.startsWith("code cache: ")) ?? "";
const text = (run: ProcessRun) => run.stdout + run.stderr;

/** Changes one message of the bundle without changing its length, as `sed -i` on an installed copy would. */
function patchBundle(bin: string): void {
  const file = join(bin, "..", "mdeploy-cli.js");
  const source = readFileSync(file, "latin1");
  expect(source.split(WROTE)).toHaveLength(2);
  writeFileSync(file, source.replace(WROTE, PATCHED), "latin1");
}

/** Gives the loader the BUILD_ID of its (patched) bundle: a consistent build of other code with the same length. */
function renameBuild(bin: string): string {
  const id = createHash("sha256").update(readFileSync(join(bin, "..", "mdeploy-cli.js"))).digest("hex").slice(0, 16);
  const loader = readFileSync(bin, "utf8");
  expect(loader).toMatch(/const BUILD_ID = "[0-9a-f]{16}"/);
  writeFileSync(bin, loader.replace(/const BUILD_ID = "[0-9a-f]{16}"/, `const BUILD_ID = "${id}"`));
  return id;
}

const onlyFile = (dir: string) => {
  const names = readdirSync(dir);
  expect(names).toHaveLength(1);
  return join(dir, names[0] ?? "");
};

describe("the code cache never runs code other than the bundle's", () => {
  it("a bundle patched in place (same length) runs as patched, with the build's cache and with a user cache", async () => {
    const built = install({ buildCache: true });
    patchBundle(built);
    const withBuildCache = await mdeploy(built, ["render", "staging", "--debug"], fresh("cache"), { MDEPLOY_CODE_CACHE: "off" });
    expect(withBuildCache.code, withBuildCache.stderr).toBe(0);
    expect(text(withBuildCache)).toContain(": WROTE marathon_app_staging.json (");

    const installed = install();
    const cacheHome = fresh("cache");
    const first = await mdeploy(installed, ["render", "staging"], cacheHome);
    expect(first.code, first.stderr).toBe(0);
    expect(text(first)).toContain(": wrote marathon_app_staging.json (");
    const cache = onlyFile(join(cacheHome, "mdeploy"));
    patchBundle(installed);
    const patched = await mdeploy(installed, ["render", "staging", "--debug"], cacheHome);
    expect(patched.code, patched.stderr).toBe(0);
    expect(text(patched)).toContain(": WROTE marathon_app_staging.json (");
    expect(cacheLine(patched)).toBe("code cache: none accepted");
    // The cache of the bundle as built stays, and none is written for the patched one.
    expect(readdirSync(join(cacheHome, "mdeploy"))).toEqual([cache.slice(cacheHome.length + "/mdeploy/".length)]);
  });

  it("a cache made by another build whose bundle has the same length is not used", async () => {
    const bin = install({ buildCache: true });
    // A user cache of the build as it was, for the same command.
    const cacheHome = fresh("cache");
    const seed = await mdeploy(install(), ["render", "staging"], cacheHome);
    expect(seed.code, seed.stderr).toBe(0);
    const oldCache = onlyFile(join(cacheHome, "mdeploy"));

    patchBundle(bin);
    const id = renameBuild(bin);
    // The build's cache left from the other build.
    const packaged = await mdeploy(bin, ["render", "staging", "--debug"], fresh("cache"), { MDEPLOY_CODE_CACHE: "off" });
    expect(packaged.code, packaged.stderr).toBe(0);
    expect(text(packaged)).toContain(": WROTE marathon_app_staging.json (");
    expect(cacheLine(packaged)).toBe("code cache: none accepted");

    // The other build's user cache under this build's name (a copy, a restore, a rename).
    const renamed = oldCache.replace(/cli-[0-9a-f]{16}-/, `cli-${id}-`);
    cpSync(oldCache, renamed);
    rmSync(join(bin, "..", "mdeploy-cli.cache"));
    const user = await mdeploy(bin, ["render", "staging", "--debug"], cacheHome);
    expect(user.code, user.stderr).toBe(0);
    expect(text(user)).toContain(": WROTE marathon_app_staging.json (");
    expect(cacheLine(user)).toBe(`code cache: none accepted; wrote ${renamed}`);
    const again = await mdeploy(bin, ["render", "staging", "--debug"], cacheHome);
    expect(cacheLine(again)).toBe(`code cache: compiled with ${renamed}`);
    expect(text(again)).toContain(": WROTE marathon_app_staging.json (");
  });

  it("in GitLab CI, a cache directory inside the project (which job caches and artifacts restore) is neither read nor written", async () => {
    const bin = install();
    const ciProject = join(work, `ci-project-${++count}`);
    cpSync(project, ciProject, { recursive: true });
    const cacheHome = join(ciProject, ".cache");
    // A cache another job left there: valid for this bundle, owned by this user (as restored files are), its code changed.
    const seed = await mdeploy(bin, ["render", "staging"], cacheHome, {}, { cwd: ciProject });
    expect(seed.code, seed.stderr).toBe(0);
    const cache = onlyFile(join(cacheHome, "mdeploy"));
    const bytes = readFileSync(cache);
    const at = bytes.indexOf(": wrote ");
    expect(at).toBeGreaterThan(0);
    bytes.write(": PWNED ", at, "latin1");
    writeFileSync(cache, bytes);

    const ci = { CI: "true", GITLAB_CI: "true", CI_PROJECT_DIR: ciProject };
    const run = await mdeploy(bin, ["render", "staging", "--debug"], cacheHome, ci, { cwd: ciProject });
    expect(run.code, run.stderr).toBe(0);
    expect(text(run)).toContain(": wrote marathon_app_staging.json (");
    expect(text(run)).not.toContain("PWNED");
    expect(cacheLine(run)).toBe("code cache: none accepted");
    // With the paths written differently.
    const spelled = await mdeploy(bin, ["render", "staging", "--debug"], `${ciProject}/./.cache`, { ...ci, CI_PROJECT_DIR: `${ciProject}/` }, { cwd: ciProject });
    expect(text(spelled)).not.toContain("PWNED");
    expect(cacheLine(spelled)).toBe("code cache: none accepted");
    expect(readdirSync(join(cacheHome, "mdeploy"))).toEqual([cache.slice(cacheHome.length + "/mdeploy/".length)]);

    // Outside the project, CI or not, the user cache works as before.
    const home = fresh("cache");
    const outside = await mdeploy(bin, ["render", "staging", "--debug"], home, ci, { cwd: ciProject });
    expect(cacheLine(outside)).toMatch(/^code cache: none accepted; wrote /);
  });

  it.runIf(process.getuid?.() === 0)("a valid cache owned by another user, or reached through a symlink to one, is not used", async () => {
    const bin = install();
    const cacheHome = fresh("cache");
    const seed = await mdeploy(bin, ["render", "staging"], cacheHome);
    expect(seed.code, seed.stderr).toBe(0);
    const cache = onlyFile(join(cacheHome, "mdeploy"));
    const foreign = join(work, `foreign-${++count}.v8cache`);
    cpSync(cache, foreign);
    chownSync(foreign, 4242, 4242);
    rmSync(cache);
    symlinkSync(foreign, cache);
    const run = await mdeploy(bin, ["render", "staging", "--debug"], cacheHome);
    expect(run.code, run.stderr).toBe(0);
    expect(cacheLine(run)).toBe(`code cache: none accepted; wrote ${cache}`);
    // The symlink was replaced by this user's own file; the other user's file is untouched.
    expect(statSync(cache).uid).toBe(0);
    expect(statSync(foreign).uid).toBe(4242);
  });
});

describe("the code cache never changes what a command does", () => {
  it("a FIFO where a cache should be does not hang the command", async () => {
    const bin = install();
    const cacheHome = fresh("cache");
    mkdirSync(join(cacheHome, "mdeploy"), { recursive: true, mode: 0o700 });
    const seedHome = fresh("cache");
    const seed = await mdeploy(bin, ["render", "staging"], seedHome);
    const name = onlyFile(join(seedHome, "mdeploy")).slice(seedHome.length + "/mdeploy/".length);
    const fifo = join(cacheHome, "mdeploy", name);
    execFileSync("mkfifo", ["-m", "600", fifo]);
    const run = await mdeploy(bin, ["render", "staging", "--debug"], cacheHome, {}, { timeoutMs: 15_000 });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toBe(seed.stdout);
    expect(cacheLine(run)).toBe(`code cache: none accepted; wrote ${fifo}`);
    expect(statSync(fifo).isFile()).toBe(true);

    // The build's cache as a FIFO.
    execFileSync("mkfifo", ["-m", "644", join(bin, "..", "mdeploy-cli.cache")]);
    const packaged = await mdeploy(bin, ["render", "staging", "--debug"], undefined, { MDEPLOY_CODE_CACHE: "off" }, { timeoutMs: 15_000 });
    expect(packaged.code, packaged.stderr).toBe(0);
    expect(cacheLine(packaged)).toBe("code cache: none accepted");
  });

  it("concurrent first runs of one command all succeed alike and leave one cache, no temporary files", async () => {
    const bin = install();
    const cacheHome = fresh("cache");
    const runs = await Promise.all([1, 2, 3, 4].map(() => mdeploy(bin, ["render", "staging", "--json"], cacheHome)));
    for (const run of runs) {
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toBe(runs[0]?.stdout);
    }
    const cache = onlyFile(join(cacheHome, "mdeploy"));
    expect(cache).toMatch(/-render\.v8cache$/);
    const next = await mdeploy(bin, ["render", "staging", "--debug"], cacheHome);
    expect(cacheLine(next)).toBe(`code cache: compiled with ${cache}`);
  });

  it("failures on the first run keep exit codes and one JSON document on stdout, and still write the cache", async () => {
    const bin = install();
    const cacheHome = fresh("cache");
    const usage = await mdeploy(bin, ["render", "nowhere", "--json", "--debug"], cacheHome);
    expect(usage.code).toBe(2);
    expect(JSON.parse(usage.stdout)).toMatchObject({ ok: false, exitCode: 2 });
    expect(cacheLine(usage)).toMatch(/^code cache: none accepted; wrote .*-render\.v8cache$/);
    // Marathon not there: a closed loopback port.
    const unreachable = await mdeploy(bin, ["status", "staging", "--json"], cacheHome, { MARATHON_URL: "http://127.0.0.1:9", MESOS_URL: "http://127.0.0.1:9" });
    const document = JSON.parse(unreachable.stdout) as { exitCode: number };
    expect(unreachable.code).toBe(document.exitCode);
    expect(unreachable.code).not.toBe(0);
    const off = await mdeploy(bin, ["status", "staging", "--json"], cacheHome, { MARATHON_URL: "http://127.0.0.1:9", MESOS_URL: "http://127.0.0.1:9", MDEPLOY_CODE_CACHE: "off" });
    expect(off.code).toBe(unreachable.code);
    expect(readdirSync(join(cacheHome, "mdeploy")).sort().map((n) => n.replace(/^.*-/, ""))).toEqual(["render.v8cache", "status.v8cache"]);
    // stdout a closed pipe: the exit code is the command's.
    const closed = await runProcess("/bin/sh", ["-c", `"${process.execPath}" "${bin}" render staging --json --debug >&-; echo "exit $?" >&2`], { cwd: project, env: { PATH: process.env.PATH ?? "", HOME: join(work, "home"), XDG_CACHE_HOME: fresh("cache") }, timeoutMs: 30_000 });
    expect(closed.stderr).toContain("exit 0");
  });

  it("a deploy interrupted on its first run (SIGTERM, then a second) exits as the command says, with one JSON document", { timeout: 60_000 }, async () => {
    sim = await startSimulator({ cluster: defaultCluster(), speed: 100 });
    const dir = join(work, `deploy-${++count}`);
    mkdirSync(dir);
    writeFileSync(join(dir, "mdeploy.yml"), "environments:\n  staging:\n    template: app.json.hbs\n");
    writeFileSync(join(dir, "app.json.hbs"), clickCountTemplate());
    const bin = install();
    const env = (tag: string) => ({ MARATHON_URL: sim?.marathonUrl ?? "", MESOS_URL: sim?.mesosUrl ?? "", CI_COMMIT_TAG: tag });
    const first = await mdeploy(bin, ["staging", "--no-image-check", "--dotenv", ""], fresh("cache"), env("1.0.0"), { cwd: dir });
    expect(first.code, first.stderr).toBe(0);

    for (const signals of [["SIGTERM"], ["SIGTERM", "SIGTERM"]] as const) {
      const cacheHome = fresh("cache");
      const onStart: RunProcessOptions["onStart"] = (child) => {
        const stop = sim?.onEvent((event: UncheckedMarathonEvent) => {
          if (event.eventType !== "deployment_info") return;
          const app = sim?.state.app("/staging/click-count") as { container: { docker: { image: string } } } | undefined;
          if (!app?.container.docker.image.endsWith(":slow")) return;
          stop?.();
          for (const signal of signals) child.kill(signal);
        });
      };
      const run = await mdeploy(bin, ["staging", "--no-image-check", "--dotenv", "", "--json", "--debug"], cacheHome, env("slow"), { cwd: dir, onStart, timeoutMs: 45_000 });
      expect(run.stderr).toContain("SIGTERM received");
      expect([1, 5], run.stderr).toContain(run.code);
      const document = JSON.parse(run.stdout) as { exitCode?: number };
      if (document.exitCode !== undefined) expect(document.exitCode).toBe(run.code);
      expect(cacheLine(run)).toMatch(/^code cache: none accepted; wrote .*-staging\.v8cache$/);
    }
  });

  it("--version, -V, --help, -h answer as the unbundled program does, with help.txt or package.json missing too", async () => {
    const bin = install();
    const unbundled = join(ROOT, "dist", "cli", "main.js");
    const cases = [["--version"], ["-V"], ["--help"], ["-h"], ["--help", "--json"], ["render", "--help"], ["-V", "--json"], ["help"]];
    const expected = await Promise.all(cases.map((args) => mdeploy(unbundled, args, undefined)));
    const check = async () => {
      for (const [i, args] of cases.entries()) {
        const run = await mdeploy(bin, args, fresh("cache"));
        expect({ args, code: run.code, stdout: run.stdout }).toEqual({ args, code: expected[i]?.code, stdout: expected[i]?.stdout });
      }
    };
    await check();
    rmSync(join(bin, "..", "help.txt"));
    await check();
    // No package.json: the bundle fails to read the version as the unbundled program would.
    rmSync(join(bin, "..", "..", "..", "package.json"));
    const version = await mdeploy(bin, ["--version"], undefined);
    expect(version.code).toBe(70);
    expect(version.stdout).toBe("");
  });

  it("with HOME empty or relative and no XDG_CACHE_HOME, runs without a cache", async () => {
    const bin = install();
    // (Unset, HOME is the passwd entry's: a real home, not for a test to write in.)
    for (const home of ["", "relative/home"]) {
      const env: Record<string, string> = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: home };
      const run = await runProcess(process.execPath, [bin, "render", "staging", "--json", "--debug"], { cwd: project, env, timeoutMs: 30_000 });
      expect(run.code, run.stderr).toBe(0);
      expect(JSON.parse(run.stdout)).toMatchObject({ artifacts: [{ environment: "staging" }] });
      expect(cacheLine(run)).toBe("code cache: none accepted");
    }
    expect(existsSync(join(project, "relative"))).toBe(false);
  });
});

describe("secrets never reach a cache", () => {
  it("render, deploy, status, plan and history with secret variables, Marathon credentials and tokens write caches without them", { timeout: 60_000 }, async () => {
    sim = await startSimulator({ cluster: defaultCluster(), speed: 1000 });
    const dir = join(work, `secrets-${++count}`);
    mkdirSync(dir);
    writeFileSync(join(dir, "mdeploy.yml"), "environments:\n  staging:\n    template: app.json.hbs\n    values: staging.yml\n    secrets: [REDIS_PASSWORD]\n");
    writeFileSync(join(dir, "staging.yml"), "image: registry.example.com/demo/app:1.0.0\n");
    writeFileSync(
      join(dir, "app.json.hbs"),
      '{ "id": "/staging/app", "instances": 1, "cpus": 0.1, "mem": 64, "container": { "type": "DOCKER", "docker": { "image": {{json image}} } }, "env": { "REDIS": {{json env.REDIS_PASSWORD}}, "REDIS_URL": "redis://:{{str env.REDIS_PASSWORD}}@redis", "TOKEN": {{json env.APP_TOKEN}} } }\n',
    );
    const secrets = {
      REDIS_PASSWORD: "RedisSecretXyZ42q",
      APP_TOKEN: "AppTokenSecretQq9w",
      MARATHON_USERNAME: "ops",
      MARATHON_PASSWORD: "MarathonSecretWw3e",
      GITLAB_TOKEN: "GitlabTokenSecretRr8t",
      DEPLOY_SECRET: "DeploySecretTt5y",
    };
    const bin = install();
    const cacheHome = fresh("cache");
    const env = { ...secrets, MARATHON_URL: sim.marathonUrl.replace("http://", "http://ops:UrlSecretEe5u@"), MESOS_URL: sim.mesosUrl };
    for (const args of [["render", "staging"], ["deploy", "staging", "--no-image-check", "--dotenv", ""], ["status", "staging"], ["plan", "staging"], ["history", "staging"]]) {
      const run = await mdeploy(bin, args, cacheHome, env, { cwd: dir });
      expect(run.code, `${args.join(" ")}\n${run.stderr}`).toBe(0);
    }
    const caches = readdirSync(join(cacheHome, "mdeploy"));
    expect(caches.map((n) => n.replace(/^.*-/, "")).sort()).toEqual(["deploy.v8cache", "history.v8cache", "plan.v8cache", "render.v8cache", "status.v8cache"]);
    const values = [...Object.values(secrets).filter((v) => v !== "ops"), "UrlSecretEe5u", Buffer.from("ops:MarathonSecretWw3e").toString("base64"), Buffer.from("ops:UrlSecretEe5u").toString("base64")];
    for (const name of caches) {
      const bytes = readFileSync(join(cacheHome, "mdeploy", name));
      for (const value of values) {
        for (const encoding of ["utf8", "utf16le"] as const) expect(bytes.includes(Buffer.from(value, encoding)), `${name}: ${value} (${encoding})`).toBe(false);
      }
    }
  });
});

describe("the build's cache", () => {
  it("is made the same whatever NODE_OPTIONS and CI variables the building machine has, and leaves nothing behind", { timeout: 120_000 }, async () => {
    const tree = join(work, "build-tree");
    mkdirSync(join(tree, "scripts"), { recursive: true });
    cpSync(join(ROOT, "dist"), join(tree, "dist"), { recursive: true, filter: (src) => !src.startsWith(BUNDLE_DIR) });
    for (const file of ["package.json", "scripts/bundle-cli.mjs", "scripts/cli-loader.cjs"]) cpSync(join(ROOT, file), join(tree, file));
    cpSync(join(ROOT, "schemas"), join(tree, "schemas"), { recursive: true });
    symlinkSync(join(ROOT, "node_modules"), join(tree, "node_modules"));
    const before = readdirSync(tree).sort();
    const trainDirs = () => readdirSync(tmpdir()).filter((n) => n.startsWith("mdeploy-train-"));
    const trainBefore = trainDirs();
    const ci = { CI: "true", CI_COMMIT_SHA: "c0ffee1234deadbeefc0ffee1234deadbeefc0fe", CI_REGISTRY_IMAGE: "registry.example.com/leaked/image", TRAIN_SECRET: "TrainSecretPp1o" };
    const build = await runProcess(process.execPath, [join(tree, "scripts", "bundle-cli.mjs")], {
      cwd: tree,
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: join(work, "home"), NODE_OPTIONS: "--max-old-space-size=2048", ...ci },
      timeoutMs: 110_000,
    });
    expect(build.code, build.stderr).toBe(0);
    expect(readdirSync(tree).sort()).toEqual(before);
    expect(trainDirs()).toEqual(trainBefore);
    const cache = join(tree, "dist", "bundle", "mdeploy-cli.cache");
    const bytes = readFileSync(cache);
    for (const value of Object.values(ci).slice(1)) expect(bytes.includes(Buffer.from(value)), value).toBe(false);
    // Run as the toolkit image and a clone run it: no NODE_OPTIONS.
    const run = await mdeploy(join(tree, "dist", "bundle", "mdeploy.js"), ["render", "staging", "--debug"], fresh("cache"));
    expect(run.code, run.stderr).toBe(0);
    expect(cacheLine(run)).toBe(`code cache: compiled with ${cache}`);
  });
});
