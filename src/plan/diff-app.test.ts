import { describe, expect, it } from "vitest";
import { createRedactor } from "../core/redact.js";
import type { AppDefinition } from "../marathon/types.js";
import { diffApps, formatDiff } from "./diff-app.js";

/** What Marathon answers for an app created from `{id, cmd, mem}`: every default filled in, plus state. */
const marathonView: AppDefinition = {
  id: "/click-count",
  cmd: null,
  args: null,
  user: null,
  env: { LOG_LEVEL: "info", DB_PASSWORD: "hunter2-very-secret" },
  instances: 1,
  cpus: 1,
  mem: 300,
  disk: 0,
  gpus: 0,
  executor: "",
  constraints: [],
  uris: [],
  fetch: [],
  storeUrls: [],
  backoffSeconds: 1,
  backoffFactor: 1.15,
  maxLaunchDelaySeconds: 3600,
  container: { type: "DOCKER", volumes: [], docker: { image: "click-count:1", forcePullImage: false, privileged: false, parameters: [] } },
  healthChecks: [{ protocol: "HTTP", path: "/", portIndex: 0, gracePeriodSeconds: 300, intervalSeconds: 60, timeoutSeconds: 20, maxConsecutiveFailures: 3, ignoreHttp1xx: false }],
  readinessChecks: [],
  dependencies: [],
  upgradeStrategy: { minimumHealthCapacity: 1, maximumOverCapacity: 1 },
  labels: {},
  acceptedResourceRoles: null as unknown as string[],
  version: "2026-01-01T00:00:00.000Z",
  versionInfo: { lastScalingAt: "2026-01-01T00:00:00.000Z", lastConfigChangeAt: "2026-01-01T00:00:00.000Z" },
  killSelection: "YOUNGEST_FIRST",
  unreachableStrategy: { inactiveAfterSeconds: 0, expungeAfterSeconds: 0 },
  portDefinitions: [{ port: 10000, protocol: "tcp", name: "default", labels: {} }],
  ports: [10000],
  requirePorts: false,
  role: "*",
  tasksStaged: 0,
  tasksRunning: 1,
  tasksHealthy: 1,
  tasksUnhealthy: 0,
  deployments: [],
  tasks: [],
};

const rendered: AppDefinition = {
  id: "/click-count",
  mem: 300,
  env: { LOG_LEVEL: "info", DB_PASSWORD: "hunter2-very-secret" },
  container: { docker: { image: "click-count:1" } },
  healthChecks: [{ protocol: "HTTP" }],
};

describe("diffApps", () => {
  it("Marathon's defaults and state are not changes", () => {
    expect(diffApps(marathonView, rendered)).toEqual([]);
  });

  const cases: { name: string; after: AppDefinition; lines: string[] }[] = [
    { name: "image", after: { ...rendered, container: { docker: { image: "click-count:2" } } }, lines: ['~ container.docker.image: "click-count:1" -> "click-count:2"'] },
    { name: "added label", after: { ...rendered, labels: { team: "web" } }, lines: ['+ labels: {"team":"web"}'] },
    { name: "health check path", after: { ...rendered, healthChecks: [{ protocol: "HTTP", path: "/health" }] }, lines: ['+ healthChecks[0].path: "/health"'] },
    { name: "removed env", after: { ...rendered, env: { DB_PASSWORD: "hunter2-very-secret" } }, lines: ['- env.LOG_LEVEL: "info"'] },
    { name: "secret env changed shows no value", after: { ...rendered, env: { LOG_LEVEL: "info", DB_PASSWORD: "correct-horse-battery" } }, lines: ["~ env.DB_PASSWORD: changed (secret value hidden)"] },
    { name: "instances", after: { ...rendered, instances: 2 }, lines: ["+ instances: 2"] },
    { name: "explicit port 0 matches the assigned port", after: { ...rendered, portDefinitions: [{ port: 0, name: "default" }] }, lines: [] },
  ];
  it.each(cases)("$name", ({ after, lines }) => {
    const changes = diffApps(marathonView, after);
    expect(lines.length === 0 ? changes : formatDiff(changes)).toEqual(lines);
  });

  it("a new app shows every field it sets, secrets hidden", () => {
    const text = formatDiff(diffApps(undefined, rendered)).join("\n");
    expect(text).toContain('+ container: {"docker":{"image":"click-count:1"}}');
    expect(text).toContain('+ healthChecks: [{"protocol":"HTTP"}]');
    expect(text).toContain('"DB_PASSWORD":"[REDACTED]"');
    expect(text).not.toContain("hunter2");
  });

  it("values the redactor knows are hidden wherever they appear", () => {
    const redactor = createRedactor(["s3cr3t-token-value"]);
    const after = { ...rendered, cmd: "run --token s3cr3t-token-value" };
    const text = formatDiff(diffApps(marathonView, after, { redact: redactor.redact })).join("\n");
    expect(text).toBe('+ cmd: "run --token [REDACTED]"');
  });

  it("a rotated secret inside a plain variable: the old value (unknown to the redactor) is hidden too", () => {
    const redactor = createRedactor(["new-redis-pw"]);
    const before = { ...marathonView, env: { ...marathonView.env, REDIS_URL: "redis://:old-redis-pw@redis" } };
    const after = { ...rendered, env: { ...rendered.env, REDIS_URL: "redis://:new-redis-pw@redis" } };
    const text = formatDiff(diffApps(before, after, { redact: redactor.redact })).join("\n");
    expect(text).toContain("~ env.REDIS_URL: changed (secret value hidden)");
    expect(text).not.toContain("old-redis-pw");
  });

  it("says so when nothing changes", () => {
    expect(formatDiff([])).toEqual(["no changes to the app definition"]);
  });
});
