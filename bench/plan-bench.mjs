#!/usr/bin/env node
/**
 * Planner benchmark: `planUpgrade` over 10,000 agents for a 2,000-instance app
 * (budget: under 500 ms and 200 MB), in three shapes: a roomy cluster (the first
 * strategy tried fits), a tight one (the binary search over minimumHealthCapacity
 * runs), and hostname:UNIQUE with no spare agent. Each shape runs in its own
 * child process beside a baseline child that builds the same inputs without
 * planning, so the memory ratio shows what planning itself costs.
 *
 * Usage: npm run build && node bench/plan-bench.mjs [runs]   (default 5 per shape)
 * Exit status 1 when a figure is over budget.
 */
/* global performance */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const TIME_BUDGET_MS = 500;
const RSS_BUDGET_MB = 200;
const AGENTS = 10_000;
const INSTANCES = 2_000;

if (process.argv[2] === "--child") {
  const [, , , shape, mode] = process.argv;
  const { planUpgrade } = await import(new URL("../dist/plan/plan-upgrade.js", import.meta.url).href);
  const tight = shape === "tight";
  const agents = Array.from({ length: AGENTS }, (_, i) => {
    // Tight: the agents running the app have room for nothing more, the rest are full.
    const used = tight ? 900 : 300;
    return {
      id: `agent-${i}`,
      hostname: `agent-${i}`,
      attributes: { rack: `r${i % 20}`, type: "web" },
      free: { cpus: 4, mem: 1000 - used, disk: 10_000, ports: 1000 },
      total: { cpus: 4, mem: 1000, disk: 10_000, ports: 1000 },
      active: true,
    };
  });
  const def = { id: "/big", instances: INSTANCES, cpus: 0.1, mem: 300, cmd: "serve", constraints: shape === "unique" ? [["type", "CLUSTER", "web"], ["hostname", "UNIQUE"]] : [["type", "CLUSTER", "web"]] };
  const hosts = shape === "unique" ? INSTANCES : tight ? AGENTS : INSTANCES;
  const tasks = Array.from({ length: INSTANCES }, (_, i) => ({
    id: `big.${i}`,
    appId: "/big",
    host: `agent-${(i * Math.max(1, Math.floor(hosts / INSTANCES))) % AGENTS}`,
    slaveId: `agent-${(i * Math.max(1, Math.floor(hosts / INSTANCES))) % AGENTS}`,
    ports: [],
    stagedAt: null,
    startedAt: `2026-01-01T00:00:${String(i % 60).padStart(2, "0")}.000Z`,
    version: "v1",
    state: "TASK_RUNNING",
  }));
  const running = { ...def, version: "v1", tasksStaged: 0, tasksRunning: INSTANCES, tasksHealthy: INSTANCES, tasksUnhealthy: 0, deployments: [], tasks };
  if (shape === "unique") {
    // Every agent but the 2,000 running the app is closed to it by attribute, so no spare agent exists.
    agents.forEach((a, i) => (a.attributes.type = i < INSTANCES ? "web" : "batch"));
  }
  const started = performance.now();
  let plan;
  if (mode === "plan") plan = planUpgrade({ cluster: { agents }, running, target: { ...def, cmd: "serve --v2" } });
  const ms = performance.now() - started;
  process.stdout.write(
    JSON.stringify({ ms, maxRssMb: process.resourceUsage().maxRSS / 1024, feasible: plan?.feasible, mhc: plan?.strategy.minimumHealthCapacity, steps: plan?.steps.length }),
  );
  process.exit(0);
}

const runs = Number(process.argv[2] ?? 5);
const self = fileURLToPath(import.meta.url);
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const child = (shape, mode) => {
  const r = spawnSync(process.execPath, [self, "--child", shape, mode], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`child ${shape}/${mode} failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
};

let ok = true;
for (const shape of ["roomy", "tight", "unique"]) {
  const plans = [];
  const bases = [];
  for (let i = 0; i < runs; i++) {
    bases.push(child(shape, "inputs"));
    plans.push(child(shape, "plan"));
  }
  const ms = median(plans.map((p) => p.ms));
  const rss = Math.max(...plans.map((p) => p.maxRssMb));
  const baseRss = Math.max(...bases.map((p) => p.maxRssMb));
  const last = plans.at(-1);
  console.log(
    `${shape.padEnd(6)} ${AGENTS} agents, ${INSTANCES} instances: plan median ${ms.toFixed(1)} ms (budget ${TIME_BUDGET_MS}, ratio ${(ms / TIME_BUDGET_MS).toFixed(2)}); ` +
      `peak RSS ${rss.toFixed(1)} MB (budget ${RSS_BUDGET_MB}, ratio ${(rss / RSS_BUDGET_MB).toFixed(2)}; inputs alone ${baseRss.toFixed(1)} MB, plan/inputs ${(rss / baseRss).toFixed(2)}); ` +
      `feasible ${last.feasible}, minimumHealthCapacity ${last.mhc}`,
  );
  if (ms > TIME_BUDGET_MS || rss > RSS_BUDGET_MB) ok = false;
}
process.exitCode = ok ? 0 : 1;
