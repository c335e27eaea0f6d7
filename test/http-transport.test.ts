/**
 * The node:http transport every adapter but the health check uses: it decodes gzip, counts
 * its cap on the decoded bytes (a small gzip bomb stops too), connects directly whatever
 * HTTP(S)_PROXY says (as mdeploy always has), and a server that never answers is a typed
 * "timeout" failure the retry table and messages understand.
 */
import { createServer as createHttpServer, type Server } from "node:http";
import { createServer, type Socket } from "node:net";
import type { AddressInfo } from "node:net";
import { gzipSync } from "node:zlib";
import { afterEach, describe, expect, it } from "vitest";
import { ResponseTooLargeError } from "../src/http/body-limit.js";
import { createHttpTransport } from "../src/http/node-transport.js";
import { TransportFailure } from "../src/http/transport.js";
import { startFakeServer, type FakeServer } from "./helpers/fake-server.js";

const servers: FakeServer[] = [];
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
  for (const close of closers.splice(0)) await close();
});

/** A server answering every request with `body` gzip-encoded. */
async function gzipServer(body: Buffer): Promise<string> {
  const server: Server = createHttpServer((_request, response) => {
    response.writeHead(200, { "content-type": "application/json", "content-encoding": "gzip" }).end(gzipSync(body));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  closers.push(() => new Promise((resolve) => server.close(() => resolve())));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe("the node transport", () => {
  it("decodes a gzip answer", async () => {
    const url = await gzipServer(Buffer.from('{"apps":[]}'));
    const transport = createHttpTransport();
    const response = await transport.request({ method: "GET", url: `${url}/v2/apps` });
    transport.close();
    expect(response.body).toBe('{"apps":[]}');
  });

  it("stops a gzip bomb at the cap on decoded bytes: 64 KB on the wire, 8 MB decoded, cap 1 MB", async () => {
    const url = await gzipServer(Buffer.alloc(8 * 1024 * 1024, "a"));
    const transport = createHttpTransport({ maxResponseBytes: 1024 * 1024 });
    const error = await transport.request({ method: "GET", url: `${url}/v2/apps` }).catch((e: unknown) => e);
    transport.close();
    expect(error).toBeInstanceOf(ResponseTooLargeError);
    expect((error as Error).message).toBe(`GET ${url}/v2/apps: the answer is larger than 1 MB; mdeploy stopped reading it there`);
  });

  it("connects directly although HTTP_PROXY and HTTPS_PROXY name a proxy", async () => {
    const proxy = await startFakeServer([]);
    const target = await startFakeServer([{ method: "GET", path: "/ping", reply: () => ({ body: "pong" }) }]);
    servers.push(proxy, target);
    const saved = { HTTP_PROXY: process.env.HTTP_PROXY, HTTPS_PROXY: process.env.HTTPS_PROXY, http_proxy: process.env.http_proxy };
    Object.assign(process.env, { HTTP_PROXY: proxy.url, HTTPS_PROXY: proxy.url, http_proxy: proxy.url });
    try {
      const transport = createHttpTransport();
      const response = await transport.request({ method: "GET", url: `${target.url}/ping` });
      transport.close();
      expect(response.status).toBe(200);
    } finally {
      for (const [name, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
    expect(proxy.requests).toEqual([]);
    expect(target.requests).toHaveLength(1);
  });

  it("a server that takes the connection and never answers: TransportFailure of kind timeout, naming the wait", async () => {
    const sockets: Socket[] = [];
    const silent = createServer((socket) => void sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    closers.push(async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    });
    const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}/v2/info`;
    const transport = createHttpTransport({ timeoutMs: 150 });
    const error = await transport.request({ method: "GET", url }).catch((e: unknown) => e);
    transport.close();
    expect(error).toBeInstanceOf(TransportFailure);
    expect((error as TransportFailure).kind).toBe("timeout");
    expect((error as TransportFailure).reason).toBe("no answer within 150 ms");
  });
});
