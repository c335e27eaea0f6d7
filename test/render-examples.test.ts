/**
 * The shipped examples render and validate: click-count for staging and
 * production from the root mdeploy.yml, and the cluster's own services
 * (gitlab-runner, traefik) from marathon/cluster.mdeploy.yml.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AppDefinition } from "../src/marathon/types.js";
import { runCli } from "./helpers/run-cli.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
let out: string;

beforeAll(async () => {
  out = await mkdtemp(path.join(tmpdir(), "mdeploy-examples-"));
});
afterAll(async () => {
  await rm(out, { recursive: true, force: true });
});

async function artifact(name: string): Promise<AppDefinition> {
  return JSON.parse(await readFile(path.join(out, `marathon_app_${name}.json`), "utf8")) as AppDefinition;
}

describe("example apps", () => {
  it("renders click-count for staging and production as the original cluster ran it", async () => {
    const run = await runCli(["render", "staging", "production", "--out-dir", out], { cwd: ROOT, env: { CI_REGISTRY_IMAGE: "registry.example.com/demo/click-count", CI_COMMIT_SHA: "0123abcd" } });
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    for (const environment of ["staging", "production"]) {
      const app = await artifact(environment);
      expect(app.id).toBe(`/${environment}/click-count`);
      expect(app.mem).toBe(300);
      expect(app.container?.type).toBe("DOCKER");
      expect(app.container?.docker?.image).toBe("registry.example.com/demo/click-count:0123abcd");
      expect(app.networks).toEqual([{ mode: "container/bridge" }]);
      expect(app.container?.portMappings?.[0]?.containerPort).toBe(8080);
      expect(app.healthChecks?.[0]).toMatchObject({ protocol: "MESOS_HTTP", path: "/", portIndex: 0 });
      expect(app.constraints).toEqual([["type", "CLUSTER", environment]]);
      expect(app.labels?.["traefik.frontend.rule"]).toMatch(/^Host:click-count\.(staging\.)?example\.com$/);
      expect(app.env?.REDIS_HOST).toMatch(/^redis\./);
    }
  });

  it("renders the cluster services: a runner checked by mdeploy runner-health, one Traefik per node", async () => {
    const run = await runCli(["--config", "marathon/cluster.mdeploy.yml", "render", "gitlab-runner", "traefik", "--out-dir", out], { cwd: ROOT, env: { GITLAB_RUNNER_TOKEN: "glrt-example-token" } });
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const runner = await artifact("gitlab-runner");
    expect(runner.healthChecks).toEqual([expect.objectContaining({ protocol: "COMMAND", command: { value: expect.stringMatching(/^mdeploy runner-health\b/) } })]);
    expect(runner.env?.GITLAB_RUNNER_TOKEN).toBe("[[mdeploy-secret:GITLAB_RUNNER_TOKEN]]");
    const traefik = await artifact("traefik");
    expect(traefik.instances).toBe("per-agent");
    expect(traefik.constraints).toEqual([["hostname", "UNIQUE"]]);
    expect(traefik.portDefinitions?.map((p) => p.port)).toEqual([80, 443]);
    expect(traefik.requirePorts).toBe(true);
    // Left to deploy's auto, which knows N from the agents and keeps N-1 up (one node at a time).
    expect(traefik.upgradeStrategy).toBeUndefined();
  });
});
