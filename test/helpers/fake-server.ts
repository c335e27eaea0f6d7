import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";

/** One expected request and how to answer it. */
export interface FakeRoute {
  method: string;
  /** Path without query, exact string or a pattern. */
  path: string | RegExp;
  /** How many times it may be called; default unlimited. */
  times?: number;
  reply: (request: FakeRequest, response: ServerResponse) => void | Promise<void> | FakeReply;
}

export interface FakeReply {
  status?: number;
  headers?: Record<string, string>;
  body?: unknown;
}

export interface FakeRequest {
  method: string;
  url: URL;
  headers: IncomingMessage["headers"];
  body: string;
}

export interface FakeServer {
  url: string;
  /** Every request received, in order. */
  requests: FakeRequest[];
  /** Requests no route matched (each also got a 599 answer). */
  unexpected: FakeRequest[];
  close(): Promise<void>;
}

/**
 * A loopback HTTP (or, given `tls`, HTTPS) server on port 0 (of 127.0.0.1 unless `host` names another loopback address) that answers only the routes it is given and
 * records anything else as unexpected, so a test can fail on requests it did not
 * plan for (STYLE.md rule 11).
 */
export async function startFakeServer(routes: FakeRoute[], options: { tls?: { cert: Buffer; key: Buffer }; host?: string } = {}): Promise<FakeServer> {
  const requests: FakeRequest[] = [];
  const unexpected: FakeRequest[] = [];
  const calls = new Map<FakeRoute, number>();
  const handler: RequestListener = (req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const request: FakeRequest = {
        method: req.method ?? "GET",
        url: new URL(req.url ?? "/", "http://127.0.0.1"),
        headers: req.headers,
        body: Buffer.concat(chunks).toString("utf8"),
      };
      requests.push(request);
      const route = routes.find((r) => {
        if (r.method !== request.method) return false;
        const matches = typeof r.path === "string" ? r.path === request.url.pathname : r.path.test(request.url.pathname);
        return matches && (r.times === undefined || (calls.get(r) ?? 0) < r.times);
      });
      if (!route) {
        unexpected.push(request);
        res.writeHead(599, { "content-type": "text/plain" }).end(`unexpected request ${request.method} ${request.url.pathname}`);
        return;
      }
      calls.set(route, (calls.get(route) ?? 0) + 1);
      Promise.resolve(route.reply(request, res)).then(
        (reply) => {
          if (!reply || res.headersSent) return;
          const isJson = reply.body !== undefined && typeof reply.body !== "string";
          res.writeHead(reply.status ?? 200, { ...(isJson ? { "content-type": "application/json" } : {}), ...reply.headers });
          res.end(reply.body === undefined ? undefined : isJson ? JSON.stringify(reply.body) : String(reply.body));
        },
        (error: unknown) => {
          res.writeHead(500).end(String(error));
        },
      );
    });
  };
  const server: Server = options.tls ? createHttpsServer(options.tls, handler) : createServer(handler);
  const host = options.host ?? "127.0.0.1";
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `${options.tls ? "https" : "http"}://${host}:${port}`,
    requests,
    unexpected,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
