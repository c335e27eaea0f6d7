/**
 * Which failures of a Marathon call the deploy engine survives, named once so
 * no catch turns every error into a fallback (STYLE.md "Shapes to avoid").
 */
import { UnreachableError } from "../errors.js";
import { RequestTimedOutError, UnexpectedResponseError } from "../http/errors.js";
import { writeVerdict, type WriteVerdict } from "../http/retry-policy.js";
import { MarathonApiError, MarathonAuthError } from "../marathon/client.js";

/**
 * A read that failed for a reason that can pass: no answer, a 5xx, a garbled
 * body (the client already retried). Wrong credentials, a 4xx and bugs are not.
 */
export function isTransientReadFailure(error: unknown): boolean {
  if (error instanceof MarathonAuthError) return false;
  if (error instanceof MarathonApiError) return error.status >= 500;
  return error instanceof UnreachableError || error instanceof RequestTimedOutError || error instanceof UnexpectedResponseError;
}

/**
 * What a failed PUT/POST tells about the change (src/http/retry-policy.ts
 * `writeVerdict`), or undefined for failures that are not about delivery
 * (wrong credentials, bugs): those surface as they are.
 */
export function verdictOfWriteFailure(error: unknown): WriteVerdict | undefined {
  if (error instanceof MarathonAuthError) return undefined;
  if (error instanceof RequestTimedOutError) return error.mayHaveApplied ? writeVerdict(error.reason) : "not-sent";
  if (error instanceof UnexpectedResponseError) return writeVerdict("unreadable-answer");
  if (error instanceof MarathonApiError) return writeVerdict(error.status);
  // A refused connection sent nothing, but the client also reports a body cut off
  // mid-answer or a TLS failure as unreachable; one read settles which it was.
  if (error instanceof UnreachableError) return "may-have-applied";
  return undefined;
}

/** The message of an error for a line of output. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
