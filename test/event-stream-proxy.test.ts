/**
 * `mdeploy deploy` with a proxy between it and Marathon that spoils the event
 * stream: it buffers it (headers, then nothing), garbles it (a page instead of
 * events), drops the end events (everything but deployment_success and
 * deployment_failed), or passes them without their deployment id (a frame of a
 * deciding kind that fails its schema). Each is a gap, not a verdict: the deploy says which fallback
 * it took, polls, verifies from the app's state and exits 0; the simulator
 * ends at the new version with no deployment open.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { defaultCluster, startSimulator, type Simulator } from "../src/sim/index.js";
import { runCli } from "./helpers/run-cli.js";

type Spoil = "buffer" | "garble" | "drop-end-events" | "invalid-end-events";

const APP = "/staging/click-count";
const TEMPLATE = `{
  "id": "${APP}", "instances": 1, "cpus": 0.25, "mem": 300,
  "container": { "type": "DOCKER", "docker": { "image": "registry.example.com/demo/click-count:{{tag}}" } },
  "constraints": [["type", "CLUSTER", "staging"]]
}
`;

let sim: Simulator | undefined;
let proxy: Server | undefined;
let dir: string | undefined;
afterEach(async () => {
  proxy?.closeAllConnections();
  await new Promise((resolve) => (proxy ? proxy.close(resolve) : resolve(undefined)));
  proxy = undefined;
  await sim?.close();
  sim = undefined;
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

/**
 * A loopback proxy to `target` that passes every request through and spoils
 * `/v2/events` answers as told. Dropping works on whole frames (it buffers up to
 * the blank line), so what it passes on is still valid SSE.
 */
async function startSpoilingProxy(target: string, spoil: Spoil): Promise<string> {
  const upstream = new URL(target);
  proxy = createServer((req, res) => {
    const forward = request({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
      const isStream = (req.url ?? "").startsWith("/v2/events") && answer.statusCode === 200;
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      if (!isStream) {
        answer.pipe(res);
        return;
      }
      res.flushHeaders();
      let pending = "";
      answer.on("data", (chunk: Buffer) => {
        if (spoil === "buffer") return; // held back for good: what a buffering proxy does to a stream that never ends
        if (spoil === "garble") {
          res.write("data: <html><body>502 Bad Gateway</body></html>\n\n");
          return;
        }
        pending += chunk.toString("utf8");
        const frames = pending.split("\n\n");
        pending = frames.pop() ?? "";
        for (const frame of frames) {
          const isEnd = /^event: deployment_(success|failed)$/m.test(frame);
          if (!isEnd) res.write(`${frame}\n\n`);
          else if (spoil === "invalid-end-events") res.write(`${withoutId(frame)}\n\n`);
        }
      });
      answer.on("end", () => res.end());
      res.on("close", () => answer.destroy());
    });
    forward.on("error", () => res.destroy());
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => proxy?.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
}

/** The frame with its JSON's `id` removed: still a well-formed event of its kind, but not one a verdict can rest on. */
function withoutId(frame: string): string {
  return frame.replace(/^data: (.*)$/m, (_line, json: string) => {
    const { id: _id, ...rest } = JSON.parse(json) as Record<string, unknown>;
    return `data: ${JSON.stringify(rest)}`;
  });
}

async function deployThrough(marathonUrl: string, tag: string) {
  dir ??= await mkdtemp(path.join(tmpdir(), "mdeploy-proxy-"));
  await writeFile(path.join(dir, "mdeploy.yml"), `environments:\n  staging:\n    template: app.json.hbs\n    variables: { tag: "${tag}" }\n`);
  await writeFile(path.join(dir, "app.json.hbs"), TEMPLATE);
  return runCli(["deploy", "staging", "--no-image-check", "--dotenv", "", "--timeout", "120"], {
    cwd: dir,
    env: { MARATHON_URL: marathonUrl, MESOS_URL: sim?.mesosUrl },
    timeoutMs: 90_000,
  });
}

const cases: { spoil: Spoil; says: string }[] = [
  { spoil: "buffer", says: "event stream: no event_stream_attached within 5000 ms of the answer (a proxy buffering the stream?); following by polling every 500 ms and verifying from the app's state" },
  { spoil: "garble", says: "event stream: the event stream sent something that is not a Marathon event (\"<html><body>502 Bad Gateway</body></html\"); following by polling" },
  { spoil: "drop-end-events", says: "did not arrive on the open event stream within 2000 ms (a proxy dropping events?); following by polling every 500 ms and verifying from the app's state" },
  { spoil: "invalid-end-events", says: "event stream: the event stream sent a deployment_success mdeploy cannot trust (/id: is missing); following by polling every 500 ms and verifying from the app's state" },
];

describe("deploy behind a proxy that spoils the event stream", () => {
  it.each(cases)("$spoil: exit 0, verified from the app's state, and the fallback is said", { timeout: 120_000 }, async ({ spoil, says }) => {
    sim = await startSimulator({ cluster: defaultCluster(), speed: 500 });
    const first = await deployThrough(sim.marathonUrl, "1.0.0");
    expect(first.code, first.stderr).toBe(0);
    const before = (sim.state.app(APP) as { version: string }).version;

    const run = await deployThrough(await startSpoilingProxy(sim.marathonUrl, spoil), "1.0.1");
    const printed = run.stdout + run.stderr;
    expect(run.code, printed).toBe(0);
    expect(printed).toContain(says);
    expect(printed).toContain("verified from the app's state");
    const app = sim.state.app(APP) as { version: string; container: { docker: { image: string } } };
    expect(app.version > before).toBe(true);
    expect(app.container.docker.image).toBe("registry.example.com/demo/click-count:1.0.1");
    expect(sim.state.tasks(APP).map((t) => t.version)).toEqual([app.version]);
    expect(sim.state.deployments()).toEqual([]);
  });
});
