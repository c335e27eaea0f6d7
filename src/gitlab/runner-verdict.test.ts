import { describe, expect, it } from "vitest";
import { judgeJobRequests, judgeRunnerHealth, type HealthInputs } from "./runner-verdict.js";
import type { RunnerDetails } from "./types.js";

const NOW = Date.parse("2026-11-22T06:00:00Z");
const runner = (over: Partial<RunnerDetails> = {}): RunnerDetails => ({
  id: 6,
  description: "marathon-runner",
  paused: false,
  status: "online",
  contacted_at: "2026-11-22T05:30:00Z",
  ...over,
});
const upProcess = { kind: "up" as const, startedAtMs: NOW - 3_600_000, jobRequestsRejected: 0, jobRequestsSucceeded: 40 };
const base: HealthInputs = { gitlab: { kind: "runner", runner: runner() }, process: upProcess, nowMs: NOW, graceMs: 300_000, strict: false };

describe("judgeRunnerHealth", () => {
  it.each<[string, Partial<HealthInputs>, boolean, RegExp]>([
    ["active and polling", {}, true, /^healthy: process answers, runner 6 active \(online\)$/],
    ["paused", { gitlab: { kind: "runner", runner: runner({ paused: true }) } }, false, /runner 6 is paused/],
    ["deleted", { gitlab: { kind: "not-found", runnerId: 6 } }, false, /no longer exists in GitLab \(404 from its API\)/],
    ["stale", { gitlab: { kind: "runner", runner: runner({ status: "stale" }) } }, false, /runner 6 is stale/],
    ["never contacted past grace", { gitlab: { kind: "runner", runner: runner({ status: "never_contacted", contacted_at: null }) } }, false, /never contacted GitLab \(started 3600 s ago\)/],
    [
      "never contacted inside grace",
      { gitlab: { kind: "runner", runner: runner({ status: "never_contacted" }) }, process: { ...upProcess, startedAtMs: NOW - 60_000 } },
      true,
      /inside start-up grace \(started 60 s ago\)/,
    ],
    [
      "never contacted and start time unknown counts as past grace",
      { gitlab: { kind: "runner", runner: runner({ status: "never_contacted" }) }, process: { kind: "up", jobRequestsRejected: 0, jobRequestsSucceeded: 0 } },
      false,
      /never contacted/,
    ],
    ["offline is not judged (GitLab's status lags)", { gitlab: { kind: "runner", runner: runner({ status: "offline" }) } }, true, /active \(offline\)/],
    ["token rejected by GitLab on job requests", { process: { ...upProcess, jobRequestsRejected: 3, jobRequestsSucceeded: 0 } }, false, /rejects this runner's job requests/],
    ["metrics down", { process: { kind: "down", url: "http://127.0.0.1:9252/metrics", reason: "ECONNREFUSED" } }, false, /metrics at http:\/\/127.0.0.1:9252\/metrics do not answer: ECONNREFUSED/],
    ["GitLab down", { gitlab: { kind: "unjudged", reason: "503 Service Unavailable" } }, true, /^healthy: process answers; warning: GitLab unreachable or misconfigured, not judged: 503/],
    ["GitLab down with --strict", { gitlab: { kind: "unjudged", reason: "timed out" }, strict: true }, false, /GitLab unreachable or misconfigured \(--strict\): timed out/],
    ["verify rejects the token", { gitlab: { kind: "token-rejected", status: 403 } }, false, /rejects the runner's token \(403/],
    ["verify says orphaned", { gitlab: { kind: "token-rejected", status: 422 } }, false, /orphaned/],
    ["verify accepts the token", { gitlab: { kind: "token-valid", runnerId: 12 } }, true, /runner 12 token valid/],
    ["GitLab not asked: its view from the runner's job requests", { gitlab: { kind: "not-asked" } }, true, /^healthy: process answers, GitLab accepts its job requests \(40 answered, from the runner's metrics\)$/],
    ["GitLab not asked, token rejected on job requests", { gitlab: { kind: "not-asked" }, process: { ...upProcess, jobRequestsRejected: 2, jobRequestsSucceeded: 0 } }, false, /rejects this runner's job requests/],
    [
      "GitLab not asked, no job request answered yet past the grace: a warning",
      { gitlab: { kind: "not-asked" }, process: { ...upProcess, jobRequestsSucceeded: 0 } },
      true,
      /warning: GitLab unreachable or misconfigured, not judged: the runner's metrics show no job request answered/,
    ],
    ["GitLab not asked, nothing answered, --strict", { gitlab: { kind: "not-asked" }, process: { ...upProcess, jobRequestsSucceeded: 0 }, strict: true }, false, /\(--strict\)/],
    ["a 200 page without gitlab_runner_ metrics", { process: { kind: "not-runner", url: "http://127.0.0.1:9252/metrics" } }, false, /answers without any gitlab_runner_ metric/],
    ["status paused (REST) with the paused field missing", { gitlab: { kind: "runner", runner: { ...runner(), status: "paused", paused: false } } }, false, /runner 6 is paused/],
    ["14.x not_connected is never contacted", { gitlab: { kind: "runner", runner: runner({ status: "not_connected", contacted_at: null }) } }, false, /has never contacted GitLab/],
    ["14.x active with a recent contact is active", { gitlab: { kind: "runner", runner: runner({ status: "active" }) } }, true, /runner 6 active \(active\)/],
    ["14.x active silent for 8 days is stale", { gitlab: { kind: "runner", runner: runner({ status: "active", contacted_at: "2026-11-14T05:00:00Z" }) } }, false, /runner 6 is stale/],
  ])("%s", (_name, over, healthy, reason) => {
    const verdict = judgeRunnerHealth({ ...base, ...over });
    expect(verdict.healthy).toBe(healthy);
    expect(verdict.reason).toMatch(reason);
    expect(verdict.reason.startsWith(healthy ? "healthy: " : "unhealthy: ")).toBe(true);
    expect(verdict.reason).not.toContain("\n");
  });

  describe("this container's manager", () => {
    const managers = [
      { id: 1, system_id: "s_other", status: "online", contacted_at: null },
      { id: 2, system_id: "r_mine", status: "stale", contacted_at: null },
    ];
    it("is the one judged, not another container's", () => {
      const verdict = judgeRunnerHealth({ ...base, gitlab: { kind: "runner", runner: runner(), managers, systemId: "r_mine" } });
      expect(verdict).toMatchObject({ healthy: false });
      expect(verdict.reason).toMatch(/manager r_mine of runner 6 is stale/);
    });
    it("missing past grace is unhealthy", () => {
      const verdict = judgeRunnerHealth({ ...base, gitlab: { kind: "runner", runner: runner(), managers, systemId: "r_new" } });
      expect(verdict.reason).toMatch(/no manager with system_id r_new/);
      expect(verdict.healthy).toBe(false);
    });
    it("missing inside grace is healthy", () => {
      const verdict = judgeRunnerHealth({
        ...base,
        process: { ...upProcess, startedAtMs: NOW - 10_000 },
        gitlab: { kind: "runner", runner: runner(), managers, systemId: "r_new" },
      });
      expect(verdict.healthy).toBe(true);
    });
    it("online is healthy", () => {
      const verdict = judgeRunnerHealth({ ...base, gitlab: { kind: "runner", runner: runner(), managers, systemId: "s_other" } });
      expect(verdict.reason).toMatch(/manager s_other online/);
      expect(verdict.healthy).toBe(true);
    });
    it("an endpoint GitLab does not have is skipped", () => {
      const verdict = judgeRunnerHealth({ ...base, gitlab: { kind: "runner", runner: runner(), managers: "unavailable", systemId: "r_mine" } });
      expect(verdict.healthy).toBe(true);
    });
  });
});

describe("judgeJobRequests", () => {
  it.each([
    ["first look, only rejections", { rejected: 3, succeeded: 0 }, undefined, true],
    ["first look, successes too", { rejected: 3, succeeded: 9 }, undefined, false],
    ["new rejections, no new success", { rejected: 5, succeeded: 9 }, { rejected: 3, succeeded: 9, rejecting: false }, true],
    ["runner backed off after rejections: still rejecting", { rejected: 5, succeeded: 9 }, { rejected: 5, succeeded: 9, rejecting: true }, true],
    ["a success clears it", { rejected: 5, succeeded: 10 }, { rejected: 5, succeeded: 9, rejecting: true }, false],
    ["counters went down: runner restarted, old state dropped", { rejected: 0, succeeded: 1 }, { rejected: 5, succeeded: 9, rejecting: true }, false],
  ])("%s", (_name, current, previous, rejecting) => {
    expect(judgeJobRequests(current, previous).rejecting).toBe(rejecting);
  });
});
