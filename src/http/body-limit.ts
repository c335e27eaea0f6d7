/**
 * Bounded reading of HTTP answers. A proxy, a misrouted URL or a server gone
 * wrong can send an answer that never ends; reading it whole would take the
 * process's memory with it. Every adapter reads with a cap that fits what it
 * asks for (the caps are stated where each adapter is built), and an answer
 * past it is a typed error naming the request, read no further.
 */
import { UnreachableError } from "../errors.js";

/**
 * An answer grew past the cap for its request. Exit 6, with the other "the service
 * did not answer as a service should" failures: nothing was learned from it.
 */
export class ResponseTooLargeError extends UnreachableError {
  constructor(
    readonly method: string,
    /** Display form of the URL (no user info). */
    readonly url: string,
    readonly maxBytes: number,
  ) {
    super(`${method} ${url}: the answer is larger than ${formatByteCap(maxBytes)}; mdeploy stopped reading it there`, [
      "An answer that large is not what this service sends for this request: check that the URL points at the service and not at a proxy or a download.",
    ]);
  }
}

/** "64 MB", "512 KB", "100 bytes". */
export function formatByteCap(bytes: number): string {
  if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KB`;
  return `${bytes} bytes`;
}

/** Which request a cap applies to, for the error's message. */
export interface BodyLimit {
  method: string;
  url: string;
  maxBytes: number;
}

/** Collects body chunks up to the cap; `push` throws ResponseTooLargeError past it. */
export function createBodyCollector(limit: BodyLimit): { push(chunk: Uint8Array): void; text(): string } {
  const chunks: Uint8Array[] = [];
  let size = 0;
  return {
    push(chunk) {
      size += chunk.byteLength;
      if (size > limit.maxBytes) throw new ResponseTooLargeError(limit.method, limit.url, limit.maxBytes);
      chunks.push(chunk);
    },
    text: () => Buffer.concat(chunks).toString("utf8"),
  };
}

/**
 * Reads a fetch Response's body as text, at most `limit.maxBytes`: past it the
 * body is cancelled (the connection stops) and ResponseTooLargeError is thrown;
 * a body that breaks off is UnreachableError.
 * The one place fetch-based adapters (GitLab, the registry) read bodies.
 */
export async function readFetchBody(response: Response, limit: BodyLimit): Promise<string> {
  const collector = createBodyCollector(limit);
  if (!response.body) return "";
  const reader = response.body.getReader();
  try {
    for (;;) {
      let chunk: Awaited<ReturnType<typeof reader.read>>;
      try {
        chunk = await reader.read();
      } catch (error) {
        // fetch reports a body that breaks off (reset, abort, timeout) as a bare TypeError or AbortError.
        const cause = (error as { cause?: { code?: unknown } }).cause?.code ?? (error as Error).name;
        throw new UnreachableError(`${limit.method} ${limit.url}: the answer broke off (${String(cause)})`, [], { cause: error });
      }
      if (chunk.done) return collector.text();
      collector.push(chunk.value);
    }
  } catch (error) {
    // Stop the transfer; the error that made us stop is the one to report, not the cancel's.
    await reader.cancel().catch(() => undefined);
    throw error;
  } finally {
    reader.releaseLock();
  }
}
