/**
 * The published package as a user gets it: `npm pack`, `npm install -g` of the
 * tarball into a temporary prefix, then, from a directory that has nothing to do
 * with this repository, `mdeploy init`, `render`, `demo` and a deploy to the
 * simulator the package exports, plus a strict TypeScript project importing it.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runProcess, type ProcessRun } from "./helpers/run-process.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const TSC = join(ROOT, "node_modules", "typescript", "bin", "tsc");

let work: string;
let prefix: string;
let installed: string;
let tarball: string;

// The package has no build code cache: each command writes one, here under work/, not the user's ~/.cache.
const env = () => ({ PATH: `${join(prefix, "bin")}:${process.env.PATH ?? "/usr/bin:/bin"}`, HOME: process.env.HOME ?? work, XDG_CACHE_HOME: join(work, "cache") });
const mdeploy = (args: string[], cwd: string, extra: Record<string, string> = {}): Promise<ProcessRun> =>
  runProcess(join(prefix, "bin", "mdeploy"), args, { cwd, env: { ...env(), ...extra }, timeoutMs: 120_000 });

/** Apparent size of a tree in bytes (what `du --apparent-size` counts). */
function treeBytes(dir: string): number {
  return Number(execFileSync("du", ["-sb", dir], { encoding: "utf8" }).split("\t")[0]);
}

