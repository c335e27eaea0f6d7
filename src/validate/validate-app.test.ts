import { describe, expect, it } from "vitest";
import type { AppDefinition } from "../marathon/types.js";
import { validateApp } from "./validate-app.js";

/** A valid Docker app in bridge mode with one port and an HTTP health check. */
const base: AppDefinition = {
  id: "/click-count",
  instances: 1,
  cpus: 0.5,
  mem: 300,
  container: {
    type: "DOCKER",
    docker: { image: "registry.example.com/click-count:abc123", network: "BRIDGE" },
    portMappings: [{ containerPort: 8080, hostPort: 0, name: "http" }],
  },
  healthChecks: [{ protocol: "HTTP", path: "/health", portIndex: 0 }],
};

function withChanges(changes: Record<string, unknown>): AppDefinition {
  return { ...structuredClone(base), ...changes } as AppDefinition;
}

describe("validateApp errors (what Marathon answers with 422)", () => {
  it("accepts the base app without errors or warnings", () => {
    expect(validateApp(base)).toEqual({ errors: [], warnings: [] });
  });

  it.each<[string, Record<string, unknown>, string, RegExp]>([
    ["relative id", { id: "click-count" }, "/id", /must be absolute/],
    ["upper-case id", { id: "/Click" }, "/id", /lower-case/],
    ["id segment ending with -", { id: "/apps/web-" }, "/id", /may not start or end/],
    ["empty id segment", { id: "/apps//web" }, "/id", /empty path segment/],
    ["reserved last segment", { id: "/apps/tasks" }, "/id", /may not be "tasks"/],
    ["bad dependency id", { dependencies: ["/Redis"] }, "/dependencies/0", /invalid dependency/],
    ["minimumHealthCapacity above 1", { upgradeStrategy: { minimumHealthCapacity: 1.5, maximumOverCapacity: 0 } }, "/upgradeStrategy/minimumHealthCapacity", /got 1\.5, expected between 0\.0 and 1\.0/],
    ["negative maximumOverCapacity", { upgradeStrategy: { minimumHealthCapacity: 1, maximumOverCapacity: -0.1 } }, "/upgradeStrategy/maximumOverCapacity", /expected between 0\.0 and 1\.0/],
    ["upgradeStrategy missing a field", { upgradeStrategy: { minimumHealthCapacity: 0.5 } }, "/upgradeStrategy/maximumOverCapacity", /required/],
    ["resident app with over-capacity", { residency: { taskLostBehavior: "WAIT_FOREVER" }, upgradeStrategy: { minimumHealthCapacity: 0.5, maximumOverCapacity: 0.5 } }, "/upgradeStrategy/maximumOverCapacity", /expected 0\.0/],
    ["resident app with unreachable strategy", { residency: {}, unreachableStrategy: { inactiveAfterSeconds: 0, expungeAfterSeconds: 0 } }, "/unreachableStrategy", /disabled/],
    ["single-instance app with 2 instances", { labels: { MARATHON_SINGLE_INSTANCE_APP: "true" }, upgradeStrategy: { minimumHealthCapacity: 0, maximumOverCapacity: 0 }, instances: 2 }, "/instances", /at most 1/],
    ["single-instance app with the default strategy", { labels: { MARATHON_SINGLE_INSTANCE_APP: "true" } }, "/upgradeStrategy", /minimumHealthCapacity 0 and maximumOverCapacity 0/],
    ["cmd and args together", { cmd: "run", args: ["run"] }, "/", /not both/],
    ["no cmd, args or container", { container: undefined, healthChecks: [] }, "/", /one of 'cmd' or 'args'/],
    ["UNIQUE with a value", { constraints: [["hostname", "UNIQUE", "x"]] }, "/constraints/0", /UNIQUE takes no value/],
    ["MAX_PER without a value", { constraints: [["hostname", "MAX_PER"]] }, "/constraints/0", /MAX_PER needs a value/],
    ["MAX_PER with a non-number", { constraints: [["hostname", "MAX_PER", "two"]] }, "/constraints/0", /whole number/],
    ["GROUP_BY with a non-number", { constraints: [["rack", "GROUP_BY", "x"]] }, "/constraints/0", /whole number/],
    ["LIKE with a broken regex", { constraints: [["type", "LIKE", "(stag"]] }, "/constraints/0", /regular expression/],
    ["IS without a value", { constraints: [["type", "IS"]] }, "/constraints/0", /IS needs a value/],
    ["unknown operator", { constraints: [["type", "EQUALS", "x"]] }, "/constraints/0", /unknown operator "EQUALS"/],
    ["constraint with one element", { constraints: [["hostname"]] }, "/constraints/0", /\[field, OPERATOR\]/],
    ["constraint with four elements", { constraints: [["a", "CLUSTER", "b", "c"]] }, "/constraints/0", /\[field, OPERATOR\]/],
    ["COMMAND check without a command", { healthChecks: [{ protocol: "COMMAND" }] }, "/healthChecks/0/command", /needs command\.value/],
    ["COMMAND check with a port index", { healthChecks: [{ protocol: "COMMAND", command: { value: "true" }, portIndex: 0 }] }, "/healthChecks/0/portIndex", /takes no portIndex/],
    ["HTTP check with a command", { healthChecks: [{ protocol: "HTTP", command: { value: "true" } }] }, "/healthChecks/0/command", /only COMMAND/],
    ["TCP check with a path", { healthChecks: [{ protocol: "TCP", path: "/" }] }, "/healthChecks/0/path", /takes no path/],
    ["portIndex beyond the ports", { healthChecks: [{ protocol: "HTTP", portIndex: 1 }] }, "/healthChecks/0/portIndex", /the app has 1 \(0\.\.0\)/],
    ["port and portIndex together", { healthChecks: [{ protocol: "HTTP", port: 8080, portIndex: 0 }] }, "/healthChecks/0", /either port or portIndex/],
    ["two Mesos checks", { healthChecks: [{ protocol: "COMMAND", command: { value: "a" } }, { protocol: "MESOS_TCP" }] }, "/healthChecks", /at most one/],
    ["health check on a host app without ports", { container: undefined, cmd: "run", portDefinitions: [], healthChecks: [{ protocol: "HTTP" }] }, "/healthChecks/0/portIndex", /defines no ports/],
    ["readiness timeout not below interval", { readinessChecks: [{ portName: "http", intervalSeconds: 10, timeoutSeconds: 10 }] }, "/readinessChecks/0/timeoutSeconds", /less than intervalSeconds \(10\)/],
    ["readiness on a port name that does not exist", { readinessChecks: [{ portName: "api" }] }, "/readinessChecks/0/portName", /no port is named "api"/],
    ["port mappings with host networking", { container: { type: "DOCKER", docker: { image: "a:1", network: "HOST" }, portMappings: [{ containerPort: 80 }] } }, "/container/portMappings", /bridge or container networking/],
    ["docker container without docker", { container: { type: "DOCKER" } }, "/container/docker", /docker\.image/],
    ["env secret without secrets", { env: { DB: { secret: "db" } } }, "/env/DB", /not defined under secrets/],
    ["unreachable inactive after expunge", { unreachableStrategy: { inactiveAfterSeconds: 60, expungeAfterSeconds: 30 } }, "/unreachableStrategy/inactiveAfterSeconds", /at most expungeAfterSeconds/],
    ["negative instances", { instances: -1 }, "/instances", /whole number >= 0 or "per-agent"/],
    ["instances as another string", { instances: "all" }, "/instances", /"per-agent"/],
    ["mem as a string", { mem: "300" }, "/mem", /must be number/],
    ["unknown health check protocol", { healthChecks: [{ protocol: "GRPC" }] }, "/healthChecks/0/protocol", /must be one of/],
    ["docker without image", { container: { type: "DOCKER", docker: {} } }, "/container/docker", /"image"/],
    ["a fixed host port twice", { container: undefined, cmd: "run", portDefinitions: [{ port: 80 }, { port: 80 }], healthChecks: [] }, "/portDefinitions/1/port", /port 80 is already used by \/portDefinitions\/0/],
    ["a port name twice", { container: { type: "DOCKER", docker: { image: "a:1" }, portMappings: [{ containerPort: 80, name: "http" }, { containerPort: 81, name: "http" }] }, networks: [{ mode: "container/bridge" }] }, "/container/portMappings/1/name", /port name "http" is already used/],
  ])("%s", (_name, changes, path, message) => {
    const { errors } = validateApp(withChanges(changes));
    expect(errors).toContainEqual({ path, message: expect.stringMatching(message) });
  });

  it("lists every problem at once", () => {
    const { errors } = validateApp(withChanges({ id: "/Bad", upgradeStrategy: { minimumHealthCapacity: 2, maximumOverCapacity: 2 }, constraints: [["hostname", "UNIQUE", "1"]] }));
    expect(errors.map((e) => e.path).sort()).toEqual(["/constraints/0", "/id", "/upgradeStrategy/maximumOverCapacity", "/upgradeStrategy/minimumHealthCapacity"]);
  });

  it.each<[string, Record<string, unknown>]>([
    ["instances per-agent", { instances: "per-agent" }],
    ["CLUSTER with and without a value", { constraints: [["type", "CLUSTER", "staging"], ["rack", "CLUSTER"]] }],
    ["GROUP_BY with a number", { constraints: [["rack", "GROUP_BY", "3"]] }],
    ["host app with default port and a health check", { container: undefined, cmd: "run", healthChecks: [{ protocol: "TCP" }] }],
    ["readiness on a named port", { readinessChecks: [{ portName: "http", intervalSeconds: 30, timeoutSeconds: 5 }] }],
    ["COMMAND check", { healthChecks: [{ protocol: "COMMAND", command: { value: "mdeploy runner-health" } }] }],
    ["env secret with secrets", { env: { DB: { secret: "db" } }, secrets: { db: { source: "/db/pw" } } }],
    ["a secret placeholder in env", { env: { REDIS_PASSWORD: "[[mdeploy-secret:REDIS_PASSWORD]]" } }],
    ["several dynamic host ports", { container: undefined, cmd: "run", portDefinitions: [{ port: 0 }, { port: 0 }], healthChecks: [] }],
  ])("accepts %s", (_name, changes) => {
    expect(validateApp(withChanges(changes)).errors).toEqual([]);
  });
});

