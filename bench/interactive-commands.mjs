#!/usr/bin/env node
/**
 * The interactive commands (`render`, `status`, `plan`, `history`) against the
 * built-in simulator, run side by side with `node -e 0` (one of each per round,
 * so machine noise hits every side alike). Prints each one's median wall time,
 * CPU time and peak RSS as ratios to `node -e 0`'s, against the budgets: wall
 * <= 3x for render and status, <= 4x for plan and history; peak RSS <= 1.6x.
 * CPU and RSS are reported by each child itself through a preloaded hook.
 *
 * The CLI measured is the package's `bin` (the esbuild bundle), or the file
 * named as second argument (dist/cli/main.js: the unbundled tsc output, to
 * compare).
 *
 * Usage: npm run build && node bench/interactive-commands.mjs [runs] [cli]   (default 10 per side)
 * Exit status 1 when a ratio is over its budget.
 */
import { spawn } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const runs = Number(process.argv[2] ?? 10);
const root = fileURLToPath(new URL("..", import.meta.url));
const bin = JSON.parse(readFileSync(join(root, "package.json"), "utf8")).bin.mdeploy;
const cli = process.argv[3] ? resolve(process.argv[3]) : join(root, bin);
const { startSimulator, defaultCluster } = await import(join(root, "dist/sim/index.js"));

const RSS_BUDGET = 1.6;
const sides = {
  "node -e 0": { args: ["-e", "0"] },
  render: { args: [cli, "render", "staging"], wallBudget: 3 },
  status: { args: [cli, "status", "staging"], wallBudget: 3 },
  plan: { args: [cli, "plan", "staging"], wallBudget: 4 },
  history: { args: [cli, "history", "staging"], wallBudget: 4 },
};

const scratch = mkdtempSync(join(tmpdir(), "mdeploy-interactive-"));
cpSync(join(root, "mdeploy.yml"), join(scratch, "mdeploy.yml"));
cpSync(join(root, "marathon"), join(scratch, "marathon"), { recursive: true });
const hook = join(scratch, "usage-report.cjs");
writeFileSync(hook, 'process.on("exit", () => { const u = process.resourceUsage(); require("node:fs").writeSync(2, `\\nusage ${u.userCPUTime + u.systemCPUTime} ${u.maxRSS}\\n`); });\n');

const sim = await startSimulator({ cluster: defaultCluster(), speed: 200 });
const env = { PATH: process.env.PATH, HOME: process.env.HOME, MARATHON_URL: sim.marathonUrl, MESOS_URL: sim.mesosUrl };

/** Runs one child without blocking this process (the simulator answers from here). */
function run(args, check = true) {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const child = spawn(process.execPath, ["--require", hook, ...args], { cwd: scratch, env, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), 120_000);
    child.on("close", (code) => {
      clearTimeout(timer);
      const wall = Number(process.hrtime.bigint() - start) / 1e6;
      if (check && code !== 0) return reject(new Error(`${args.join(" ")} exited ${code}: ${stderr}`));
      const m = /usage (\d+) (\d+)/.exec(stderr);
      resolve({ wall, cpu: Number(m?.[1] ?? NaN) / 1000, rssMb: Number(m?.[2] ?? NaN) / 1024 });
    });
  });
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

try {
  // Something to report on: the example app deployed once.
  await run([cli, "deploy", "staging", "--no-image-check", "--dotenv", ""]);
  for (const { args } of Object.values(sides)) await run(args); // warm-up
  const samples = Object.fromEntries(Object.keys(sides).map((name) => [name, { wall: [], cpu: [], rssMb: [] }]));
  for (let round = 0; round < runs; round++) {
    for (const [name, { args }] of Object.entries(sides)) {
      const r = await run(args);
      for (const key of ["wall", "cpu", "rssMb"]) samples[name][key].push(r[key]);
    }
  }
  const load = loadavg()[0];
  console.log(`${runs} interleaved runs per side of ${cli.slice(root.length)}, node ${process.version}, load average ${load.toFixed(1)} on ${availableParallelism()} CPUs`);
  if (load > availableParallelism()) console.log("warning: the machine is busy; wall ratios read low (startup waits for a CPU), CPU ratios are the steadier figure");
  const base = samples["node -e 0"];
  let over = false;
  for (const [name, s] of Object.entries(samples)) {
    const wallRatio = median(s.wall) / median(base.wall);
    const cpuRatio = median(s.cpu) / median(base.cpu);
    const rssRatio = median(s.rssMb) / median(base.rssMb);
    const budget = sides[name].wallBudget;
    const verdict = budget === undefined ? "baseline" : wallRatio <= budget && rssRatio <= RSS_BUDGET ? "within budget" : `OVER (wall <= ${budget}x, rss <= ${RSS_BUDGET}x)`;
    if (budget !== undefined && verdict !== "within budget") over = true;
    console.log(
      `${name.padEnd(10)} wall ${median(s.wall).toFixed(0).padStart(5)} ms ${wallRatio.toFixed(2).padStart(5)}x   cpu ${median(s.cpu).toFixed(0).padStart(5)} ms ${cpuRatio.toFixed(2).padStart(5)}x   rss ${median(s.rssMb).toFixed(0).padStart(4)} MB ${rssRatio.toFixed(2).padStart(5)}x   ${verdict}`,
    );
  }
  process.exitCode = over ? 1 : 0;
} finally {
  await sim.close();
  rmSync(scratch, { recursive: true, force: true });
}