describe("the npm package, packed and installed", () => {
  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), "mdeploy-package-"));
    prefix = join(work, "prefix");
    const packed = JSON.parse(execFileSync("npm", ["pack", "--json", "--pack-destination", work], { cwd: ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] })) as { filename: string }[];
    tarball = join(work, packed[0]?.filename ?? "");
    // --prefer-offline: the dependencies come from npm's cache when it has them (npm ci filled it);
    // only metadata it lacks is asked of the registry.
    const install = await runProcess("npm", ["install", "--global", "--prefix", prefix, tarball, "--prefer-offline", "--no-audit", "--no-fund", "--ignore-scripts"], {
      cwd: work,
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? work },
      timeoutMs: 240_000,
    });
    expect(install.code, install.stderr).toBe(0);
    installed = join(prefix, "lib", "node_modules", "mdeploy");
  }, 300_000);
  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("holds what users need and nothing from the repository's tests or sources", () => {
    const files = execFileSync("tar", ["tzf", tarball], { encoding: "utf8" }).split("\n").filter(Boolean);
    for (const file of ["package/LICENSE", "package/README.md", "package/dist/bundle/mdeploy.js", "package/dist/api/simulator.d.ts", "package/schemas/mdeploy.schema.json", "package/templates/deploy/template.yml"]) {
      expect(files).toContain(file);
    }
    expect(files.filter((f) => /\.test\.|^package\/(src|test)\//.test(f))).toEqual([]);
    // The build's code cache fits only the Node that made it: users' first runs write their own.
    expect(files).not.toContain("package/dist/bundle/mdeploy-cli.cache");
    const pkg = JSON.parse(readFileSync(join(installed, "package.json"), "utf8")) as Record<string, unknown>;
    expect(pkg).toMatchObject({ repository: { url: expect.stringMatching(/^git\+https:\/\//) }, homepage: expect.any(String), bugs: { url: expect.any(String) } });
    const tarballKb = statSync(tarball).size / 1000;
    const installedMb = treeBytes(prefix) / 1e6;
    const sdkMb = treeBytes(join(installed, "node_modules", "@aws-sdk")) / 1e6;
    console.info(`package: tarball ${tarballKb.toFixed(0)} kB, installed ${installedMb.toFixed(1)} MB (AWS SDK ${sdkMb.toFixed(1)} MB)`);
    expect(tarballKb).toBeLessThan(500);
  });

  it("from an unrelated directory: init, render, demo, and a deploy to the simulator the package exports", { timeout: 240_000 }, async () => {
    const app = join(work, "shop");
    mkdirSync(app);
    const init = await mdeploy(["init"], app);
    expect(init.code, init.stderr).toBe(0);
    expect(readFileSync(join(app, "mdeploy.yml"), "utf8")).toContain("$schema=https://unpkg.com/mdeploy@");
    const render = await mdeploy(["render", "staging", "production"], app);
    expect(render.code, render.stderr).toBe(0);
    expect(render.stdout).toContain("staging: wrote marathon_app_staging.json (/staging/shop");
    // No build cache in the package: the first render wrote the user's, the next one compiles with it.
    const again = await mdeploy(["render", "staging", "--debug"], app);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toMatch(new RegExp(`^code cache: compiled with ${join(work, "cache", "mdeploy")}/cli-[0-9a-f]{16}-${process.version}-${process.arch}-render\\.v8cache$`, "m"));

    const demo = await mdeploy(["demo", "--speed", "1000"], app);
    expect(demo.code, demo.stderr).toBe(0);
    expect(demo.stdout).toContain("staging runs registry.gitlab.example.com/demo/click-count:1.1.0 (1 healthy)");

    // A consumer project: the simulator from `mdeploy/sim`, the installed CLI deploying to it.
    mkdirSync(join(app, "node_modules"));
    symlinkSync(installed, join(app, "node_modules", "mdeploy"));
    writeFileSync(
      join(app, "deploy-to-sim.mjs"),
      `import { execFile } from "node:child_process";
import { startSimulator } from "mdeploy/sim";
const sim = await startSimulator({ speed: 400 });
try {
  const code = await new Promise((resolve) => {
    const child = execFile("mdeploy", ["deploy", "staging", "--no-image-check"], { env: { ...process.env, MARATHON_URL: sim.marathonUrl, MESOS_URL: sim.mesosUrl } }, () => undefined);
    child.stdout.pipe(process.stderr);
    child.stderr.pipe(process.stderr);
    child.on("exit", resolve);
  });
  console.log(JSON.stringify({ code, healthy: sim.state.healthyCount("/staging/shop") }));
} finally {
  await sim.close();
}
`,
    );
    const deploy = await runProcess(process.execPath, ["deploy-to-sim.mjs"], { cwd: app, env: env(), timeoutMs: 120_000 });
    expect(deploy.code, deploy.stderr).toBe(0);
    expect(JSON.parse(deploy.stdout)).toEqual({ code: 0, healthy: 1 });
  });

  it("loads the AWS SDK only where EC2 discovery runs", { timeout: 120_000 }, async () => {
    // A module-resolution hook that writes every resolved URL to a file.
    const hooks = join(work, "hooks");
    mkdirSync(hooks, { recursive: true });
    writeFileSync(
      join(hooks, "log-resolve.mjs"),
      `import { appendFileSync } from "node:fs";\nexport async function resolve(specifier, context, next) {\n  const result = await next(specifier, context);\n  appendFileSync(process.env.MODULE_LOG, result.url + "\\n");\n  return result;\n}\n`,
    );
    writeFileSync(join(hooks, "register.mjs"), `import { register } from "node:module";\nregister("./log-resolve.mjs", import.meta.url);\n`);
    // The bundle is CommonJS: what it requires is resolved by Module._resolveFilename, which ES module hooks do not see.
    writeFileSync(
      join(hooks, "log-require.cjs"),
      `const Module = require("node:module");\nconst { appendFileSync } = require("node:fs");\nconst resolve = Module._resolveFilename;\nModule._resolveFilename = function (...args) {\n  const file = resolve.apply(this, args);\n  appendFileSync(process.env.MODULE_LOG, file + "\\n");\n  return file;\n};\n`,
    );
    const loaded = async (name: string, args: string[], cwd: string): Promise<string[]> => {
      const log = join(hooks, `${name}.log`);
      writeFileSync(log, "");
      await runProcess(process.execPath, ["--import", join(hooks, "register.mjs"), "--require", join(hooks, "log-require.cjs"), join(installed, "dist", "bundle", "mdeploy.js"), ...args], {
        cwd,
        env: { ...env(), MODULE_LOG: log, AWS_ACCESS_KEY_ID: "test", AWS_SECRET_ACCESS_KEY: "test" },
        timeoutMs: 60_000,
      });
      return readFileSync(log, "utf8").split("\n").filter((url) => url.includes("/node_modules/@aws-sdk/"));
    };
    const app = join(work, "shop");
    expect(await loaded("render", ["render", "staging"], app)).toEqual([]);
    expect(await loaded("deploy", ["deploy", "staging", "--no-image-check", "--dotenv", ""], app)).toEqual([]);
    // EC2 discovery does load it (nothing answers on port 1, so the run ends at once).
    const zk = join(work, "zk");
    mkdirSync(zk);
    const ec2 = ["zk-id", "--ec2-tag", "role=zk", "--aws-region", "us-east-1", "--aws-endpoint", "http://127.0.0.1:1", "--imds-endpoint", "http://127.0.0.1:1", "--address", "10.0.0.1"];
    expect(await loaded("zk-id", [...ec2, "--data-dir", join(zk, "data"), "--conf-dir", join(zk, "conf"), "--wait-timeout", "1"], zk)).not.toEqual([]);
  });

  it("a strict TypeScript project imports the simulator and its types; nothing else is exported", { timeout: 120_000 }, async () => {
    const consumer = join(work, "consumer");
    mkdirSync(join(consumer, "node_modules"), { recursive: true });
    symlinkSync(installed, join(consumer, "node_modules", "mdeploy"));
    symlinkSync(join(ROOT, "node_modules", "@types"), join(consumer, "node_modules", "@types"));
    writeFileSync(join(consumer, "package.json"), JSON.stringify({ type: "module" }));
    writeFileSync(
      join(consumer, "tsconfig.json"),
      JSON.stringify({ compilerOptions: { strict: true, module: "NodeNext", moduleResolution: "NodeNext", target: "ES2022", noEmit: true, types: ["node"], skipLibCheck: false, exactOptionalPropertyTypes: true, noUncheckedIndexedAccess: true } }),
    );
    writeFileSync(
      join(consumer, "check.ts"),
      `import { startSimulator, defaultCluster, type ClusterSpec, type Simulator, type SimulatorOptions, type Task } from "mdeploy/sim";
const cluster: ClusterSpec = defaultCluster();
const options: SimulatorOptions = { cluster, seed: 7, speed: 0 };
const sim: Simulator = await startSimulator(options);
const tasks: Task[] = sim.state.tasks("/x");
console.log(tasks.length, sim.marathonUrl.startsWith("http://"));
// Typed, not any: an unused expectation would itself be an error.
// @ts-expect-error speed is a number
export const wrong: SimulatorOptions = { speed: "fast" };
await sim.close();
`,
    );
    const tsc = await runProcess(process.execPath, [TSC, "-p", "."], { cwd: consumer, env: env(), timeoutMs: 120_000 });
    expect(tsc.code, tsc.stdout + tsc.stderr).toBe(0);

    writeFileSync(join(consumer, "deep.mjs"), `await import("mdeploy/dist/deploy/deploy-app.js");\n`);
    const deep = await runProcess(process.execPath, ["deep.mjs"], { cwd: consumer, env: env(), timeoutMs: 30_000 });
    expect(deep.code).not.toBe(0);
    expect(deep.stderr).toContain("ERR_PACKAGE_PATH_NOT_EXPORTED");
  });
});
