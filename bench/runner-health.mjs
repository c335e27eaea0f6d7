#!/usr/bin/env node
/**
 * Cold start of `mdeploy runner-health` against a minimal `node -e` script making the same
 * GitLab request with node:http, both against a local fake GitLab (which also serves the
 * runner's /metrics). Runs are interleaved so machine noise hits both sides alike. Prints
 * median wall time and peak RSS (from /usr/bin/time) and the ratios against the budget:
 * at most 2x the time and 1.3x the memory.
 *
 * Usage: npm run build && node bench/runner-health.mjs [runs]   (default 15 runs per side)
 * Exit status 1 when over budget. Also prints what the CLI's own start-up costs (commander,
 * command registration, the runner-health module).
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const runs = Number(process.argv[2] ?? 15);
const cli = fileURLToPath(new URL("../dist/bundle/mdeploy.js", import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), "mdeploy-bench-"));

const runner = JSON.stringify({ id: 6, description: "bench", paused: false, status: "online", contacted_at: new Date().toISOString(), tag_list: [] });
const metrics = `gitlab_runner_api_request_statuses_total{endpoint="request_job",status="204"} 10\nprocess_start_time_seconds ${Date.now() / 1000 - 3600}\n`;
const server = createServer((req, res) => {
  if (req.url === "/api/v4/runners/6") res.writeHead(200, { "content-type": "application/json" }).end(runner);
  else if (req.url === "/metrics") res.writeHead(200, { "content-type": "text/plain" }).end(metrics);
  else res.writeHead(404).end();
});
await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
const base = `http://127.0.0.1:${server.address().port}`;

const baselineScript = `require("node:http").get(${JSON.stringify(`${base}/api/v4/runners/6`)}, { headers: { "PRIVATE-TOKEN": process.env.GITLAB_TOKEN } }, (r) => { let b = ""; r.on("data", (c) => (b += c)); r.on("end", () => { console.log(r.statusCode, JSON.parse(b).status); }); });`;
const sides = {
  "mdeploy runner-health": [cli, "runner-health", "--runner-id", "6", "--metrics-url", `${base}/metrics`, "--state-file", join(scratch, "state.json")],
  "node -e (one http.get)": ["-e", baselineScript],
};
const env = { PATH: process.env.PATH, HOME: process.env.HOME, GITLAB_URL: base, GITLAB_TOKEN: "glpat-bench-token" };

/** One cold run under /usr/bin/time: wall ms (measured here) and peak RSS in MB (from time). */
function measure(args) {
  const rssFile = join(scratch, "rss");
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn("/usr/bin/time", ["-f", "%M", "-o", rssFile, process.execPath, ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    child.on("error", reject);
    child.on("close", (code) => {
      const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
      if (code !== 0) reject(new Error(`exit ${code}: ${out}`));
      else resolve({ wallMs, rssMb: Number(readFileSync(rssFile, "utf8").trim().split("\n").pop()) / 1024 });
    });
  });
}

const results = Object.fromEntries(Object.keys(sides).map((name) => [name, []]));
for (let i = 0; i < runs; i += 1) {
  // Alternate which side goes first so neither always runs on a warmer machine.
  const order = i % 2 === 0 ? Object.keys(sides) : Object.keys(sides).reverse();
  for (const name of order) results[name].push(await measure(sides[name]));
}
server.close();
rmSync(scratch, { recursive: true, force: true });

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const summary = Object.fromEntries(
  Object.entries(results).map(([name, samples]) => [name, { wallMs: median(samples.map((s) => s.wallMs)), rssMb: median(samples.map((s) => s.rssMb)) }]),
);
for (const [name, s] of Object.entries(summary)) console.log(`${name.padEnd(26)} median wall ${s.wallMs.toFixed(0).padStart(5)} ms   peak RSS ${s.rssMb.toFixed(1).padStart(6)} MB   (${runs} runs)`);
const [ours, baseline] = Object.values(summary);
const timeRatio = ours.wallMs / baseline.wallMs;
const memRatio = ours.rssMb / baseline.rssMb;
console.log(`time ratio ${timeRatio.toFixed(2)}x (budget 2x) ${timeRatio <= 2 ? "OK" : "OVER"}`);
console.log(`memory ratio ${memRatio.toFixed(2)}x (budget 1.3x) ${memRatio <= 1.3 ? "OK" : "OVER"}`);

// Where mdeploy's extra time goes: module load times inside fresh processes.
const dist = fileURLToPath(new URL("../dist/", import.meta.url));
const probe = `
const t0 = performance.now(); await import("commander");
const t1 = performance.now(); await import(${JSON.stringify(`${dist}cli/commands.js`)});
const t2 = performance.now(); await import(${JSON.stringify(`${dist}commands/runner-health.js`)});
const t3 = performance.now();
console.log(JSON.stringify({ commander: t1 - t0, "register every area's commands": t2 - t1, "runner-health module": t3 - t2 }));`;
const loads = [];
for (let i = 0; i < runs; i += 1) {
  const child = spawn(process.execPath, ["--input-type=module", "-e", probe], { stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  child.stdout.on("data", (d) => (out += d));
  await new Promise((resolve) => child.on("close", resolve));
  loads.push(JSON.parse(out));
}
for (const part of Object.keys(loads[0])) console.log(`load ${part.padEnd(32)} median ${median(loads.map((l) => l[part])).toFixed(1).padStart(5)} ms`);
if (timeRatio > 2 || memRatio > 1.3) process.exitCode = 1;
