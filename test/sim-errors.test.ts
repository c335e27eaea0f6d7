import { afterEach, describe, expect, it } from "vitest";
import { startSimulator, type Simulator } from "../src/sim/index.js";

let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

async function raw(s: Simulator, method: string, path: string, body?: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${s.marathonUrl}${path}`, { method, headers: { "Content-Type": "application/json", ...headers }, body });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? (JSON.parse(text) as unknown) : undefined };
}

const good = { id: "/web", cmd: "serve", cpus: 0.1, mem: 32 };

describe("bad API requests get Marathon's errors", () => {
  it("unparseable JSON is 400 Invalid JSON", async () => {
    sim = await startSimulator();
    const r = await raw(sim, "PUT", "/v2/apps/web", '{"id":"/web"');
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ message: "Invalid JSON" });
  });

  it.each([
    [{ ...good, id: 5 }, [{ path: "/id", errors: ["error.expected.jsstring"] }]],
    [{ ...good, cpus: "lots" }, [{ path: "/cpus", errors: ["error.expected.jsnumber"] }]],
    [{ ...good, upgradeStrategy: { minimumHealthCapacity: 0.5 } }, [{ path: "/upgradeStrategy/maximumOverCapacity", errors: ["error.path.missing"] }]],
    [{ ...good, env: { A: 1 } }, [{ path: "/env/A", errors: ["error.expected.jsstring"] }]],
    [{ cmd: "x" }, [{ path: "/id", errors: ["error.path.missing"] }]],
  ])("type errors are 422 Invalid JSON with paths: %j", async (body, details) => {
    sim = await startSimulator();
    const r = await raw(sim, "POST", "/v2/apps", JSON.stringify(body));
    expect(r.status).toBe(422);
    expect(r.body).toEqual({ message: "Invalid JSON", details });
  });

  it.each([
    [{ ...good, upgradeStrategy: { minimumHealthCapacity: 1.2, maximumOverCapacity: 0 } }, "/upgradeStrategy/minimumHealthCapacity", "got 1.2, expected between 0.0 and 1.0"],
    [{ id: "/web", cpus: 1 }, "/", "AppDefinition must either contain one of 'cmd' or 'args', and/or a 'container'."],
    [{ ...good, id: "/Web_App" }, "/id", "must fully match regular expression"],
    [{ ...good, constraints: [["hostname", "SOMETIMES"]] }, "/constraints(0)", "Constraint operator must be one of"],
    [{ ...good, mem: -1 }, "/mem", "got -1.0, expected 0.0 or more"],
    [{ ...good, healthChecks: [{ protocol: "HTTP", portIndex: 3 }] }, "/healthChecks(0)", "must address an element"],
    [{ ...good, readinessChecks: [{ portName: "nope" }] }, "/readinessChecks(0)", "portName"],
    [{ ...good, container: { type: "DOCKER", docker: {} }, cmd: undefined }, "/container/docker/image", "must not be empty"],
    [{ ...good, container: { type: "DOCKER", docker: { image: "a/b:1", pullConfig: { secret: "pull" } } } }, "/container/docker/pullConfig", "Mesos containerizer"],
    [{ ...good, container: { type: "MESOS", docker: { image: "a/b:1", pullConfig: { secret: "pull" } } } }, "/container/docker/pullConfig/secret", "existing secret"],
    [{ ...good, unreachableStrategy: { inactiveAfterSeconds: 600, expungeAfterSeconds: 300 } }, "/unreachableStrategy/inactiveAfterSeconds", "less or equal"],
    [{ ...good, labels: { MARATHON_SINGLE_INSTANCE_APP: "true" }, instances: 2 }, "/instances", "expected 1 or less"],
  ])("semantic errors are 422 Object is not valid: %j", async (body, path, error) => {
    sim = await startSimulator();
    const r = await raw(sim, "POST", "/v2/apps", JSON.stringify(body));
    expect(r.status).toBe(422);
    const b = r.body as { message: string; details: { path: string; errors: string[] }[] };
    expect(b.message).toBe("Object is not valid");
    const detail = b.details.find((d) => d.path === path);
    expect(detail?.errors.join(" ")).toContain(error);
  });

  it("404 and 409 bodies", async () => {
    sim = await startSimulator();
    expect(await raw(sim, "GET", "/v2/apps/web")).toMatchObject({ status: 404, body: { message: "App '/web' does not exist" } });
    expect((await raw(sim, "DELETE", "/v2/apps/web")).status).toBe(404);
    expect((await raw(sim, "POST", "/v2/apps/web/restart")).status).toBe(404);
    expect((await raw(sim, "GET", "/v2/apps/web/versions")).status).toBe(404);
    expect((await raw(sim, "POST", "/v2/apps", JSON.stringify(good))).status).toBe(201);
    expect(await raw(sim, "POST", "/v2/apps", JSON.stringify(good))).toMatchObject({ status: 409, body: { message: "An app with id [/web] already exists." } });
    expect((await raw(sim, "GET", "/v2/nothing-here")).status).toBe(404);
    expect((await raw(sim, "POST", "/v2/queue")).status).toBe(405);
  });

  it("403 once 100 deployments run", async () => {
    sim = await startSimulator({ cluster: { agents: [{ hostname: "tiny", cpus: 1, mem: 64 }] } });
    for (let i = 0; i < 100; i++) expect((await raw(sim, "POST", "/v2/apps", JSON.stringify({ id: `/big-${i}`, cmd: "x", mem: 1024 }))).status).toBe(201);
    const over = await raw(sim, "POST", "/v2/apps", JSON.stringify({ id: "/one-more", cmd: "x", mem: 1024 }));
    expect(over.status).toBe(403);
    expect((over.body as { message: string }).message).toMatch(/^Max number \(100\) of running deployments is achieved/);
  });

  it("survives garbage on every route and keeps answering", async () => {
    sim = await startSimulator();
    const bodies = ["", "null", "[]", "{}", "42", '"x"', '{"id":null}', '{"id":"/a","instances":-5,"cmd":"x"}', '[{"id":7}]', "\u0000\u0001"];
    const routes = ["/v2/apps", "/v2/apps/a", "/v2/apps/a/restart", "/v2/apps/a/tasks", "/v2/deployments/x", "/v2/queue", "/v2/leader", "/v2/apps/a/versions/x"];
    for (const route of routes) {
      for (const method of ["GET", "POST", "PUT", "PATCH", "DELETE"]) {
        for (const body of method === "GET" ? [undefined] : bodies) {
          const r = await raw(sim, method, route, body);
          expect(r.status, `${method} ${route} ${String(body)}`).toBeLessThan(500);
        }
      }
    }
    expect((await raw(sim, "GET", "/v2/info")).status).toBe(200);
  });
});

describe("bad cluster specs", () => {
  it("refuses invalid initial apps with a ConfigError before listening", async () => {
    await expect(startSimulator({ cluster: { agents: [{ hostname: "a", cpus: 1, mem: 128 }], apps: [{ id: "/x", cpus: -1, cmd: "y" }] } })).rejects.toMatchObject({
      name: "ConfigError",
      details: ["/apps/0/cpus: got -1.0, expected 0.0 or more"],
    });
  });

  it("deploys valid initial apps at start", async () => {
    sim = await startSimulator({ cluster: { agents: [{ hostname: "a", cpus: 1, mem: 128 }], apps: [{ id: "/x", cpus: 0.1, mem: 16, cmd: "y" }] } });
    const s = sim;
    expect(await s.clock.runUntil(() => s.state.deployments().length === 0, { maxMs: 60_000 })).toBe(true);
    expect(s.state.tasks("/x")).toHaveLength(1);
  });
});

describe("basic auth", () => {
  it("answers 401 with Marathon's realm without credentials and serves with them", async () => {
    sim = await startSimulator({ cluster: { agents: [{ hostname: "a", cpus: 1, mem: 512 }], credentials: { username: "ops", password: "s3cret-pass" } } });
    const denied = await raw(sim, "GET", "/v2/apps");
    expect(denied.status).toBe(401);
    expect(denied.headers.get("www-authenticate")).toBe('Basic realm="Mesosphere"');
    const wrong = await raw(sim, "GET", "/v2/apps", undefined, { Authorization: `Basic ${Buffer.from("ops:nope").toString("base64")}` });
    expect(wrong.status).toBe(401);
    const ok = await raw(sim, "GET", "/v2/apps", undefined, { Authorization: `Basic ${Buffer.from("ops:s3cret-pass").toString("base64")}` });
    expect(ok.status).toBe(200);
  });
});
