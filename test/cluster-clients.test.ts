import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { MarathonSettings } from "../src/config/types.js";
import { marathonClientFor, mesosClientFor } from "../src/deploy/cluster-clients.js";
import { ConfigError, UnreachableError } from "../src/errors.js";
import { startHttpsServer, type HttpsTestServer } from "./helpers/self-signed-cert.js";
import { createInstantClock } from "./marathon-test-clock.js";

let server: HttpsTestServer;
let url: string;
let certFile: string;
let stalls = 0;

const agents = {
  slaves: [
    {
      id: "a1",
      hostname: "agent-1",
      active: true,
      resources: { cpus: 2, mem: 2048, disk: 10000, ports: "[31000-32000]" },
      used_resources: { cpus: 0, mem: 0, disk: 0 },
    },
  ],
};

beforeAll(async () => {
  server = await startHttpsServer("mdeploy-clients-", (req, res) => {
    if (req.url === "/master/slaves") res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(agents));
    else if (req.url === "/stall/master/slaves") stalls++; // never answers
    else res.writeHead(404).end();
  });
  ({ url, certFile } = server);
});

afterAll(async () => {
  await server.close();
});

const marathon = (extra: Partial<MarathonSettings>): MarathonSettings => ({ urls: [], insecure: false, ...extra });

describe("mesosClientFor", () => {
  it("trusts the configured CA file, as the Marathon client does", async () => {
    const mesos = mesosClientFor({ marathon: marathon({ caFile: certFile }), mesos: { url } }, createInstantClock());
    try {
      expect((await mesos?.getAgents())?.map((a) => a.hostname)).toEqual(["agent-1"]);
    } finally {
      mesos?.close();
    }
  });

  it("skips verification when insecure is set", async () => {
    const mesos = mesosClientFor({ marathon: marathon({ insecure: true }), mesos: { url } }, createInstantClock());
    try {
      expect((await mesos?.getAgents())?.length).toBe(1);
    } finally {
      mesos?.close();
    }
  });

  it("gives up on a master that never answers after the configured per-request timeout", async () => {
    const mesos = mesosClientFor({ marathon: marathon({ insecure: true, timeoutSeconds: 0.2 }), mesos: { url: `${url}/stall` } }, createInstantClock());
    const started = Date.now();
    try {
      await expect(mesos?.getAgents()).rejects.toBeInstanceOf(UnreachableError);
    } finally {
      mesos?.close();
    }
    expect(stalls).toBeGreaterThan(0);
    // Well under the 10 s default, retries included.
    expect(Date.now() - started).toBeLessThan(4000);
  });

  it("is undefined without a Mesos URL", () => {
    expect(mesosClientFor({ marathon: marathon({}), mesos: {} }, createInstantClock())).toBeUndefined();
  });
});

describe("marathonClientFor", () => {
  it("throws ConfigError (exit 2) when no URL is configured", () => {
    const error = (() => {
      try {
        marathonClientFor(marathon({}), createInstantClock());
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).exitCode).toBe(2);
  });
});
