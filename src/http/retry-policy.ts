/**
 * Which failed HTTP attempts may be sent again, as data (STYLE.md rule 6).
 * Only idempotent calls retry: a PUT or POST that timed out may have been
 * applied, and Marathon's DELETE of a deployment starts a revert when repeated
 * without `force`, so neither is ever sent twice blindly. A refused connection
 * is different: nothing was sent, so every method may try the next URL.
 */

/** How an attempt failed, as far as retrying is concerned. */
export type AttemptFailure =
  /** Connection refused, host not found or unreachable: nothing was sent. */
  | "connect"
  /** The connection broke after the request may have been sent. */
  | "reset"
  /** No answer within the request timeout. */
  | "timeout"
  /** The server answered with this HTTP status. */
  | number;

/** One row of the table. */
export interface RetryRule {
  /** Upper-case HTTP methods the row applies to. */
  readonly methods: readonly string[];
  /** Failures that earn another attempt. */
  readonly retryOn: readonly AttemptFailure[];
  /** Waits before the 2nd, 3rd, ... attempt; its length is the number of retries. */
  readonly delaysMs: readonly number[];
}

/** The table: the first row naming a method wins; a method no row names never retries. */
export interface RetryPolicy {
  readonly rules: readonly RetryRule[];
}

/**
 * GETs (reads) retry on transient failures: connection problems, timeouts, and
 * the statuses a Marathon standby or a proxy answers while the leader changes
 * (502 leader unreachable, 503 no leader). Everything else: never.
 */
export const defaultRetryPolicy: RetryPolicy = {
  rules: [
    { methods: ["GET", "HEAD"], retryOn: ["connect", "reset", "timeout", 500, 502, 503, 504], delaysMs: [250, 500, 1000, 2000] },
  ],
};

/**
 * A registry's manifest HEAD and its token GET: reads, so transient failures retry,
 * 429 (registries rate-limit pulls) among them. `delaysMs` gives other waits (tests).
 */
export function registryRetryPolicy(delaysMs: readonly number[] = [250, 1000]): RetryPolicy {
  return { rules: [{ methods: ["GET", "HEAD"], retryOn: ["connect", "reset", "timeout", 429, 500, 502, 503, 504], delaysMs }] };
}

/**
 * GitLab's API: listings and reads retry like Marathon's; DELETEs of runners never do
 * (a runner removed by a request whose answer was lost would be "not found" the second time).
 */
export const gitlabRetryPolicy: RetryPolicy = {
  rules: [{ methods: ["GET", "HEAD"], retryOn: ["connect", "reset", "timeout", 502, 503, 504], delaysMs: [250, 1000] }],
};

/**
 * How long to wait before retry number `retriesSoFar + 1` of a failed attempt,
 * or undefined when the table says not to retry.
 */
export function retryDelay(policy: RetryPolicy, method: string, failure: AttemptFailure, retriesSoFar: number): number | undefined {
  const rule = policy.rules.find((r) => r.methods.includes(method.toUpperCase()));
  if (!rule || !rule.retryOn.includes(failure)) return undefined;
  return rule.delaysMs[retriesSoFar];
}

/** Whether the table would ever retry this method after this failure (ignoring the count). */
export function isRetryable(policy: RetryPolicy, method: string, failure: AttemptFailure): boolean {
  return retryDelay(policy, method, failure, 0) !== undefined;
}

/** How many attempts the table allows for `method` in all (1 when it never retries). */
export function attemptsAllowed(policy: RetryPolicy, method: string): number {
  const rule = policy.rules.find((r) => r.methods.includes(method.toUpperCase()));
  return (rule?.delaysMs.length ?? 0) + 1;
}

/** The sum of the table's waits between attempts for `method`. */
export function retryDelaysTotal(policy: RetryPolicy, method: string): number {
  const rule = policy.rules.find((r) => r.methods.includes(method.toUpperCase()));
  return (rule?.delaysMs ?? []).reduce((sum, ms) => sum + ms, 0);
}

/** What a write's failed answer says about the change it carried. */
export type WriteVerdict =
  /** Nothing reached the server: sending again is safe. */
  | "not-sent"
  /** The server may have applied it: read the resource back before deciding anything. */
  | "may-have-applied"
  /** The server answered and refused it: nothing changed. */
  | "refused";

/**
 * How a failed PUT/POST/DELETE is read, as data: a refused connection sent
 * nothing; a reset, a timeout, a proxy's 502/503/504 (the proxy may have passed
 * the request on before its upstream went away; Marathon's own 503 "leader not
 * available" also lands here, and a read-back settles it) or a 2xx whose body
 * cannot be read ("unreadable-answer": empty, cut, not JSON) may have applied;
 * any other status is the server's refusal.
 */
const WRITE_VERDICTS: ReadonlyMap<AttemptFailure | "unreadable-answer", WriteVerdict> = new Map<AttemptFailure | "unreadable-answer", WriteVerdict>([
  ["connect", "not-sent"],
  ["reset", "may-have-applied"],
  ["timeout", "may-have-applied"],
  [502, "may-have-applied"],
  [503, "may-have-applied"],
  [504, "may-have-applied"],
  ["unreadable-answer", "may-have-applied"],
]);

/** The verdict for one failed write. */
export function writeVerdict(failure: AttemptFailure | "unreadable-answer"): WriteVerdict {
  return WRITE_VERDICTS.get(failure) ?? "refused";
}
