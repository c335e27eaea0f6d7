import { createServer } from "node:net";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { UnreachableError } from "../src/errors.js";
import { UnexpectedResponseError } from "../src/http/errors.js";
import { createMesosClient } from "../src/mesos/client.js";
import { freeResources } from "../src/plan/free-resources.js";
import { startFakeServer, type FakeRoute, type FakeServer } from "./helpers/fake-server.js";
import { createInstantClock } from "./marathon-test-clock.js";

const slaves = {
  slaves: [
    {
      id: "S0",
      hostname: "staging-1",
      port: 5051,
      attributes: { type: "staging" },
      resources: { disk: 35164, mem: 497, gpus: 0, cpus: 1, ports: "[31000-32000]" },
      used_resources: { disk: 0, mem: 300, gpus: 0, cpus: 0.1, ports: "[31000-31000]" },
      offered_resources: { disk: 0, mem: 0, gpus: 0, cpus: 0 },
      reserved_resources: {},
      unreserved_resources: { disk: 35164, mem: 497, gpus: 0, cpus: 1, ports: "[31000-32000]" },
      active: true,
      version: "1.11.0",
    },
    {
      id: "S1",
      hostname: "svc-1",
      resources: { disk: 35164, mem: 497, gpus: 0, cpus: 1, ports: "[31000-32000]" },
      used_resources: { disk: 0, mem: 0, gpus: 0, cpus: 0 },
      active: false,
    },
  ],
  recovered_slaves: [],
};

const servers: FakeServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});
async function fake(routes: FakeRoute[]): Promise<FakeServer> {
  const s = await startFakeServer(routes);
  servers.push(s);
  return s;
}

describe("Mesos client", () => {
  it("reads agents with resources, attributes and activity, and sends basic auth", async () => {
    const server = await fake([{ method: "GET", path: "/master/slaves", reply: () => ({ body: slaves }) }]);
    const mesos = createMesosClient({ url: server.url, auth: { username: "ops", password: "mesos-pw-1" } });
    const agents = await mesos.getAgents();
    mesos.close();
    expect(agents.map((a) => [a.hostname, a.active, a.attributes])).toEqual([
      ["staging-1", true, { type: "staging" }],
      ["svc-1", false, {}],
    ]);
    expect(freeResources(agents[0] as (typeof agents)[0]).unreserved.mem).toBe(197);
    expect(server.requests[0]?.headers.authorization).toBe(`Basic ${Buffer.from("ops:mesos-pw-1").toString("base64")}`);
    expect(server.unexpected).toEqual([]);
  });

  it("follows a non-leading master's redirect to the leader", async () => {
    const leader = await fake([{ method: "GET", path: "/master/slaves", reply: () => ({ body: slaves }) }]);
    const port = new URL(leader.url).port;
    const standby = await fake([{ method: "GET", path: "/master/slaves", reply: () => ({ status: 307, headers: { location: `//127.0.0.1:${port}/master/slaves` } }) }]);
    const mesos = createMesosClient({ url: standby.url, auth: { token: "acs-token" } });
    expect(await mesos.getAgents()).toHaveLength(2);
    mesos.close();
    expect(leader.requests[0]?.headers.authorization).toBe("token=acs-token");
  });

  it("fails over across a comma list of masters", async () => {
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, "127.0.0.1", resolve));
    const deadPort = (holder.address() as AddressInfo).port;
    await new Promise<void>((resolve) => holder.close(() => resolve()));
    const server = await fake([{ method: "GET", path: "/master/slaves", reply: () => ({ body: slaves }) }]);
    const mesos = createMesosClient({ url: `http://127.0.0.1:${deadPort}, ${server.url}` });
    expect(await mesos.getAgents()).toHaveLength(2);
    mesos.close();
  });

  it("says 401 is exit 6 without the password", async () => {
    const server = await fake([{ method: "GET", path: "/master/slaves", reply: () => ({ status: 401, body: "" }) }]);
    const mesos = createMesosClient({ url: server.url.replace("http://", "http://ops:secret-pw-9@") });
    const error = await mesos.getAgents().catch((e: unknown) => e as UnreachableError);
    mesos.close();
    expect(error).toBeInstanceOf(UnreachableError);
    expect((error as UnreachableError).message).toBe(`GET ${server.url}/master/slaves: 401 Unauthorized`);
    expect(JSON.stringify([(error as Error).message, (error as UnreachableError).details])).not.toContain("secret-pw-9");
  });

  it("lists every problem of an answer it cannot use", async () => {
    const server = await fake([{ method: "GET", path: "/master/slaves", reply: () => ({ body: { slaves: [{ id: "S0", resources: { cpus: "1", mem: 1, disk: 1 } }] } }) }]);
    const mesos = createMesosClient({ url: server.url, clock: createInstantClock() });
    const error = await mesos.getAgents().catch((e: unknown) => e as UnexpectedResponseError);
    mesos.close();
    expect(error).toBeInstanceOf(UnexpectedResponseError);
    expect((error as UnexpectedResponseError).details).toEqual([
      "/slaves/0/hostname: is missing",
      "/slaves/0/used_resources: is missing",
      "/slaves/0/resources/cpus: must be number",
    ]);
  });
});
