/**
 * The toolkit image, built without a Docker engine: the Dockerfile is replayed stage by
 * stage into temporary directories. Each COPY brings exactly the files the build context
 * holds after .dockerignore, each RUN runs (with the stage's WORKDIR and ENV, absolute image
 * paths mapped into the stage's directory), and the result must answer `mdeploy --version`
 * and `mdeploy runner-health --help`. What it cannot check: the base image's own contents
 * (Alpine, musl) and USER; the recipe's Node version is checked against `engines`.
 */
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, statSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildContextFiles, instructions, type Instruction } from "./helpers/dockerfile.js";
import { runProcess } from "./helpers/run-process.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const dockerfile = readFileSync(join(ROOT, "Dockerfile"), "utf8");
const dockerignore = readFileSync(join(ROOT, ".dockerignore"), "utf8");
const all = instructions(dockerfile);

interface Stage {
  name: string;
  from: string;
  steps: Instruction[];
}

/** Stages in file order, with ARG defaults substituted in FROM. */
function stages(): Stage[] {
  const args = new Map<string, string>();
  const result: Stage[] = [];
  for (const step of all) {
    if (step.keyword === "ARG" && result.length === 0) {
      const [name = "", value = ""] = step.args.split("=");
      args.set(name, value);
    } else if (step.keyword === "FROM") {
      const [image = "", , name = ""] = step.args.replace(/\$\{(\w+)\}/g, (_m, a: string) => args.get(a) ?? "").split(/\s+/);
      result.push({ name, from: image, steps: [] });
    } else result.at(-1)?.steps.push(step);
  }
  return result;
}

/** The stages `docker build` runs for the default target (the last stage) and what it copies from. */
function stagesFor(target: string, all: Stage[]): Stage[] {
  const stage = all.find((s) => s.name === target);
  if (!stage) return [];
  const parents = [stage.from, ...stage.steps.flatMap((s) => [/--from=(\S+)/.exec(s.args)?.[1] ?? []].flat())].filter((n) => all.some((s) => s.name === n));
  const needed = [...parents.flatMap((p) => stagesFor(p, all)), stage];
  return needed.filter((s, i) => needed.indexOf(s) === i);
}

const engines = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { engines: { node: string } }).engines.node;

/** `a.b.c` >= `x.y(.z)` */
function atLeast(version: string, minimum: string): boolean {
  const [a = [], b = []] = [version, minimum].map((v) => v.split(".").map(Number));
  for (let i = 0; i < 3; i++) if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) > (b[i] ?? 0);
  return true;
}

let work: string;
const roots = new Map<string, string>();

