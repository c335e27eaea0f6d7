import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError } from "../errors.js";
import { loadClusterFile, parseClusterFile } from "./cluster-file.js";

function problems(text: string): string[] {
  try {
    parseClusterFile(text, "cluster.yml");
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return [(error as ConfigError).message, ...(error as ConfigError).details];
  }
  throw new Error("expected a ConfigError");
}

describe("parseClusterFile", () => {
  it("reads a full cluster file", () => {
    const spec = parseClusterFile(
      [
        "agents:",
        "  - hostname: staging",
        "    cpus: 1",
        "    mem: 497",
        "    ports: '[31000-32000]'",
        "    attributes: { type: staging }",
        "images:",
        "  - image: '*:broken'",
        "    healthy: false",
        "credentials: { username: ops, password: secret }",
        "standbys: 1",
        "apps:",
        "  - id: /traefik",
        "    cmd: traefik",
      ].join("\n"),
      "cluster.yml",
    );
    expect(spec.agents[0]).toMatchObject({ hostname: "staging", mem: 497, attributes: { type: "staging" } });
    expect(spec.standbys).toBe(1);
    expect(spec.apps?.[0]?.id).toBe("/traefik");
  });

  it("names file, line and path of every problem at once", () => {
    const out = problems(["agents:", "  - hostname: a", "    cpus: -1", "    memory: 512", "images:", "  - image: x", "    healthy: sometimes"].join("\n"));
    expect(out[0]).toBe("cluster file cluster.yml has 4 problems");
    expect(out).toContain("cluster.yml:3: /agents/0/cpus: must be >= 0");
    expect(out).toContain('cluster.yml:4: /agents/0/memory: unknown key "memory"');
    expect(out).toContain('cluster.yml:2: /agents/0: missing required key "mem"');
    expect(out).toContain("cluster.yml:7: /images/0/healthy: must be boolean");
  });

  it("reports YAML syntax errors with their line", () => {
    const out = problems("agents:\n  - hostname: a\n   cpus: [1\n");
    expect(out[0]).toBe("cluster file cluster.yml is not valid YAML");
    expect(out[1]).toMatch(/^cluster\.yml:\d+: /);
  });

  it("rejects duplicate hostnames and bad port ranges", () => {
    const out = problems("agents:\n  - { hostname: a, cpus: 1, mem: 1 }\n  - { hostname: a, cpus: 1, mem: 1, ports: '31000-32000' }\n");
    expect(out).toContain('cluster.yml:3: /agents/1/hostname: duplicate hostname "a"');
    expect(out.some((l) => l.startsWith("cluster.yml:3: /agents/1/ports"))).toBe(true);
  });

  it("checks initial apps the way Marathon checks a POST", () => {
    const out = problems("agents:\n  - { hostname: a, cpus: 1, mem: 1 }\napps:\n  - id: /x\n    cpus: 1\n  - { id: /y, cmd: run, mem: many }\ndefaultImage: { startSecs: 1 }\n");
    expect(out).toContain("cluster.yml:4: /apps/0: AppDefinition must either contain one of 'cmd' or 'args', and/or a 'container'.");
    expect(out).toContain("cluster.yml:6: /apps/1/mem: error.expected.jsnumber");
    expect(out).toContain('cluster.yml:7: /defaultImage/startSecs: unknown key "startSecs"');
  });

  it("reads the settings that pick a Marathon release's behaviour, and refuses unknown ones", () => {
    const spec = parseClusterFile("agents: [{ hostname: a, cpus: 1, mem: 128 }]\nmarathon: { restartCounts: mesos-health, relaunchKeepsInstanceId: false }\n", "c.yml");
    expect(spec.marathon).toEqual({ restartCounts: "mesos-health", relaunchKeepsInstanceId: false });
    expect(problems("agents: [{ hostname: a, cpus: 1, mem: 128 }]\nmarathon: { restartCounts: healthy }\n").join("\n")).toMatch(/restartCounts/);
  });

  it("needs at least one agent", () => {
    expect(problems("agents: []\n").join("\n")).toContain("/agents: must NOT have fewer than 1 items");
    expect(problems("{}\n").join("\n")).toContain('missing required key "agents"');
  });
});

describe("loadClusterFile", () => {
  it("turns a missing file into a ConfigError", async () => {
    await expect(loadClusterFile("/nonexistent/cluster.yml")).rejects.toThrow(/cannot read cluster file \/nonexistent\/cluster.yml: ENOENT/);
  });

  it("reads a file from disk", async () => {
    const dir = await mkdtemp(join(tmpdir(), "mdeploy-sim-"));
    const file = join(dir, "c.yml");
    await writeFile(file, "agents:\n  - { hostname: a, cpus: 1, mem: 128 }\n");
    expect((await loadClusterFile(file)).agents).toHaveLength(1);
  });
});
