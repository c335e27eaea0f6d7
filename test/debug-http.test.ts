/**
 * `--debug` shows HTTP (one line per request with method, URL without
 * credentials, status and milliseconds; retries; event-stream changes), and a
 * Marathon that takes connections but never answers is named after the first
 * timeout, with the bound on the whole wait, instead of a minute of silence.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultCluster, startSimulator, type Simulator } from "../src/sim/index.js";
import { runCli } from "./helpers/run-cli.js";

const PASSWORD = "debug-pw-71c3";
let sim: Simulator;
let dir: string;
let silent: Server;
const sockets: Socket[] = [];

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "mdeploy-debug-"));
  await writeFile(path.join(dir, "app.json.hbs"), '{ "id": "/staging/web", "cmd": "sleep 1000", "mem": 32, "cpus": 0.1, "instances": 1 }\n');
  await writeFile(path.join(dir, "mdeploy.yml"), "environments:\n  staging:\n    template: app.json.hbs\n");
  await writeFile(path.join(dir, "slow.yml"), "marathon:\n  timeoutSeconds: 0.3\nenvironments:\n  staging:\n    template: app.json.hbs\n");
  const cluster = defaultCluster();
  cluster.credentials = { username: "ci", password: PASSWORD };
  sim = await startSimulator({ cluster, speed: 500 });
  // Accepts connections and never answers: a hung Marathon.
  silent = createServer((socket) => void sockets.push(socket));
  await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
});
afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise((resolve) => silent.close(resolve));
  await sim?.close();
  await rm(dir, { recursive: true, force: true });
});

describe("--debug shows HTTP", () => {
  it("one line per request with status and ms, credentials never shown; the event stream's changes", { timeout: 60_000 }, async () => {
    const withUser = sim.marathonUrl.replace("http://", `http://ci:${PASSWORD}@`);
    const run = await runCli(["deploy", "staging", "--no-image-check", "--debug", "--dotenv", ""], { cwd: dir, env: { MARATHON_URL: withUser, MESOS_URL: sim.mesosUrl }, timeoutMs: 60_000 });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(new RegExp(`http: GET ${sim.marathonUrl}/v2/apps/staging/web\\S* -> 404 Not Found \\(\\d+ ms\\)`));
    expect(run.stderr).toMatch(new RegExp(`http: PUT ${sim.marathonUrl}/v2/apps/staging/web\\S* -> 20[01] \\S+ \\(\\d+ ms\\)`));
    expect(run.stderr).toMatch(/http: GET http:\/\/127\.0\.0\.1:\d+\/master\/slaves -> 200 OK/);
    expect(run.stderr).toMatch(/http: event stream \/v2\/events: open/);
    expect(`${run.stdout}${run.stderr}`).not.toContain(PASSWORD);
  });

  it("without --debug, no HTTP lines", async () => {
    const run = await runCli(["status", "staging"], { cwd: dir, env: { MARATHON_URL: sim.marathonUrl, MARATHON_USERNAME: "ci", MARATHON_PASSWORD: PASSWORD }, timeoutMs: 30_000 });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).not.toContain("http:");
  });
});

describe("a Marathon that never answers", () => {
  it("is named after the first per-request timeout, once, with the bound; then exit 6", { timeout: 60_000 }, async () => {
    const address = silent.address() as { port: number };
    const url = `http://127.0.0.1:${address.port}`;
    const run = await runCli(["--config", "slow.yml", "status", "staging", "--debug"], { cwd: dir, env: { MARATHON_URL: url }, timeoutMs: 60_000 });
    expect(run.code).toBe(6);
    const notices = run.stderr.split("\n").filter((l) => l.startsWith("warning: no answer"));
    expect(notices).toEqual([`warning: no answer from ${url} in 0.3 s, retrying 2/5; giving up after about 5.3 s in all`]);
    expect(run.stderr).toMatch(new RegExp(`http: retry 2/5 of GET ${url}/v2/\\S+ in 250 ms \\(no answer within 300 ms\\)`));
  });
});
