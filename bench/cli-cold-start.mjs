#!/usr/bin/env node
/**
 * Cold start of `mdeploy --version` and `mdeploy --help` against `node -e 0`,
 * run interleaved (one of each per round) so machine noise hits every side
 * alike. Prints the median wall time of each and the ratio to node -e 0,
 * against the budget of 1.5x (issue 2: commands load their modules lazily).
 *
 * Usage: npm run build && node bench/cli-cold-start.mjs [runs]   (default 20 per side)
 * Exit status 1 when a ratio is over budget.
 */
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import { availableParallelism, loadavg } from "node:os";
import { fileURLToPath } from "node:url";

const BUDGET = 1.5;
const runs = Number(process.argv[2] ?? 20);
const cli = fileURLToPath(new URL("../dist/cli/main.js", import.meta.url));
const commander = createRequire(import.meta.url).resolve("commander");
const sides = {
  "node -e 0": ["-e", "0"],
  "mdeploy --version": [cli, "--version"],
  "mdeploy --help": [cli, "--help"],
  // Not judged: the floor for any CLI that loads commander before looking at argv.
  "node + commander": ["-e", `require(${JSON.stringify(commander)})`],
};
const JUDGED = new Set(["mdeploy --version", "mdeploy --help"]);
const env = { PATH: process.env.PATH, HOME: process.env.HOME };

function wallMs(args) {
  const start = process.hrtime.bigint();
  const result = spawnSync(process.execPath, args, { env, stdio: ["ignore", "ignore", "pipe"], timeout: 30_000 });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.status !== 0) throw new Error(`${args.join(" ")} exited ${result.status}: ${result.stderr}`);
  return ms;
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

// One warm-up each so the first measured run does not pay for filling the OS file cache.
for (const args of Object.values(sides)) wallMs(args);
const times = Object.fromEntries(Object.keys(sides).map((name) => [name, []]));
for (let round = 0; round < runs; round++) {
  for (const [name, args] of Object.entries(sides)) times[name].push(wallMs(args));
}

const baseline = median(times["node -e 0"]);
let over = false;
const load = loadavg()[0];
console.log(`${runs} interleaved runs per side, node ${process.version}, load average ${load.toFixed(1)} on ${availableParallelism()} CPUs`);
// Startup is mostly waiting for the CPU on a busy machine, which squeezes every ratio toward 1.
if (load > availableParallelism()) console.log("warning: the machine is busy; ratios read low, rerun when it is quiet");
for (const [name, values] of Object.entries(times)) {
  const m = median(values);
  const ratio = m / baseline;
  const verdict = !JUDGED.has(name) ? (name === "node -e 0" ? "baseline" : "for reference") : ratio <= BUDGET ? `within ${BUDGET}x` : `OVER ${BUDGET}x`;
  if (JUDGED.has(name) && ratio > BUDGET) over = true;
  console.log(`${name.padEnd(18)} median ${m.toFixed(1).padStart(6)} ms  ratio ${ratio.toFixed(2)}  ${verdict}`);
}
process.exitCode = over ? 1 : 0;
