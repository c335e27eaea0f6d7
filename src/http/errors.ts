/**
 * Errors of the HTTP layer that adapters share. They extend the project's typed
 * errors (src/errors.ts), so the CLI entry maps them to exit codes.
 */
import { ExitCode, MdeployError } from "../errors.js";

/**
 * A request that changes state (PUT, POST, DELETE) got no answer in time, or its
 * connection broke after it was sent. The server may have applied it: read the
 * resource before deciding anything (Marathon issue 2476: an app was deployed
 * although the PUT timed out). Never retried automatically.
 */
export class RequestTimedOutError extends MdeployError {
  readonly exitCode = ExitCode.unreachable;
  /** Always true: the point of this error is that the outcome is unknown. */
  readonly mayHaveApplied = true;
  constructor(
    readonly method: string,
    /** Display form of the URL (no user info). */
    readonly url: string,
    /** "timeout": no answer within timeoutMs; "reset": the connection broke mid-request. */
    readonly reason: "timeout" | "reset",
    readonly timeoutMs: number,
  ) {
    super(
      `${method} ${url}: ${reason === "timeout" ? `no answer within ${timeoutMs} ms` : "the connection broke before an answer came"}; the change may or may not have been applied`,
      ["Read the resource's current state before retrying."],
    );
  }
}

/**
 * The server answered 2xx with a body that lacks what mdeploy depends on
 * (wrong service behind the URL, an unsupported version). Lists every problem
 * with its JSON path.
 */
export class UnexpectedResponseError extends MdeployError {
  readonly exitCode = ExitCode.unreachable;
  constructor(
    readonly method: string,
    readonly url: string,
    problems: readonly string[],
  ) {
    super(`${method} ${url}: the answer is not what mdeploy expects (${problems.length} problem${problems.length === 1 ? "" : "s"})`, problems);
  }
}
