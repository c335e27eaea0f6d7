import { ESLint } from "eslint";
import { spawnSync } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";

// The layer rule of docs/architecture.md lives in eslint.config.js. Each case lints a
// file that is not on disk, as if it stood at `path`, with the project's own config:
// a wrong arrow must fail, a right one must pass, so no rule can quietly go.

const repo = fileURLToPath(new URL("..", import.meta.url));
const eslint = new ESLint({ cwd: repo });

/** The problems ESLint reports for `text` at `path` (relative to the repository), as "rule: message". */
async function problems(path: string, text: string): Promise<string[]> {
  const [result] = await eslint.lintText(text, { filePath: `${repo}/${path}` });
  return (result?.messages ?? []).map((m) => `${m.ruleId}: ${m.message}`);
}

/** A module that imports each module and uses what it took, so only the layer rule can object. */
const importing = (...modules: string[]) =>
  `${modules.map((from, i) => `import * as taken${i} from "${from}";\n`).join("")}export const used = [${modules.map((_, i) => `taken${i}`).join(", ")}];\n`;
const importingLazily = (from: string) => `export const load = () => import("${from}");\n`;

type Case = [path: string, text: string, expected: RegExp];

const wrongArrows: Case[] = [
  ["src/commands/lint-probe.ts", importing("../cli/output.js"), /no-restricted-imports: .*src\/commands may not import src\/cli/],
  ["src/commands/lint-probe.ts", importingLazily("../cli/program.js"), /no-restricted-syntax: .*src\/commands may not import src\/cli/],
  ["src/deploy/lint-probe.ts", importing("../cli/output.js"), /no-restricted-imports: .*src\/deploy is below the commands and the CLI/],
  ["src/deploy/lint-probe.ts", importing("../commands/deploy.js"), /no-restricted-imports: .*src\/deploy is below the commands and the CLI/],
  ["src/deploy/lint-probe.ts", importingLazily("../report/write-report.js"), /no-restricted-syntax: .*src\/deploy is below/],
  ["src/report/lint-probe.ts", importing("../cli/output.js"), /no-restricted-imports: .*src\/report is below the commands and the CLI/],
  ["src/core/lint-probe.ts", importing("node:fs"), /no-restricted-imports: .*src\/core is the bottom layer/],
  ["src/core/ports/lint-probe.ts", importing("../../plan/types.js"), /no-restricted-imports: .*src\/core is the bottom layer/],
  ["src/core/lint-probe.ts", importing("../config/types.js"), /no-restricted-imports: .*src\/core is the bottom layer/],
  ["src/errors.ts", importing("./http/errors.js"), /no-restricted-imports: .*src\/core is the bottom layer/],
  ["src/plan/lint-probe.ts", importing("../mesos/client.js"), /no-restricted-imports: .*Pure core/],
  ["src/plan/lint-probe.ts", importing("../marathon/deployment-verdict.js"), /no-restricted-imports: .*Pure core/],
  ["src/plan/lint-probe.ts", importing("node:fs/promises"), /no-restricted-imports: .*Pure core/],
  ["src/plan/lint-probe.ts", importingLazily("node:child_process"), /no-restricted-syntax: .*Pure core/],
  ["src/validate/lint-probe.ts", importing("../config/types.js"), /no-restricted-imports: .*Pure core/],
  ["src/validate/lint-probe.ts", importing("node:http"), /no-restricted-imports: .*Pure core/],
  ["src/template/lint-probe.ts", importing("axios"), /no-restricted-imports: .*Pure core/],
  ["src/template/lint-probe.ts", importing("node:net"), /no-restricted-imports: .*Pure core/],
  ["src/template/lint-probe.ts", importing("../host/system-clock.js"), /no-restricted-imports: .*Pure core/],
  ["src/marathon/types.ts", importing("./client.js"), /no-restricted-imports: .*The shared Marathon model/],
  ["src/config/resolve-config.ts", importing("../http/transport.js"), /no-restricted-imports: .*Pure code \(config parsing/],
  ["src/render/render-app.ts", importing("node:fs"), /no-restricted-imports: .*Pure code \(config parsing/],
  ["src/config/load-config.ts", importing("node:https"), /no-restricted-imports: .*src\/config, src\/render and src\/init read project files/],
  ["src/sim/lint-probe.ts", importing("../deploy/deploy-app.js"), /no-restricted-imports: .*src\/sim is the independent oracle/],
  ["src/sim/lint-probe.ts", importing("../commands/sim.js"), /no-restricted-imports: .*src\/sim is the independent oracle/],
  ["src/sim/lint-probe.ts", importing("../cli/output.js"), /no-restricted-imports: .*src\/sim is the independent oracle/],
  ["src/sim/lint-probe.ts", importing("../plan/constraints.js"), /no-restricted-imports: .*src\/sim is the independent oracle/],
  ["src/sim/lint-probe.ts", importing("../marathon/client.js"), /no-restricted-imports: .*src\/sim is the independent oracle/],
  ["src/sim/lint-probe.ts", importing("../core/task-health.js"), /no-restricted-imports: .*src\/sim is the independent oracle/],
  ["src/marathon/lint-probe.ts", importing("../deploy/verify-app.js"), /no-restricted-imports: .*Adapters sit below the use cases/],
  ["src/mesos/lint-probe.ts", importing("../commands/deploy.js"), /no-restricted-imports: .*Adapters sit below the use cases/],
  ["src/gitlab/lint-probe.ts", importing("../cli/output.js"), /no-restricted-imports: .*Adapters sit below the use cases/],
  ["src/registry/lint-probe.ts", importingLazily("../commands/registry-auth.js"), /no-restricted-syntax: .*Adapters sit below the use cases/],
  ["src/zk/discovery/lint-probe.ts", importing("../../cli/output.js"), /no-restricted-imports: .*Adapters sit below the use cases/],
  ["src/zk/lint-probe.ts", importing("../commands/zk-id.js"), /no-restricted-imports: .*Adapters sit below the use cases/],
  ["src/zk/discovery/lint-probe.ts", importingLazily("../../cli/program.js"), /no-restricted-syntax: .*Adapters sit below the use cases/],
  ["src/api/lint-probe.ts", importing("../deploy/deploy-app.js"), /no-restricted-imports: .*src\/api is the simulator's public face/],
];

const impureCalls: Case[] = [
  ["src/core/lint-probe.ts", "export const now = () => Date.now();\n", /no-restricted-syntax: .*src\/core is the bottom layer/],
  ["src/plan/lint-probe.ts", "export const today = () => new Date();\n", /no-restricted-syntax: .*Pure core/],
  ["src/plan/lint-probe.ts", "export const pick = () => Math.random();\n", /no-restricted-syntax: .*Pure core/],
  ["src/validate/lint-probe.ts", "export const env = () => process.env.HOME;\n", /no-restricted-globals: .*Pure code: pass the clock/],
  ["src/template/lint-probe.ts", "export const later = (f: () => void) => setTimeout(f, 10);\n", /no-restricted-globals: .*Pure code: pass the clock/],
  ["src/config/parse-config.ts", "export const cwd = () => process.cwd();\n", /no-restricted-globals: .*Pure code: pass the clock/],
  ["src/deploy/lint-probe.ts", 'export const say = () => process.stdout.write("x");\n', /no-restricted-properties: .*Only src\/cli reads the process/],
  ["src/commands/lint-probe.ts", "export const tty = () => process.stdout.isTTY;\n", /no-restricted-properties: .*Only src\/cli reads the process/],
  ["src/marathon/lint-probe.ts", "export const url = () => process.env.MARATHON_URL;\n", /no-restricted-properties: .*Only src\/cli reads the process/],
  ["src/commands/lint-probe.ts", "export const stop = () => process.exit(1);\n", /no-restricted-properties: .*Only src\/cli reads the process/],
];

const rightArrows: Array<[path: string, text: string]> = [
  ["src/cli/lint-probe.ts", importing("../commands/deploy.js") + 'export const tty = () => process.stdout.isTTY;\n'],
  ["src/cli/lint-probe.ts", importing("../zk/zk-id-flags.js")],
  ["src/commands/lint-probe.ts", importing("../deploy/deploy-app.js", "../core/ports/cli-context.js")],
  ["src/deploy/lint-probe.ts", importing("../core/ports/output.js", "../marathon/client.js")],
  ["src/core/lint-probe.ts", importing("../marathon/types.js", "../errors.js")],
  ["src/plan/lint-probe.ts", importing("../core/task-health.js", "../marathon/defaults.js")],
  ["src/config/resolve-config.ts", importing("../http/safe-url.js")],
  ["src/sim/lint-probe.ts", importing("../core/ports/clock.js", "../marathon/types.js")],
  ["src/zk/lint-probe.ts", importing("../core/ports/clock.js", "./members.js")],
  ["src/zk/discovery/ec2.ts", 'export const quiet = () => (process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true");\n'],
  ["src/commands/lint-probe.ts", 'export const listen = (f: () => void) => process.on("SIGINT", f);\n'],
];

describe("the layer rule (eslint.config.js) refuses every wrong arrow", { timeout: 120_000 }, () => {
  it.each(wrongArrows)("%s: %s", async (path, text, expected) => {
    expect((await problems(path, text)).join("\n")).toMatch(expected);
  });
});

describe("pure code reads no clock, randomness or process; only src/cli reads the process's streams and environment", { timeout: 120_000 }, () => {
  it.each(impureCalls)("%s: %s", async (path, text, expected) => {
    expect((await problems(path, text)).join("\n")).toMatch(expected);
  });
});

describe("the layer rule lets the right arrows through", { timeout: 120_000 }, () => {
  it.each(rightArrows)("%s: %s", async (path, text) => {
    expect(await problems(path, text)).toEqual([]);
  });
});

describe("npm run lint refuses an import circle (scripts/check-import-cycles.mjs)", { timeout: 60_000 }, () => {
  const checker = join(repo, "scripts/check-import-cycles.mjs");
  const run = (folder: string) => spawnSync(process.execPath, [checker, folder], { cwd: repo, encoding: "utf8", timeout: 30_000 });
  const scratch: string[] = [];
  afterEach(async () => {
    await Promise.all(scratch.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
  });

  it("names the modules of a circle, type-only imports included, and fails", async () => {
    const dir = await mkdtemp(join(tmpdir(), "mdeploy-cycles-"));
    scratch.push(dir);
    await mkdir(join(dir, "deploy"));
    await writeFile(join(dir, "deploy/deploy-app.ts"), 'import { unchanged } from "./unchanged.js";\nexport interface Options { env: string }\nexport const deploy = unchanged;\n');
    await writeFile(join(dir, "deploy/unchanged.ts"), 'import type { Options } from "./deploy-app.js";\nexport const unchanged = (o: Options) => o.env;\n');
    await writeFile(join(dir, "deploy/alone.ts"), 'import { deploy } from "./deploy-app.js";\nexport const alone = deploy;\n');
    const result = run(dir);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/import circle: .*deploy\/deploy-app\.ts, .*deploy\/unchanged\.ts\n/);
    expect(result.stderr).not.toMatch(/alone\.ts/);
  });

  it("finds no circle under src/", () => {
    const result = run(join(repo, "src"));
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
  });
});
