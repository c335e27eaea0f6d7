import { describe, expect, it } from "vitest";
import { Writable } from "node:stream";
import { createOutput } from "../cli/output.js";
import { createRedactor } from "../core/redact.js";
import type { AppDefinition, AppStatus, QueueItem, Task } from "../marathon/types.js";
import { defaultTimeoutMs } from "./default-timeout.js";
import { formatStatus, summarizeStatus } from "./describe-status.js";
import { formatDotenvReport, urlFromLabels } from "./dotenv-report.js";
import { explainLastFailure, explainQueue } from "./explain-stall.js";
import { createProgress, progressModeFor } from "./progress.js";
import { countTasks, isVerified } from "./verify-app.js";

const V1 = "2026-01-01T00:00:00.000Z";
const V2 = "2026-01-01T00:10:00.000Z";

function task(version: string, extra: Partial<Task> = {}): Task {
  return { id: `t-${version}-${Math.random()}`, appId: "/a", host: "h", ports: [], stagedAt: null, startedAt: version, version, state: "TASK_RUNNING", healthCheckResults: [{ alive: true, consecutiveFailures: 0, firstSuccess: "x", lastSuccess: "x", lastFailure: null }], ...extra };
}

function app(tasks: Task[], extra: Partial<AppStatus> = {}): AppStatus {
  return { id: "/a", instances: 2, version: V2, versionInfo: { lastScalingAt: V2, lastConfigChangeAt: V2 }, healthChecks: [{ protocol: "HTTP" }], tasksStaged: 0, tasksRunning: tasks.length, tasksHealthy: 0, tasksUnhealthy: 0, deployments: [], tasks, ...extra };
}

describe("isVerified: version, healthy+ready count, nothing old", () => {
  const cases: { name: string; app: AppStatus; verified: boolean }[] = [
    { name: "two healthy of the version", app: app([task(V2), task(V2)]), verified: true },
    { name: "one still starting", app: app([task(V2), task(V2, { state: "TASK_STAGING" })]), verified: false },
    { name: "one unhealthy", app: app([task(V2), task(V2, { healthCheckResults: [{ alive: false, consecutiveFailures: 1, firstSuccess: null, lastSuccess: null, lastFailure: "x" }] })]), verified: false },
    { name: "no health result yet", app: app([task(V2), task(V2, { healthCheckResults: [] })]), verified: false },
    { name: "an old one left", app: app([task(V2), task(V2), task(V1)]), verified: false },
    { name: "app at another version", app: app([task(V2), task(V2)], { version: "2026-01-01T00:20:00.000Z" }), verified: false },
    { name: "not ready", app: app([task(V2, { id: "nr" }), task(V2)], { readinessCheckResults: [{ name: "r", taskId: "nr", ready: false }] }), verified: false },
    {
      name: "a scale-only version keeps the tasks of its configuration",
      app: app([task(V2), task(V2), task("2026-01-01T00:15:00.000Z")], { version: "2026-01-01T00:15:00.000Z", instances: 3, versionInfo: { lastScalingAt: "2026-01-01T00:15:00.000Z", lastConfigChangeAt: V2 } }),
      verified: true,
    },
  ];
  it.each(cases)("$name -> $verified", ({ app: a, verified }) => {
    // The PUT returned the app's own version, except where the app has moved on since.
    const putVersion = a.version === "2026-01-01T00:20:00.000Z" ? V2 : a.version;
    expect(isVerified(a, putVersion)).toBe(verified);
  });
  it("counts new and old", () => {
    expect(countTasks(app([task(V2), task(V1), task(V1, { state: "TASK_KILLED" })]), V2)).toEqual({ healthyNew: 1, runningNew: 1, runningOld: 1, instances: 2 });
  });
});

describe("defaultTimeoutMs comes from the health checks", () => {
  const cases: { name: string; app: AppDefinition; steps: number; seconds: number }[] = [
    { name: "no health check: the floor", app: { id: "/a" }, steps: 1, seconds: 120 },
    { name: "Marathon's defaults", app: { id: "/a", healthChecks: [{}] }, steps: 1, seconds: 2 * (60 + 300 + 60 * 4 + 20) },
    { name: "click-count's checks", app: { id: "/a", healthChecks: [{ gracePeriodSeconds: 120, intervalSeconds: 15, timeoutSeconds: 5, maxConsecutiveFailures: 3 }] }, steps: 1, seconds: 2 * 245 },
    { name: "three rounds", app: { id: "/a", healthChecks: [{ gracePeriodSeconds: 30, intervalSeconds: 10, timeoutSeconds: 5, maxConsecutiveFailures: 2 }] }, steps: 3, seconds: 4 * 125 },
    { name: "readiness adds two intervals", app: { id: "/a", healthChecks: [{ gracePeriodSeconds: 30, intervalSeconds: 10, timeoutSeconds: 5, maxConsecutiveFailures: 2 }], readinessChecks: [{ intervalSeconds: 20 }] }, steps: 1, seconds: 2 * 165 },
  ];
  it.each(cases)("$name", ({ app: a, steps, seconds }) => {
    const plan = { steps: Array.from({ length: steps }, () => ({ action: "start 1 new instance", oldRunning: 0, newRunning: 1, healthy: 0 })) };
    expect(defaultTimeoutMs(a, plan)).toBe(seconds * 1000);
  });
});

