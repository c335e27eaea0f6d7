/**
 * Fixtures and fakes shared by the GitLab and registry tests: response bodies shaped like
 * GitLab's documented examples (test/fixtures/gitlab), and a runner metrics page.
 */
import { readFileSync } from "node:fs";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Reads a JSON fixture from test/fixtures/gitlab. */
export function gitlabFixture<T = unknown>(name: string): T {
  return JSON.parse(readFileSync(new URL(`./fixtures/gitlab/${name}`, import.meta.url), "utf8")) as T;
}

/** A gitlab-runner metrics page: started `startedSecondsAgo` ago, with request_job counters. */
export function runnerMetricsPage(options: { startedSecondsAgo: number; ok?: number; rejected?: number }): string {
  const started = (Date.now() / 1000 - options.startedSecondsAgo).toFixed(2);
  return [
    "# TYPE gitlab_runner_api_request_statuses_total counter",
    `gitlab_runner_api_request_statuses_total{endpoint="request_job",runner="t1_abc",status="204",system_id="r_0a1b2c3d4e5f"} ${options.ok ?? 25}`,
    `gitlab_runner_api_request_statuses_total{endpoint="request_job",runner="t1_abc",status="403",system_id="r_0a1b2c3d4e5f"} ${options.rejected ?? 0}`,
    "# TYPE process_start_time_seconds gauge",
    `process_start_time_seconds ${started}`,
    "",
  ].join("\n");
}

/** A fresh temporary directory for one test. */
export function scratchDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `mdeploy-${prefix}-`));
}

/** The secrets (plain or base64) that show up in the text; tests expect an empty list. */
export function secretsIn(text: string, secrets: string[]): string[] {
  return secrets.filter((secret) => text.includes(secret) || text.includes(Buffer.from(secret).toString("base64")));
}

/** Requests that would change something on the server; a read-only check sends none. */
export function writesIn(requests: { method: string; url: URL }[]): string[] {
  return requests.filter((r) => !["GET", "HEAD"].includes(r.method)).map((r) => `${r.method} ${r.url.pathname}`);
}
