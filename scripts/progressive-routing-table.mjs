#!/usr/bin/env node
// Runs a canary and a blue/green deploy of click-count against the simulator (built
// code: `npm run build` first) and prints, as Markdown, the Traefik routing table of
// the public and preview rules at each step, from the simulator's traffic model.
// README's "Canary and blue/green" section shows its output.
import { Writable } from "node:stream";
import { createOutput } from "../dist/cli/output.js";
import { createRedactor } from "../dist/core/redact.js";
import { deployApp } from "../dist/deploy/deploy-app.js";
import { deployBlueGreen } from "../dist/deploy/progressive/blue-green.js";
import { deployCanary } from "../dist/deploy/progressive/canary.js";
import { createProgress } from "../dist/deploy/progress.js";
import { createMarathonClient } from "../dist/marathon/client.js";
import { createMesosClient } from "../dist/mesos/client.js";
import { defaultCluster, startSimulator } from "../dist/sim/index.js";

const HOST = "click-count.example.com";
const RULES = [`Host(\`${HOST}\`)`, `Host(\`preview.${HOST}\`)`];
const APP = "/production/click-count";

/** click-count in production with its Traefik service named, as the example template renders it. */
function clickCount(tag, instances) {
  return {
    id: APP,
    instances,
    cpus: 0.25,
    mem: 300,
    container: { type: "DOCKER", docker: { image: `registry.example.com/demo/click-count:${tag}` }, portMappings: [{ containerPort: 8080, hostPort: 0, protocol: "tcp", name: "http" }] },
    networks: [{ mode: "container/bridge" }],
    constraints: [["type", "CLUSTER", "production"]],
    labels: {
      "traefik.enable": "true",
      "traefik.http.routers.click-count-production.rule": `Host(\`${HOST}\`)`,
      "traefik.http.routers.click-count-production.service": "click-count-production",
      "traefik.http.services.click-count-production.loadbalancer.server.port": "index:0",
    },
    healthChecks: [{ protocol: "HTTP", path: "/", portIndex: 0, gracePeriodSeconds: 120, intervalSeconds: 15, timeoutSeconds: 5, maxConsecutiveFailures: 3 }],
  };
}

/** Two production agents of 1.5 GB (room for two copies of 4) beside the default cluster's others. */
function cluster() {
  const base = defaultCluster();
  const agents = [1, 2].map((i) => ({ hostname: `production-${i}`, cpus: 2, mem: 1536, disk: 4000, ports: "[31000-32000]", attributes: { type: "production" } }));
  return { ...base, agents: [...base.agents.filter((a) => a.hostname !== "production"), ...agents] };
}

/** Rows of the table for one moment: each rule, each app and version behind it. */
function rows(sim, moment) {
  const out = [];
  for (const route of sim.traffic.routing().routes.filter((r) => RULES.includes(r.rule) && !r.shadowed)) {
    const parts = new Map();
    for (const server of route.servers) {
      const image = sim.state.app(server.appId)?.container?.docker?.image?.split(":").pop() ?? "?";
      const key = `${server.appId} ${image}`;
      const part = parts.get(key) ?? { app: server.appId, image, servers: 0, healthy: 0, share: 0 };
      part.servers++;
      if (server.healthy) part.healthy++;
      part.share += server.share;
      parts.set(key, part);
    }
    for (const part of parts.values()) out.push(`| ${moment} | \`\` ${route.rule} \`\` | \`${part.app}\` | ${part.image} | ${part.servers} | ${part.healthy} | ${Math.round(part.share * 100)} % |`);
  }
  return out.length > 0 ? out : [`| ${moment} | (no route) | | | | | |`];
}

async function run(title, strategy, moments) {
  const sim = await startSimulator({ cluster: cluster(), speed: 2000 });
  const marathon = createMarathonClient({ urls: sim.marathonUrls, clock: sim.clock, timeoutMs: 5_000 });
  const mesos = createMesosClient({ url: sim.mesosUrl, clock: sim.clock });
  const quiet = new Writable({ write: (_chunk, _enc, done) => done() });
  const output = createOutput({ stdout: quiet, stderr: quiet, redactor: createRedactor([]) });
  const base = createProgress(output, "plain", sim.clock);
  let since = 0;
  const table = ["| moment | rule | app | version | tasks | healthy | share |", "| --- | --- | --- | --- | --- | --- | --- |"];
  const progress = {
    ...base,
    line: (text) => {
      base.line(text);
      const moment = moments(text);
      if (moment) table.push(...rows(sim, moment));
    },
  };
  const deps = { marathon, mesos, clock: sim.clock, output, progress };
  const options = (tag) => ({ environment: "production", app: clickCount(tag, 4), strategy: "auto", lockTimeoutMs: 600_000, force: false, env: {} });
  try {
    await deployApp(options("1.0.0"), deps);
    table.push(...rows(sim, "before"));
    since = sim.clock.now();
    if (strategy === "canary") await deployCanary(options("1.1.0"), { steps: [25, 50, 100], stepUnit: "percent", windowSeconds: 60 }, deps);
    else await deployBlueGreen(options("1.1.0"), { windowSeconds: 60, keepSeconds: 300, previewHost: `preview.${HOST}` }, deps);
    table.push(...rows(sim, "after"));
    const history = sim.traffic.history(RULES[0]).filter((change) => change.t >= since);
    table.push("", `Fewest healthy tasks behind \`\` ${RULES[0]} \`\` at any moment of the ${strategy} deploy: ${Math.min(...history.map((change) => (change.routed ? change.healthy : 0)))} (of ${history.length} routing changes).`);
  } finally {
    marathon.close();
    mesos.close();
    await sim.close();
  }
  console.log(`${title}\n\n${table.join("\n")}\n`);
}

await run("Canary, steps [25, 50, 100], 4 instances:", "canary", (text) => /^ {2}step (\d+): .*gate:$/.exec(text) && `step ${/^ {2}step (\d+)/.exec(text)[1]} gate`);
await run("Blue/green, 4 instances:", "blue-green", (text) => (text.endsWith("; gate:") ? "green verified, gate" : text.includes("switched:") ? "switched" : undefined));