describe("validateApp warnings (accepted traps)", () => {
  it.each<[string, Record<string, unknown>, { agents?: number }, string, RegExp]>([
    ["mem 0", { mem: 0 }, {}, "/mem", /mem: 0/],
    ["latest tag", { container: { type: "DOCKER", docker: { image: "nginx:latest", network: "BRIDGE" }, portMappings: [{ containerPort: 80 }] } }, {}, "/container/docker/image", /latest/],
    ["no tag", { container: { type: "DOCKER", docker: { image: "registry:5000/nginx", network: "BRIDGE" }, portMappings: [{ containerPort: 80 }] } }, {}, "/container/docker/image", /implicit latest/],
    ["several instances without health checks", { instances: 3, healthChecks: [] }, {}, "/healthChecks", /3 instances and no health check/],
    ["UNIQUE hostname above the agents", { instances: 4, constraints: [["hostname", "UNIQUE"]] }, { agents: 3 }, "/instances", /1 can never be placed/],
    ["UNIQUE hostname on every agent with mhc 1", { instances: 3, constraints: [["hostname", "UNIQUE"]] }, { agents: 3 }, "/upgradeStrategy/minimumHealthCapacity", /no spare agent/],
    ["unknown field", { instaces: 2 }, {}, "/instaces", /Marathon ignores it \(did you mean "instances"\?\)/],
    ["health check timeout over interval", { healthChecks: [{ protocol: "HTTP", intervalSeconds: 10, timeoutSeconds: 20 }] }, {}, "/healthChecks/0/timeoutSeconds", /not below the interval/],
  ])("%s", (_name, changes, options, path, message) => {
    const { errors, warnings } = validateApp(withChanges(changes), options);
    expect(errors).toEqual([]);
    expect(warnings).toContainEqual({ path, message: expect.stringMatching(message) });
  });

  it.each<[string, Record<string, unknown>, { agents?: number }]>([
    ["latest with forcePullImage", { container: { type: "DOCKER", docker: { image: "nginx:latest", network: "BRIDGE", forcePullImage: true }, portMappings: [{ containerPort: 80 }] } }],
    ["a digest", { container: { type: "DOCKER", docker: { image: "nginx@sha256:abc", network: "BRIDGE" }, portMappings: [{ containerPort: 80 }] } }],
    ["UNIQUE hostname with a spare agent", { instances: 2, constraints: [["hostname", "UNIQUE"]] }, { agents: 3 }],
    ["UNIQUE hostname on every agent with mhc 0.5", { instances: 2, constraints: [["hostname", "UNIQUE"]], upgradeStrategy: { minimumHealthCapacity: 0.5, maximumOverCapacity: 0 } }, { agents: 2 }],
    ["UNIQUE hostname with per-agent instances", { instances: "per-agent", constraints: [["hostname", "UNIQUE"]] }, { agents: 3 }],
  ].map(([n, c, o]) => [n, c, o ?? {}] as [string, Record<string, unknown>, { agents?: number }]))("no warning for %s", (_name, changes, options) => {
    expect(validateApp(withChanges(changes), options)).toEqual({ errors: [], warnings: [] });
  });
});
