import { describe, expect, it } from "vitest";
import { defaultRetryPolicy, gitlabRetryPolicy, isRetryable, registryRetryPolicy, retryDelay, writeVerdict, type AttemptFailure } from "./retry-policy.js";

describe("the default retry table", () => {
  const cases: { method: string; failure: AttemptFailure; retries: boolean }[] = [
    { method: "GET", failure: "connect", retries: true },
    { method: "GET", failure: "reset", retries: true },
    { method: "GET", failure: "timeout", retries: true },
    { method: "GET", failure: 503, retries: true },
    { method: "GET", failure: 502, retries: true },
    { method: "GET", failure: 404, retries: false },
    { method: "GET", failure: 409, retries: false },
    { method: "PUT", failure: "timeout", retries: false },
    { method: "PUT", failure: 503, retries: false },
    { method: "POST", failure: "reset", retries: false },
    { method: "DELETE", failure: 502, retries: false },
    { method: "DELETE", failure: "timeout", retries: false },
  ];
  for (const c of cases) {
    it(`${c.method} after ${c.failure}: ${c.retries ? "retries" : "never"}`, () => expect(isRetryable(defaultRetryPolicy, c.method, c.failure)).toBe(c.retries));
  }

  it("waits longer each time and stops after the last delay", () => {
    expect([0, 1, 2, 3, 4].map((n) => retryDelay(defaultRetryPolicy, "get", 503, n))).toEqual([250, 500, 1000, 2000, undefined]);
  });
});

describe("what a failed write says about the change", () => {
  const cases: { failure: Parameters<typeof writeVerdict>[0]; verdict: ReturnType<typeof writeVerdict> }[] = [
    { failure: "connect", verdict: "not-sent" },
    { failure: "reset", verdict: "may-have-applied" },
    { failure: "timeout", verdict: "may-have-applied" },
    { failure: 502, verdict: "may-have-applied" },
    { failure: 503, verdict: "may-have-applied" },
    { failure: 504, verdict: "may-have-applied" },
    { failure: "unreadable-answer", verdict: "may-have-applied" },
    { failure: 409, verdict: "refused" },
    { failure: 422, verdict: "refused" },
    { failure: 500, verdict: "refused" },
  ];
  for (const c of cases) it(`${c.failure}: ${c.verdict}`, () => expect(writeVerdict(c.failure)).toBe(c.verdict));
});

describe("the GitLab and registry rows of the table", () => {
  it("a registry's reads retry on 429 (pull rate limits) with the delays given; nothing else is a read there", () => {
    const policy = registryRetryPolicy([5, 10]);
    expect([retryDelay(policy, "HEAD", 429, 0), retryDelay(policy, "HEAD", 429, 1), retryDelay(policy, "HEAD", 429, 2)]).toEqual([5, 10, undefined]);
    expect(isRetryable(policy, "GET", "timeout")).toBe(true);
    expect(isRetryable(policy, "HEAD", 404)).toBe(false);
    expect(isRetryable(registryRetryPolicy([]), "HEAD", "connect")).toBe(false);
  });

  it("GitLab: listings retry on transient failures, a runner's removal never does", () => {
    expect(isRetryable(gitlabRetryPolicy, "GET", 503)).toBe(true);
    expect(isRetryable(gitlabRetryPolicy, "GET", 404)).toBe(false);
    for (const failure of ["connect", "reset", "timeout", 503] as const) expect(isRetryable(gitlabRetryPolicy, "DELETE", failure)).toBe(false);
  });
});
