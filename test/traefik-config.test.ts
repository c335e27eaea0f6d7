import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Ajv, type ErrorObject } from "ajv";
import addFormats from "ajv-formats";
import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";

const repoFile = (path: string) => fileURLToPath(new URL(`../${path}`, import.meta.url));
const readYaml = (path: string) => parseYaml(readFileSync(repoFile(path), "utf8")) as Record<string, unknown>;
const readJson = (path: string) => JSON.parse(readFileSync(repoFile(path), "utf8")) as Record<string, unknown>;

/** Validates against a vendored schema and returns every problem with its path. */
function problems(schemaPath: string, value: unknown): string[] {
  // The published schemas use keywords ajv's strict mode rejects (markdownDescription...).
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats.default(ajv);
  const validate = ajv.compile(readJson(schemaPath));
  if (validate(value)) return [];
  return (validate.errors ?? []).map((e: ErrorObject) => `${e.instancePath || "/"} ${e.message ?? ""} ${JSON.stringify(e.params)}`);
}

/** v1.7 is TOML; Python 3.11's tomllib (Ansible's interpreter, already required) reads it. */
function readToml(path: string): Record<string, unknown> {
  const json = execFileSync("python3", ["-c", "import json,sys,tomllib; print(json.dumps(tomllib.load(open(sys.argv[1],'rb'))))", repoFile(path)], {
    encoding: "utf8",
  });
  return JSON.parse(json) as Record<string, unknown>;
}

describe("Traefik v2.11 static configuration", () => {
  const config = readYaml("traefik/v2.11/traefik.yml");
  const marathon = (config.providers as Record<string, Record<string, unknown>>).marathon ?? {};

  it("validates against Traefik's v2 static configuration schema", () => {
    expect(problems("test/fixtures/schemas/traefik-v2.json", config)).toEqual([]);
  });

  it("the schema check would catch a misspelt provider key", () => {
    const broken = { ...config, providers: { marathon: { ...marathon, exposedByDefaults: false } } };
    expect(problems("test/fixtures/schemas/traefik-v2.json", broken).join("\n")).toContain("/providers/marathon");
  });

  it("routes only apps that opt in, and talks to Marathon with auth over verified TLS", () => {
    expect(marathon.exposedByDefault).toBe(false);
    expect(String(marathon.endpoint)).toMatch(/^https:\/\//);
    expect(marathon.basic).toMatchObject({ httpBasicAuthUser: expect.any(String), httpBasicPassword: expect.any(String) });
    expect(marathon.tls).toMatchObject({ ca: expect.stringMatching(/\.pem$/), insecureSkipVerify: false });
  });

  it("keeps its own entry point off Marathon's port 8080", () => {
    const addresses = Object.values(config.entryPoints as Record<string, { address: string }>).map((e) => e.address);
    expect(addresses).toEqual([":80", ":443", ":8082"]);
  });

  it.each(["traefik/v2.11/dynamic/tls.yml", "traefik/v2.11/dynamic/gitlab-registry.yml"])("%s validates against the file provider schema", (path) => {
    expect(problems("test/fixtures/schemas/traefik-v2-file-provider.json", readYaml(path))).toEqual([]);
  });

  it("serves the GitLab registry over HTTPS with the forwarded-proto headers GitLab needs", () => {
    const http = readYaml("traefik/v2.11/dynamic/gitlab-registry.yml").http as Record<string, Record<string, Record<string, unknown>>>;
    expect(http.routers?.["gitlab-registry"]).toMatchObject({ entryPoints: ["websecure"], tls: {} });
    expect(http.middlewares?.["gitlab-forwarded-https"]).toEqual({
      headers: { customRequestHeaders: { "X-Forwarded-Proto": "https", "X-Forwarded-Ssl": "on" } },
    });
  });
});

describe("Traefik v1.7 static configuration", () => {
  const config = readToml("traefik/v1.7/traefik.toml");
  const marathon = config.marathon as Record<string, unknown>;

  it("routes only apps that opt in (v1.7's default is to expose every app)", () => {
    expect(marathon.exposedByDefault).toBe(false);
  });

  it("talks to Marathon with basic auth over verified TLS", () => {
    expect(String(marathon.endpoint)).toMatch(/^https:\/\//);
    expect(marathon.basic).toMatchObject({ httpBasicAuthUser: "traefik" });
    expect(marathon.TLS).toMatchObject({ insecureSkipVerify: false, CA: expect.stringMatching(/\.pem$/) });
  });

  it("uses the same entry point ports as v2.11", () => {
    const entryPoints = config.entryPoints as Record<string, { address: string }>;
    expect(Object.values(entryPoints).map((e) => e.address)).toEqual([":80", ":443", ":8082"]);
  });

  it("has a registry route on the https entry point", () => {
    const dynamic = readToml("traefik/v1.7/dynamic/gitlab-registry.toml") as { frontends: Record<string, { entryPoints: string[] }> };
    expect(dynamic.frontends["gitlab-registry"]?.entryPoints).toEqual(["https"]);
  });
});
