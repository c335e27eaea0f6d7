/**
 * A loopback Marathon fake that serves `/v2/events` as a real SSE stream the
 * test controls (send frames, cut them anywhere, drop the connection), and
 * answers other paths from a handler. Requests nobody expects are recorded.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface SseFake {
  url: string;
  /** Event-stream requests received (path + query), in order. */
  streamRequests: { url: URL; headers: IncomingMessage["headers"] }[];
  /** Other requests (method + path). */
  requests: string[];
  unexpected: string[];
  /** Open event-stream responses. */
  readonly openStreams: number;
  /** Writes raw text to every open stream. */
  write(text: string): void;
  /** Sends one Marathon event as `event:`/`data:` frame to every open stream. */
  emit(event: { eventType: string } & Record<string, unknown>): void;
  /** Destroys every open stream's socket (a dropped connection). */
  drop(): void;
  /** Resolves when at least `count` streams have been opened in total. */
  waitForStreams(count: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export interface SseFakeOptions {
  /** Answer `/v2/events` with this status instead of a stream (e.g. 302 with location). */
  eventsReply?: (request: IncomingMessage) => { status: number; headers?: Record<string, string>; body?: string } | undefined;
  /** Send Marathon's `event_stream_attached` as each stream opens, as Marathon does (default true; false: a proxy holding it back). */
  attach?: boolean;
  /** Answers for other paths; return undefined for "unexpected". */
  handle?: (method: string, url: URL) => { status?: number; body: unknown } | undefined;
}

export async function startSseFake(options: SseFakeOptions = {}): Promise<SseFake> {
  const open = new Set<ServerResponse>();
  const streamRequests: SseFake["streamRequests"] = [];
  const requests: string[] = [];
  const unexpected: string[] = [];
  const waiters: { count: number; resolve: () => void }[] = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    if (req.method === "GET" && url.pathname === "/v2/events") {
      const special = options.eventsReply?.(req);
      if (special) {
        res.writeHead(special.status, special.headers).end(special.body);
        return;
      }
      if (req.headers.accept !== "text/event-stream") {
        res.writeHead(405).end();
        return;
      }
      streamRequests.push({ url, headers: req.headers });
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.flushHeaders();
      if (options.attach !== false) {
        const attached = { remoteAddress: req.socket.remoteAddress ?? "127.0.0.1", eventType: "event_stream_attached", timestamp: new Date(0).toISOString() };
        res.write(`event: event_stream_attached\ndata: ${JSON.stringify(attached)}\n\n`);
      }
      open.add(res);
      res.on("close", () => open.delete(res));
      for (const w of waiters.filter((w) => streamRequests.length >= w.count)) w.resolve();
      return;
    }
    requests.push(`${req.method} ${url.pathname}`);
    const answer = options.handle?.(req.method ?? "GET", url);
    if (!answer) {
      unexpected.push(`${req.method} ${url.pathname}`);
      res.writeHead(599).end("unexpected");
      return;
    }
    res.writeHead(answer.status ?? 200, { "content-type": "application/json" }).end(JSON.stringify(answer.body));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    streamRequests,
    requests,
    unexpected,
    get openStreams() {
      return open.size;
    },
    write(text) {
      for (const res of open) res.write(text);
    },
    emit(event) {
      for (const res of open) res.write(`event: ${event.eventType}\ndata: ${JSON.stringify(event)}\n\n`);
    },
    drop() {
      for (const res of open) res.socket?.destroy();
      open.clear();
    },
    waitForStreams(count, timeoutMs = 3000) {
      if (streamRequests.length >= count) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`expected ${count} event-stream connections, got ${streamRequests.length}`)), timeoutMs);
        waiters.push({
          count,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        });
      });
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Waits (real time, bounded) until the predicate holds. */
export async function until(predicate: () => boolean, what: string, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
