import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { buildDockerAuthArchive, buildDockerConfigJson } from "./docker-config.js";

const entry = { registry: "registry.example.com", username: "gitlab+deploy-token-7", password: "s3cret-deploy-token" };

describe("buildDockerConfigJson", () => {
  it("keys auth by registry host with base64 user:password", () => {
    const config = JSON.parse(buildDockerConfigJson([entry])) as { auths: Record<string, { auth: string }> };
    expect(Object.keys(config.auths)).toEqual(["registry.example.com"]);
    expect(Buffer.from(config.auths["registry.example.com"]?.auth ?? "", "base64").toString()).toBe("gitlab+deploy-token-7:s3cret-deploy-token");
  });
  it("uses Docker Hub's index URL as its key", () => {
    expect(buildDockerConfigJson([{ ...entry, registry: "docker.io" }])).toContain('"https://index.docker.io/v1/"');
  });
});

describe("buildDockerAuthArchive", () => {
  it("is a tar.gz that system tar extracts to .docker/config.json with mode 0600", () => {
    const dir = mkdtempSync(join(tmpdir(), "mdeploy-tar-"));
    const archive = join(dir, "docker.tar.gz");
    writeFileSync(archive, buildDockerAuthArchive([entry], new Date("2026-11-22T00:00:00Z")));
    expect(execFileSync("tar", ["-tzf", archive], { encoding: "utf8" }).trim().split("\n")).toEqual([".docker/", ".docker/config.json"]);
    execFileSync("tar", ["-xzf", archive, "-C", dir]);
    expect(readFileSync(join(dir, ".docker/config.json"), "utf8")).toBe(buildDockerConfigJson([entry]));
    expect(statSync(join(dir, ".docker/config.json")).mode & 0o777).toBe(0o600);
  });
  it("is reproducible for the same input and time", () => {
    const at = new Date("2026-11-22T00:00:00Z");
    expect(buildDockerAuthArchive([entry], at).equals(buildDockerAuthArchive([entry], at))).toBe(true);
  });
});
