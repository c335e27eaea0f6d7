/**
 * Reads the few gitlab-runner metrics the health check needs from the Prometheus text
 * format served on `listen_address` (gitlab-runner `docs/monitoring`). Pure: text in, numbers out.
 */

/** What the runner process says about itself. */
export interface RunnerMetricsSummary {
  /** `process_start_time_seconds` in ms since the epoch, when the runner exports it. */
  startedAtMs?: number;
  /** `request_job` calls GitLab answered 401/403: the runner's token is no longer accepted. */
  jobRequestsRejected: number;
  /** `request_job` calls GitLab answered 200/201/204 (a job, or none waiting). */
  jobRequestsSucceeded: number;
  /**
   * The page has at least one `gitlab_runner_` sample. A page without any is some other
   * process's metrics (a sidecar, a wrong port), so it proves nothing about the runner.
   */
  isGitlabRunner: boolean;
}

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const SAMPLE = /^([A-Za-z_:][A-Za-z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/;
const LABEL = /([A-Za-z_][A-Za-z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

function parseSamples(text: string, wanted: ReadonlySet<string>): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split("\n")) {
    if (line.startsWith("#") || line.trim() === "") continue;
    const match = SAMPLE.exec(line);
    if (!match || !wanted.has(match[1] ?? "")) continue;
    const labels: Record<string, string> = {};
    for (const label of (match[2] ?? "").matchAll(LABEL)) labels[label[1] ?? ""] = label[2] ?? "";
    const value = Number(match[3]);
    if (Number.isFinite(value)) samples.push({ name: match[1] ?? "", labels, value });
  }
  return samples;
}

const REJECTED_STATUSES = new Set(["401", "403"]);
const SUCCEEDED_STATUSES = new Set(["200", "201", "204"]);

/** Sums the job-request counters by outcome and picks the process start time. */
export function summarizeRunnerMetrics(text: string): RunnerMetricsSummary {
  const samples = parseSamples(text, new Set(["process_start_time_seconds", "gitlab_runner_api_request_statuses_total"]));
  const summary: RunnerMetricsSummary = { jobRequestsRejected: 0, jobRequestsSucceeded: 0, isGitlabRunner: /^gitlab_runner_[A-Za-z0-9_:]*(?:\{|\s)/m.test(text) };
  for (const sample of samples) {
    if (sample.name === "process_start_time_seconds") {
      summary.startedAtMs = Math.round(sample.value * 1000);
    } else if (sample.labels.endpoint === "request_job") {
      const status = sample.labels.status ?? "";
      if (REJECTED_STATUSES.has(status)) summary.jobRequestsRejected += sample.value;
      else if (SUCCEEDED_STATUSES.has(status)) summary.jobRequestsSucceeded += sample.value;
    }
  }
  return summary;
}
