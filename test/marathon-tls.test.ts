import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError, UnreachableError } from "../src/errors.js";
import { createMarathonClient } from "../src/marathon/client.js";
import { startHttpsServer, type HttpsTestServer } from "./helpers/self-signed-cert.js";
import { startFakeServer } from "./helpers/fake-server.js";
import { createInstantClock } from "./marathon-test-clock.js";

let server: HttpsTestServer;
let url: string;
let certFile: string;
let dir: string;
let requests = 0;

beforeAll(async () => {
  server = await startHttpsServer("mdeploy-tls-", (req, res) => {
    requests++;
    if (req.url === "/v2/info") res.writeHead(200, { "content-type": "application/json" }).end('{"name":"marathon","version":"1.11.24"}');
    else res.writeHead(599).end();
  });
  ({ url, certFile, dir } = server);
});

afterAll(async () => {
  await server.close();
});

describe("Marathon client TLS", () => {
  it("rejects a self-signed certificate by default, saying what to do (exit 6)", async () => {
    const before = requests;
    const clock = createInstantClock();
    const marathon = createMarathonClient({ urls: [url], clock });
    const error = await marathon.getInfo().then(
      () => undefined,
      (e: unknown) => e as UnreachableError,
    );
    marathon.close();
    expect(error).toBeInstanceOf(UnreachableError);
    expect(error?.exitCode).toBe(6);
    expect(error?.message).toMatch(/^GET https:\/\/127\.0\.0\.1:\d+\/v2\/info: TLS handshake failed \(DEPTH_ZERO_SELF_SIGNED_CERT\)/);
    expect(error?.message).toContain("tls.caFile");
    expect(requests).toBe(before);
    // A certificate problem does not heal by retrying.
    expect(clock.sleeps).toEqual([]);
  });

  it("accepts it with the CA file", async () => {
    const marathon = createMarathonClient({ urls: [url], tls: { caFile: certFile } });
    expect((await marathon.getInfo()).version).toBe("1.11.24");
    marathon.close();
  });

  it("accepts it with the explicit insecure switch", async () => {
    const marathon = createMarathonClient({ urls: [url], tls: { insecure: true } });
    expect((await marathon.getInfo()).version).toBe("1.11.24");
    marathon.close();
  });

  it("refuses a CA file it cannot read before sending anything (exit 2)", () => {
    expect(() => createMarathonClient({ urls: [url], tls: { caFile: join(dir, "missing.pem") } })).toThrow(ConfigError);
    expect(() => createMarathonClient({ urls: [url], tls: { caFile: join(dir, "missing.pem") } })).toThrow(/Cannot read the CA file .*missing\.pem: ENOENT/);
  });

  it("explains an https URL that points at a plain-http server", async () => {
    const plain = await startFakeServer([]);
    const marathon = createMarathonClient({ urls: [plain.url.replace("http:", "https:")], clock: createInstantClock() });
    const error = await marathon.getInfo().then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    marathon.close();
    await plain.close();
    expect(error).toBeInstanceOf(UnreachableError);
    expect(error?.message).toMatch(/TLS handshake failed/);
  });
});
