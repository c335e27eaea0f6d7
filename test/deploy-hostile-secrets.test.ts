/**
 * Secrets on the rollback paths, as CI runs the built CLI: Marathon behind basic
 * auth (MARATHON_PASSWORD) and an app whose env holds a secret value. A deploy
 * that fails and rolls back, and a `mdeploy rollback`, each with --json, --debug
 * and a report, must not show either value anywhere.
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, expect, it } from "vitest";
import { defaultCluster, startSimulator, type Simulator } from "../src/sim/index.js";
import { runCli } from "./helpers/run-cli.js";

const PASSWORD = "pw-4f9c1e7a-marathon";
const REDIS_PASSWORD = "redis-8d2b6c0f-secret";
/** The value before it was rotated: what the version a rollback restores still holds. */
const OLD_REDIS_PASSWORD = "redis-old-31a7e95d-secret";
const CONFIG = `environments:
  staging:
    template: app.json.hbs
`;
const TEMPLATE = `{
  "id": "/staging/click-count", "instances": 1, "cpus": 0.25, "mem": 300,
  "container": { "type": "DOCKER", "docker": { "image": "registry.example.com/demo/click-count:{{str env.CI_COMMIT_TAG}}" } },
  "env": { "REDIS_URL": "redis://:{{str env.REDIS_PASSWORD}}@redis:6379" },
  "constraints": [["type", "CLUSTER", "staging"]],
  "healthChecks": [{ "protocol": "MESOS_HTTP", "path": "/", "gracePeriodSeconds": 30, "intervalSeconds": 5, "timeoutSeconds": 2, "maxConsecutiveFailures": 2 }]
}
`;

let sim: Simulator | undefined;
let dir: string | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

it("a failed deploy rolled back and a mdeploy rollback, with --json --debug and a report: no password or secret value anywhere", { timeout: 60_000 }, async () => {
  sim = await startSimulator({ cluster: { ...defaultCluster(), credentials: { username: "ci", password: PASSWORD } }, speed: 2000 });
  dir = await mkdtemp(path.join(tmpdir(), "mdeploy-hostile-secrets-"));
  await writeFile(path.join(dir, "mdeploy.yml"), CONFIG);
  await writeFile(path.join(dir, "app.json.hbs"), TEMPLATE);
  const env = (tag: string, redis: string) => ({ MARATHON_URL: sim?.marathonUrl, MESOS_URL: sim?.mesosUrl, MARATHON_USERNAME: "ci", MARATHON_PASSWORD: PASSWORD, REDIS_PASSWORD: redis, CI_COMMIT_TAG: tag });
  const cli = (args: string[], tag: string, redis = REDIS_PASSWORD) => runCli(args, { cwd: dir as string, env: env(tag, redis), timeoutMs: 60_000 });
  const report = (name: string) => path.join(dir as string, name);

  const first = await cli(["staging", "--no-image-check", "--dotenv", ""], "1.0.0", OLD_REDIS_PASSWORD);
  expect(first.code, first.stderr).toBe(0);
  const second = await cli(["staging", "--no-image-check", "--dotenv", ""], "1.1.0");
  expect(second.code, second.stderr).toBe(0);
  const failed = await cli(["staging", "--no-image-check", "--dotenv", "", "--json", "--debug", "--report", report("deploy.html")], "broken", "redis-new-77c0-secret");
  expect(failed.code, failed.stderr).toBe(1);
  const rollback = await cli(["rollback", "staging", "--json", "--debug", "--report", report("rollback.html")], "1.0.0");
  expect(rollback.code, rollback.stderr).toBe(0);

  const everything = [failed.stdout, failed.stderr, rollback.stdout, rollback.stderr, await readFile(report("deploy.html"), "utf8"), await readFile(report("rollback.html"), "utf8")].join("\n");
  expect(everything).toMatch(/http: PUT /);
  expect(everything).not.toContain(PASSWORD);
  expect(everything).not.toContain(REDIS_PASSWORD);
  expect(everything).not.toContain(OLD_REDIS_PASSWORD);
  expect(everything).not.toContain(Buffer.from(`ci:${PASSWORD}`).toString("base64"));
});
