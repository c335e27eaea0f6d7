#!/usr/bin/env node
// Simulator benchmarks (run after `npm run build`): `node bench/sim-bench.mjs`.
// 1. `mdeploy sim` start-up: time until /ping answers (target < 2 s), and idle RSS (target < 100 MB).
// 2. A 1,000-instance rolling restart over 200 agents, run to completion in simulated time (target < 5 s wall).
/* global fetch, performance */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const cli = fileURLToPath(new URL("../dist/bundle/mdeploy.js", import.meta.url));
const { startSimulator } = await import(new URL("../dist/sim/index.js", import.meta.url).href);

async function startupAndIdle() {
  const started = performance.now();
  const child = spawn(process.execPath, [cli, "sim", "--port", "0", "--mesos-port", "0"], { stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("no URL after 10 s")), 10_000);
    child.stdout.on("data", (d) => {
      out += d;
      const m = /Marathon: (\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1].replace(/,$/, ""));
      }
    });
  });
  let pingMs;
  for (let i = 0; i < 200; i++) {
    try {
      if ((await (await fetch(`${url}/ping`)).text()) === "pong") {
        pingMs = performance.now() - started;
        break;
      }
    } catch {
      await new Promise((r) => setTimeout(r, 10));
    }
  }
  await new Promise((r) => setTimeout(r, 2000));
  const status = readFileSync(`/proc/${child.pid}/status`, "utf8");
  const rssMb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
  child.kill("SIGTERM");
  const code = await new Promise((r) => child.on("close", r));
  return { pingMs, rssMb, code };
}

async function bigRestart(strategy) {
  const agents = Array.from({ length: 200 }, (_, i) => ({ hostname: `agent-${i}`, cpus: 8, mem: 32768, disk: 100000, attributes: { rack: `r${i % 10}` } }));
  const sim = await startSimulator({ cluster: { agents, defaultImage: { startSeconds: 3, healthyAfterSeconds: 5 }, marathon: { maxInstancesPerOffer: 10 } }, seed: 42 });
  try {
    const app = {
      id: "/big",
      instances: 1000,
      cpus: 0.1,
      mem: 128,
      cmd: "serve",
      constraints: [["rack", "GROUP_BY", "10"]],
      healthChecks: [{ protocol: "HTTP", gracePeriodSeconds: 60, intervalSeconds: 5 }],
    };
    const post = await fetch(`${sim.marathonUrl}/v2/apps`, { method: "POST", body: JSON.stringify(app) });
    if (post.status !== 201) throw new Error(`POST ${post.status}`);
    const idle = () => sim.state.deployments().length === 0;
    if (!(await sim.clock.runUntil(idle, { maxMs: 3_600_000 }))) throw new Error("initial deployment did not finish");
    const t0 = sim.clock.now();
    const wall = performance.now();
    const put = await fetch(`${sim.marathonUrl}/v2/apps/big`, { method: "PUT", body: JSON.stringify({ env: { RELEASE: "2" }, upgradeStrategy: strategy }) });
    if (put.status !== 200) throw new Error(`PUT ${put.status}`);
    const done = await sim.clock.runUntil(idle, { maxMs: 24 * 3_600_000 });
    const wallMs = performance.now() - wall;
    return { done, wallMs, simulatedSeconds: (sim.clock.now() - t0) / 1000, healthy: sim.state.healthyCount("/big") };
  } finally {
    await sim.close();
  }
}

const s = await startupAndIdle();
console.log(`mdeploy sim: /ping answered ${s.pingMs.toFixed(0)} ms after spawn (target < 2000 ms, ${(2000 / s.pingMs).toFixed(1)}x under); idle RSS ${s.rssMb.toFixed(1)} MB (target < 100 MB); exit ${s.code}`);
for (const strategy of [
  { minimumHealthCapacity: 1, maximumOverCapacity: 1 },
  { minimumHealthCapacity: 0.9, maximumOverCapacity: 0 },
]) {
  const r = await bigRestart(strategy);
  console.log(
    `1,000-instance rolling restart over 200 agents (mhc ${strategy.minimumHealthCapacity}, moc ${strategy.maximumOverCapacity}): ` +
      `${r.done ? "completed" : "DID NOT COMPLETE"} in ${r.simulatedSeconds.toFixed(0)} simulated s, ${(r.wallMs / 1000).toFixed(2)} s wall ` +
      `(target < 5 s, ${(5000 / r.wallMs).toFixed(1)}x under; ${(r.simulatedSeconds / (r.wallMs / 1000)).toFixed(0)}x real time); healthy ${r.healthy}`,
  );
  if (!r.done || r.wallMs > 5000) process.exitCode = 1;
}
if (s.pingMs > 2000 || s.rssMb > 100) process.exitCode = 1;
