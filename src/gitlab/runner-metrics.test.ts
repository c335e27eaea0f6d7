import { describe, expect, it } from "vitest";
import { summarizeRunnerMetrics } from "./runner-metrics.js";

const text = [
  "# HELP gitlab_runner_api_request_statuses_total The total number of api requests, partitioned by runner, endpoint and status.",
  "# TYPE gitlab_runner_api_request_statuses_total counter",
  'gitlab_runner_api_request_statuses_total{endpoint="request_job",runner="abc123",status="204",system_id="r_1"} 57',
  'gitlab_runner_api_request_statuses_total{endpoint="request_job",runner="abc123",status="201",system_id="r_1"} 3',
  'gitlab_runner_api_request_statuses_total{endpoint="request_job",runner="abc123",status="403",system_id="r_1"} 2',
  'gitlab_runner_api_request_statuses_total{endpoint="update_job",runner="abc123",status="403",system_id="r_1"} 7',
  'gitlab_runner_api_request_statuses_total{endpoint="request_job",runner="abc123",status="500",system_id="r_1"} 4',
  "# TYPE process_start_time_seconds gauge",
  "process_start_time_seconds 1.79378e+09",
  "go_goroutines 42",
].join("\n");

describe("summarizeRunnerMetrics", () => {
  it("counts request_job outcomes and reads the start time", () => {
    expect(summarizeRunnerMetrics(text)).toEqual({ startedAtMs: 1_793_780_000_000, jobRequestsRejected: 2, jobRequestsSucceeded: 60, isGitlabRunner: true });
  });
  it("reads nothing from a page without those metrics", () => {
    expect(summarizeRunnerMetrics("go_goroutines 1\n")).toEqual({ jobRequestsRejected: 0, jobRequestsSucceeded: 0, isGitlabRunner: false });
  });
  it("a page with only comments naming gitlab_runner_ metrics is not gitlab-runner's", () => {
    expect(summarizeRunnerMetrics("# HELP gitlab_runner_version_info x\n# TYPE gitlab_runner_version_info gauge\ngo_goroutines 1\n").isGitlabRunner).toBe(false);
  });
  it("a runner that has not asked for a job yet still serves gitlab_runner_ metrics", () => {
    expect(summarizeRunnerMetrics('gitlab_runner_version_info{version="17.5.0"} 1\n').isGitlabRunner).toBe(true);
  });
});
