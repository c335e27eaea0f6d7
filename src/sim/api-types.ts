/**
 * The shapes the simulator's REST layer speaks in, apart from the handlers, so the
 * handlers of /v2/apps, /v2/groups, /v2/tasks and the Mesos master share them
 * without importing one another.
 */

/** An answer of the Marathon REST layer before it is written to the socket. */
export interface ApiReply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** Plain text instead of JSON (`/ping`). */
  text?: string;
}

/** A request as the REST layer sees it, read off the socket. */
export interface ApiRequest {
  method: string;
  url: URL;
  body: string;
  remoteAddress: string;
}

/** One entry of the `details` of Marathon's 422 body: a JSON path and what is wrong there. */
export interface ErrorDetail {
  path: string;
  errors: string[];
}
