#!/usr/bin/env node
// Deployment report benchmark (run after `npm run build`): `node bench/report-bench.mjs`.
// A 1,000-instance rolling restart (waves of 100) over 200 simulated agents, deployed by the real engine with
// the report recorder attached; then the report is finished, rendered, redacted and written,
// as `mdeploy deploy --report` does at the end. Prints the page's size and the write time.
// Budget: write under 200 ms, file under 1 MB.
/* global performance */
import { mkdtemp, rm } from "node:fs/promises";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import path from "node:path";
import { Writable } from "node:stream";

const dist = (p) => new URL(`../dist/${p}`, import.meta.url).href;
const { startSimulator } = await import(dist("sim/index.js"));
const { createMarathonClient } = await import(dist("marathon/client.js"));
const { createMesosClient } = await import(dist("mesos/client.js"));
const { deployApp } = await import(dist("deploy/deploy-app.js"));
const { createProgress } = await import(dist("deploy/progress.js"));
const { createOutput } = await import(dist("cli/output.js"));
const { reportedDeps, startReport, writeReportFile } = await import(dist("report/write-report.js"));

const INSTANCES = 1000;
const agents = Array.from({ length: 200 }, (_, i) => ({ hostname: `agent-${i}`, cpus: 8, mem: 32768, disk: 100000, attributes: { rack: `r${i % 10}` } }));
const sim = await startSimulator({ cluster: { agents, defaultImage: { startSeconds: 3, healthyAfterSeconds: 5 }, marathon: { maxInstancesPerOffer: 10 } }, seed: 42, speed: 1000 });
const clock = sim.clock;
const marathon = createMarathonClient({ urls: sim.marathonUrls, clock, timeoutMs: 30_000 });
const mesos = createMesosClient({ url: sim.mesosUrl, clock });
const quiet = new Writable({ write: (_chunk, _encoding, done) => done() });
const output = createOutput({ stdout: quiet, stderr: quiet });
const progress = createProgress(output, "plain", clock);
const dir = await mkdtemp(path.join(tmpdir(), "mdeploy-report-bench-"));

const app = (release) => ({
  id: "/big",
  instances: INSTANCES,
  cpus: 0.1,
  mem: 128,
  cmd: "serve",
  env: { RELEASE: release },
  healthChecks: [{ protocol: "HTTP", gracePeriodSeconds: 60, intervalSeconds: 5 }],
  // Waves of 100 (the template's own strategy): the most instance changes, and so the largest chart and table.
  upgradeStrategy: { minimumHealthCapacity: 0.9, maximumOverCapacity: 0 },
});
const options = (release) => ({ environment: "bench", app: app(release), strategy: "template", lockTimeoutMs: 600_000, force: false, env: {}, timeoutMs: 24 * 3_600_000 });

try {
  await deployApp(options("1"), { marathon, mesos, clock, output, progress });
  const report = startReport({ file: path.join(dir, "report.html"), command: "deploy", environment: "bench", appId: "/big", clock, env: {}, cwd: dir, output });
  const wall = performance.now();
  const result = await deployApp(options("2"), reportedDeps(report, { marathon, mesos, clock, output, progress }));
  const deployMs = performance.now() - wall;

  const cpu = process.cpuUsage();
  const started = performance.now();
  const data = report.recorder.finish({ ok: true, exitCode: 0, message: `${result.appId} version ${result.version} verified`, details: [] });
  const bytes = await writeReportFile(report.file, data, output.redactor);
  const writeMs = performance.now() - started;
  const cpuUsed = process.cpuUsage(cpu);
  const cpuMs = (cpuUsed.user + cpuUsed.system) / 1000;

  const healthy = sim.state.healthyCount("/big");
  console.log(
    `deployment report of a ${INSTANCES}-instance rolling restart (${healthy} healthy after ${(deployMs / 1000).toFixed(1)} s wall; ` +
      `${data.events.length} events, ${data.samples.length} samples, ${data.versions.length} versions): ` +
      `${(bytes / 1024).toFixed(0)} kB (budget < 1024 kB, ${(1024 * 1024 / bytes).toFixed(1)}x under), ` +
      `written in ${writeMs.toFixed(0)} ms (budget < 200 ms, ${(200 / writeMs).toFixed(1)}x under; ${cpuMs.toFixed(0)} ms of CPU; load average ${loadavg()[0].toFixed(1)} on ${availableParallelism()} cores)`,
  );
  if (bytes >= 1024 * 1024 || writeMs >= 200 || healthy !== INSTANCES) process.exitCode = 1;
} finally {
  marathon.close();
  mesos.close();
  await sim.close();
  await rm(dir, { recursive: true, force: true });
}