describe("dotenv report", () => {
  it("has the four variables, empty when unknown", () => {
    expect(formatDotenvReport({ version: V2, deploymentId: "d-1" })).toBe(`MDEPLOY_VERSION=${V2}\nMDEPLOY_PREVIOUS_VERSION=\nMDEPLOY_DEPLOYMENT_ID=d-1\nMDEPLOY_URL=\n`);
  });
  it("cannot be broken by a newline in a value", () => {
    expect(formatDotenvReport({ version: "v\nEVIL=1", deploymentId: "d", url: "http://x" })).not.toMatch(/^EVIL=/m);
  });
  const urls: [Record<string, string>, string | undefined][] = [
    [{ "traefik.http.routers.web.rule": "Host(`click.example.com`)" }, "http://click.example.com"],
    [{ "traefik.http.routers.web.rule": "Host(`click.example.com`)", "traefik.http.routers.web.tls": "true" }, "https://click.example.com"],
    [{ "traefik.enable": "true" }, undefined],
  ];
  it.each(urls)("URL from Traefik labels %o", (labels, url) => {
    expect(urlFromLabels(labels)).toBe(url);
  });
});

describe("why a deployment waits", () => {
  const item = (extra: Partial<QueueItem> = {}): QueueItem => ({
    app: { id: "/a" },
    count: 1,
    delay: { timeLeftSeconds: 0, overdue: true },
    since: V1,
    processedOffersSummary: {
      processedOffersCount: 3,
      unusedOffersCount: 3,
      rejectSummaryLastOffers: [
        { reason: "UnfulfilledConstraint", declined: 2, processed: 3 },
        { reason: "InsufficientMemory", declined: 1, processed: 1 },
        { reason: "InsufficientCpus", declined: 0, processed: 0 },
      ],
      rejectSummaryLaunchAttempt: [],
    },
    ...extra,
  });
  it("names the declined offers, most first", () => {
    expect(explainQueue([item()], "/a")).toEqual([
      "1 instance waiting to launch for a matching offer",
      "last offers declined: UnfulfilledConstraint x2 (the app's constraints excluded the agent), InsufficientMemory x1 (not enough memory free)",
    ]);
  });
  it("says when Marathon's backoff delays the launch", () => {
    expect(explainQueue([item({ delay: { timeLeftSeconds: 12.4, overdue: false } })], "a")[0]).toMatch(/relaunch delayed 12 s/);
  });
  it("says nothing for an app not in the queue", () => {
    expect(explainQueue([item()], "/b")).toEqual([]);
  });
  it("lastTaskFailure of the version asked about", () => {
    const a = app([], { lastTaskFailure: { appId: "/a", host: "staging", message: "Memory limit exceeded", state: "TASK_FAILED", taskId: "t", timestamp: V2, version: V2 } });
    expect(explainLastFailure(a, V2)).toEqual([`last task failure on staging at ${V2}: TASK_FAILED: Memory limit exceeded`]);
    expect(explainLastFailure(a, V1)).toEqual([]);
  });
});

describe("status", () => {
  it("summarises version, health, the running deployment and its step", () => {
    const a = app([task(V2)], { tasksHealthy: 1, tasksRunning: 1, instances: 2 });
    const summary = summarizeStatus(a, [{ id: "d-1", version: V2, affectedApps: ["/a"], affectedPods: [], steps: [], currentActions: [{ action: "RestartApplication", app: "/a" }], currentStep: 1, totalSteps: 1 }], []);
    expect(formatStatus("staging", summary)).toEqual([`staging: /a version ${V2} (no image or command, 2 instances)`, "  instances: 1/2 healthy, 1 running (0 unhealthy, 0 staging)", "  deployment d-1: step 1/1 RestartApplication"]);
  });
});

describe("progress output", () => {
  const capture = () => {
    let text = "";
    const stream = new Writable({
      write(chunk: Buffer, _e, done) {
        text += chunk.toString();
        done();
      },
    });
    return { output: createOutput({ stdout: stream, stderr: stream, redactor: createRedactor(["hunter2-secret"]) }), text: () => text };
  };
  const clock = { now: () => 1_700_000_000_000, sleep: async () => undefined };
  it("GitLab: collapsible sections with the job log's markers", () => {
    const c = capture();
    const p = createProgress(c.output, "gitlab", clock);
    p.start("deploy", "staging: deploy /a");
    p.update("1/1 healthy");
    p.update("1/1 healthy");
    p.end("deploy");
    expect(c.text()).toBe("\u001b[0Ksection_start:1700000000:deploy[collapsed=false]\r\u001b[0Kstaging: deploy /a\n1/1 healthy\n\u001b[0Ksection_end:1700000000:deploy\r\u001b[0K");
  });
  it("terminal: one line rewritten in place, closed before the next lasting line", () => {
    const c = capture();
    const p = createProgress(c.output, "tty", clock);
    p.update("0/1 healthy");
    p.update("1/1 healthy");
    p.line("done with hunter2-secret");
    expect(c.text()).toBe("\r\u001b[2K0/1 healthy\r\u001b[2K1/1 healthy\ndone with [REDACTED]\n");
  });
  it("picks GitLab sections in CI, the updating line on a terminal", () => {
    expect(progressModeFor({ CI: "true" }, true)).toBe("gitlab");
    expect(progressModeFor({}, true)).toBe("tty");
    expect(progressModeFor({}, false)).toBe("plain");
  });
});
