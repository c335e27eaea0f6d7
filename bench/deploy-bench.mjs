#!/usr/bin/env node
/**
 * Deploy benchmarks against the in-process simulator, run side by side:
 *
 * 1. End notice: from the simulator publishing `deployment_success` to the
 *    `mdeploy staging` process exiting (budget: median under 100 ms). Beside each
 *    deploy a baseline follower polls /v2/deployments every second until the id
 *    is gone, the way most Marathon deploy tools wait; its notice time is printed
 *    for comparison.
 * 2. Peak RSS of `mdeploy staging` (budget 120 MB), next to `mdeploy --version`
 *    in the same conditions.
 *
 * Usage: npm run build && node bench/deploy-bench.mjs [deploys]   (default 15)
 * Exit status 1 when a figure is over budget.
 */
/* global fetch, performance */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const NOTICE_BUDGET_MS = 100;
const RSS_BUDGET_MB = 120;
const deploys = Number(process.argv[2] ?? 15);
const cli = fileURLToPath(new URL("../dist/bundle/mdeploy.js", import.meta.url));
const { startSimulator, defaultCluster } = await import(new URL("../dist/sim/index.js", import.meta.url).href);

const work = mkdtempSync(join(tmpdir(), "mdeploy-bench-"));
// The child reports its own peak RSS when it exits.
const hook = join(work, "max-rss.cjs");
writeFileSync(hook, `process.on("exit", () => require("fs").writeFileSync(process.env.BENCH_RSS_FILE, String(process.resourceUsage().maxRSS)));\n`);
writeFileSync(join(work, "mdeploy.yml"), "environments:\n  staging:\n    template: app.json.hbs\n");
writeFileSync(
  join(work, "app.json.hbs"),
  `{
  "id": "/staging/click-count", "instances": 1, "cpus": 0.25, "mem": 300,
  "container": { "type": "DOCKER", "docker": { "image": "registry.example.com/demo/click-count:{{str env.CI_COMMIT_TAG}}" } },
  "constraints": [["type", "CLUSTER", "staging"]],
  "healthChecks": [{ "protocol": "HTTP", "gracePeriodSeconds": 60, "intervalSeconds": 5, "timeoutSeconds": 2 }]
}
`,
);

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

function run(args, env, sim) {
  const rssFile = join(work, `rss-${Math.random().toString(16).slice(2)}`);
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--require", hook, cli, ...args], {
      cwd: work,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, MARATHON_URL: sim.marathonUrl, MESOS_URL: sim.mesosUrl, BENCH_RSS_FILE: rssFile, ...env },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (d) => (stderr += d));
    child.on("exit", (code) => {
      const exitedAt = performance.now();
      let maxRssMb = NaN;
      try {
        maxRssMb = Number(readFileSync(rssFile, "utf8")) / 1024;
      } catch {
        // no report: the child died before its exit hook
      }
      resolve({ code, exitedAt, maxRssMb, stderr });
    });
  });
}

/** A follower that polls /v2/deployments every second until the id is gone (the common baseline). */
async function pollingBaseline(sim, idOf, stop) {
  for (let i = 0; i < 600 && !stop.done; i++) {
    await new Promise((r) => setTimeout(r, 1000));
    const id = idOf();
    if (!id) continue;
    const list = await (await fetch(`${sim.marathonUrl}/v2/deployments`)).json();
    if (!list.some((d) => d.id === id)) return performance.now();
  }
  return NaN;
}

const sim = await startSimulator({ cluster: defaultCluster(), speed: 50 });
const notices = [];
const baselines = [];
const rss = [];
try {
  const first = await run(["staging", "--skip-image-check", "--dotenv", ""], { CI_COMMIT_TAG: "1.0.0" }, sim);
  if (first.code !== 0) throw new Error(`first deploy failed: ${first.stderr}`);
  for (let i = 1; i <= deploys; i++) {
    let successAt;
    let deploymentId;
    const off = sim.onEvent((e) => {
      if (e.eventType === "deployment_info" && !deploymentId) deploymentId = e.plan?.id;
      if (e.eventType === "deployment_success" && e.id === deploymentId) successAt = performance.now();
    });
    const stop = { done: false };
    const baseline = pollingBaseline(sim, () => deploymentId, stop);
    const result = await run(["staging", "--skip-image-check", "--dotenv", ""], { CI_COMMIT_TAG: `1.0.${i}` }, sim);
    const baselineAt = await baseline;
    stop.done = true;
    off();
    if (result.code !== 0 || successAt === undefined) throw new Error(`deploy ${i} failed (exit ${result.code}): ${result.stderr}`);
    notices.push(result.exitedAt - successAt);
    baselines.push(baselineAt - successAt);
    rss.push(result.maxRssMb);
  }
  const version = await run(["--version"], {}, sim);
  const noticeMs = median(notices);
  const baselineMs = median(baselines);
  const rssMb = Math.max(...rss);
  console.log(`deployment_success -> mdeploy exit: median ${noticeMs.toFixed(1)} ms over ${deploys} deploys (budget ${NOTICE_BUDGET_MS} ms, ratio ${(noticeMs / NOTICE_BUDGET_MS).toFixed(2)})`);
  console.log(`  baseline poller (GET /v2/deployments every 1 s until the id is gone): median ${baselineMs.toFixed(1)} ms; mdeploy/baseline ${(noticeMs / baselineMs).toFixed(3)}`);
  console.log(`deploy peak RSS: ${rssMb.toFixed(1)} MB (budget ${RSS_BUDGET_MB} MB, ratio ${(rssMb / RSS_BUDGET_MB).toFixed(2)}); mdeploy --version: ${version.maxRssMb.toFixed(1)} MB, deploy/--version ${(rssMb / version.maxRssMb).toFixed(2)}`);
  process.exitCode = noticeMs <= NOTICE_BUDGET_MS && rssMb <= RSS_BUDGET_MB ? 0 : 1;
} finally {
  await sim.close();
  rmSync(work, { recursive: true, force: true });
}
