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
function formatByteCap(bytes: number): string {
  if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KB`;
  return `${bytes} bytes`;
}

/** Which request a cap applies to, for the error's message. */
interface BodyLimit {
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