/** Absolute image paths in a RUN line, mapped into the stage's directory (`/opt/x` -> `<root>/opt/x`); `/bin/sh` and friends stay. */
const inStage = (root: string, text: string) => text.replace(/(?<![\w.-])\/(opt|usr\/local|src)(?=[/\s'"]|$)/g, `${root}/$1`);

async function replay(stage: Stage, contextFiles: string[], npmCache: string): Promise<void> {
  // The replay needs no stage twice, so a stage built FROM another continues in its directory
  // (paths written into files, such as the mdeploy wrapper's, stay valid).
  const root = roots.get(stage.from) ?? join(work, stage.name);
  roots.set(stage.name, root);
  for (const dir of ["usr/local/bin", "opt", "tmp"]) mkdirSync(join(root, dir), { recursive: true });
  let cwd = root;
  const env: Record<string, string> = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: join(root, "tmp"), npm_config_cache: npmCache, npm_config_prefer_offline: "true", npm_config_update_notifier: "false" };
  for (const step of stage.steps) {
    if (step.keyword === "WORKDIR") {
      cwd = join(root, step.args);
      mkdirSync(cwd, { recursive: true });
    } else if (step.keyword === "ENV") {
      const [name = "", value = ""] = step.args.split("=");
      env[name] = value;
    } else if (step.keyword === "COPY") {
      const from = /--from=(\S+)/.exec(step.args)?.[1];
      const words = step.args.split(/\s+/).filter((w) => !w.startsWith("--"));
      const dest = words.pop() ?? ".";
      const target = dest.startsWith("/") ? join(root, dest) : join(cwd, dest);
      for (const source of words) {
        const clean = source.replace(/^\.\//, "").replace(/\/$/, "");
        const into = dest.endsWith("/") || words.length > 1;
        if (from) {
          const origin = join(roots.get(from) ?? "", clean);
          cpSync(origin, into ? join(target, clean.split("/").pop() ?? "") : target, { recursive: true, verbatimSymlinks: true });
          continue;
        }
        // Only what the build context holds after .dockerignore.
        const files = contextFiles.filter((f) => f === clean || f.startsWith(`${clean}/`));
        expect(files, `line ${step.line}: COPY ${source} brings no file from the build context`).not.toEqual([]);
        for (const file of files) {
          const relative = file === clean ? (clean.split("/").pop() ?? file) : file.slice(clean.length + 1);
          const destination = file === clean && !into ? target : join(target, relative);
          mkdirSync(dirname(destination), { recursive: true });
          cpSync(join(ROOT, file), destination);
        }
      }
    } else if (step.keyword === "RUN") {
      const run = await runProcess("/bin/sh", ["-c", inStage(root, step.args)], { cwd, env, timeoutMs: 400_000 });
      expect(run.code, `line ${step.line}: RUN ${step.args}\n${run.stdout}\n${run.stderr}`).toBe(0);
    }
  }
}

describe("the toolkit image, replayed without Docker", () => {
  const context = buildContextFiles(ROOT, dockerignore);

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), "mdeploy-image-"));
    // The recipe cleans npm's cache; give it a copy of the machine's, not the machine's own.
    const npmCache = join(work, "npm-cache");
    const home = join(process.env.HOME ?? "/root", ".npm", "_cacache");
    if (existsSync(home)) cpSync(home, join(npmCache, "_cacache"), { recursive: true });
    for (const stage of stagesFor(stages().at(-1)?.name ?? "", stages())) await replay(stage, context, npmCache);
  }, 900_000);
  afterAll(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  }, 300_000);

  it("the build context holds what the build runs, and no tests, node_modules or dist", () => {
    expect(context).toContain("scripts/write-help.mjs");
    expect(context).toContain("src/cli/main.ts");
    expect(context.filter((f) => /\.test\.ts$|(^|\/)node_modules\/|^dist\/|^test\//.test(f))).toEqual([]);
    expect(context.filter((f) => f.startsWith("scripts/")).sort()).toEqual(["scripts/build-validators.mjs", "scripts/bundle-cli.mjs", "scripts/cli-loader.cjs", "scripts/write-help.mjs"]);
  });

  it("the default image answers mdeploy --version and mdeploy runner-health --help", async () => {
    const image = roots.get(stages().at(-1)?.name ?? "") ?? "";
    const mdeploy = join(image, "usr", "local", "bin", "mdeploy");
    expect(statSync(mdeploy).mode & 0o111).not.toBe(0);
    const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: join(image, "tmp") };
    const version = await runProcess(mdeploy, ["--version"], { cwd: join(image, "tmp"), env });
    expect(version.code, version.stderr).toBe(0);
    expect(version.stdout.trim()).toBe((JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string }).version);
    const health = await runProcess(mdeploy, ["runner-health", "--help"], { cwd: join(image, "tmp"), env });
    expect(health.code, health.stderr).toBe(0);
    expect(health.stdout).toContain("Usage: mdeploy runner-health");
    // The built help, written by scripts/write-help.mjs in the build stage.
    expect(existsSync(join(image, "opt", "mdeploy", "dist", "cli", "help.txt"))).toBe(true);
    // The wrapper runs the bundle scripts/bundle-cli.mjs wrote, as the package's `bin` does.
    expect(readFileSync(mdeploy, "utf8")).toContain("/opt/mdeploy/dist/bundle/mdeploy.js");
    // Production dependencies only.
    expect(existsSync(join(image, "opt", "mdeploy", "node_modules", "typescript"))).toBe(false);
    expect(existsSync(join(image, "opt", "mdeploy", "node_modules", "commander"))).toBe(true);
    const bytes = Number(execFileSync("du", ["-sb", join(image, "opt", "mdeploy")], { encoding: "utf8" }).split("\t")[0]);
    console.info(`image: /opt/mdeploy ${(bytes / 1e6).toFixed(1)} MB on top of the base image`);
  });

  it("the base image's Node satisfies package.json engines", () => {
    const base = stages().find((s) => s.name === "build")?.from ?? "";
    const nodeVersion = /^node:(\d+\.\d+\.\d+)-/.exec(base)?.[1];
    expect(nodeVersion, base).toBeDefined();
    const minimum = /^>=\s*(\d+(?:\.\d+){0,2})$/.exec(engines)?.[1];
    expect(minimum, engines).toBeDefined();
    expect(atLeast(nodeVersion ?? "", minimum ?? "")).toBe(true);
    expect(atLeast("20.18.3", minimum ?? "")).toBe(false);
    // The replay ran on this machine's Node; say so when it differs from the image's.
    if (process.versions.node !== nodeVersion) console.info(`replayed with Node ${process.versions.node}; the image has ${nodeVersion ?? "?"}`);
  });
});
