import { describe, expect, it } from "vitest";
import { realmMayReceive, registryCredentialsFor } from "./credentials.js";

describe("registryCredentialsFor", () => {
  const job = { CI_REGISTRY: "registry.example.com", CI_REGISTRY_USER: "gitlab-ci-token", CI_REGISTRY_PASSWORD: "job-password", CI_SERVER_URL: "https://gitlab.example.com" };
  it("uses the job's credentials for the job's registry, and trusts the job's GitLab as its realm", () => {
    expect(registryCredentialsFor("registry.example.com", job)).toEqual({
      username: "gitlab-ci-token",
      password: "job-password",
      source: "CI_REGISTRY_USER/CI_REGISTRY_PASSWORD",
      realms: ["gitlab.example.com"],
    });
  });
  it("never sends them to another registry", () => {
    expect(registryCredentialsFor("docker.io", job)).toBeUndefined();
  });
  it("sends job credentials nowhere when CI_REGISTRY is unset", () => {
    expect(registryCredentialsFor("registry.example.com", { CI_REGISTRY_USER: "u", CI_REGISTRY_PASSWORD: "p" })).toBeUndefined();
  });
  it("falls back to GitLab's deploy token", () => {
    expect(registryCredentialsFor("r.example.com", { CI_REGISTRY: "r.example.com", CI_DEPLOY_USER: "gitlab+deploy-token-1", CI_DEPLOY_PASSWORD: "dt" })?.source).toBe("CI_DEPLOY_USER/CI_DEPLOY_PASSWORD");
  });
  it("scopes MDEPLOY_REGISTRY_* to MDEPLOY_REGISTRY, else CI_REGISTRY, else to nothing", () => {
    const explicit = { MDEPLOY_REGISTRY_USER: "u", MDEPLOY_REGISTRY_PASSWORD: "p" };
    expect(registryCredentialsFor("docker.io", { ...job, ...explicit })).toBeUndefined();
    expect(registryCredentialsFor("registry.example.com", { ...job, ...explicit })?.source).toBe("MDEPLOY_REGISTRY_USER/MDEPLOY_REGISTRY_PASSWORD");
    expect(registryCredentialsFor("docker.io", { ...explicit, MDEPLOY_REGISTRY: "docker.io" })?.realms).toEqual(["https://auth.docker.io/token"]);
    expect(registryCredentialsFor("registry.example.com", explicit)).toBeUndefined();
  });
  it("the configuration's credentials and realms win for their registry", () => {
    const configured = { credentials: { username: "cfg", password: "cfg-pass", source: "REG_USER/REG_PASS" }, realms: ["https://auth.example.net/token"] };
    expect(registryCredentialsFor("registry.example.com", job, configured)).toEqual({ ...configured.credentials, realms: ["https://auth.example.net/token", "gitlab.example.com"] });
  });
});

describe("realmMayReceive", () => {
  const credentials = { username: "u", password: "p", source: "X", realms: ["https://auth.example.net/token", "gitlab.example.com"] };
  it.each([
    ["https://registry.example.com:5050/jwt/auth", true],
    ["https://registry.example.com/token", true],
    ["https://gitlab.example.com/jwt/auth", true],
    ["https://auth.example.net/token", true],
    ["https://auth.example.net/other", false],
    ["http://auth.example.net/token", false],
    ["https://evil.example.org/jwt/auth", false],
    ["https://registry.example.com.evil.org/jwt/auth", false],
  ])("%s: %s", (realm, allowed) => {
    expect(realmMayReceive(new URL(realm), "registry.example.com:5050", credentials)).toBe(allowed);
  });
});

describe("realmMayReceive over plain HTTP", () => {
  const credentials = { username: "u", password: "p", source: "X", realms: ["gitlab.example.com", "http://auth.example.net/token"] };
  it.each<[string, "https" | "http", boolean]>([
    // The registry is spoken to over HTTPS: a plain-HTTP realm would put the Basic credentials on the wire.
    ["http://registry.example.com/jwt/auth", "https", false],
    ["http://registry.example.com:5050/jwt/auth", "https", false],
    ["http://gitlab.example.com/jwt/auth", "https", false],
    // Named in full as an http URL: the operator said so.
    ["http://auth.example.net/token", "https", true],
    // A registry already reached over plain HTTP (loopback, insecure-registries) may have a plain-HTTP realm on its host.
    ["http://registry.example.com/jwt/auth", "http", true],
  ])("%s with the registry over %s: %s", (realm, scheme, allowed) => {
    expect(realmMayReceive(new URL(realm), "registry.example.com:5050", credentials, scheme)).toBe(allowed);
  });

  it("an http GitLab (CI_SERVER_URL) is trusted as the job registry's realm at its own /jwt/auth only", () => {
    const env = { CI_REGISTRY: "registry.example.com", CI_REGISTRY_USER: "gitlab-ci-token", CI_REGISTRY_PASSWORD: "job-password", CI_SERVER_URL: "http://gitlab.example.com/root/" };
    const job = registryCredentialsFor("registry.example.com", env);
    expect(job?.realms).toEqual(["http://gitlab.example.com/root/jwt/auth"]);
    expect(realmMayReceive(new URL("http://gitlab.example.com/root/jwt/auth"), "registry.example.com", job as NonNullable<typeof job>, "https")).toBe(true);
    expect(realmMayReceive(new URL("http://gitlab.example.com/other"), "registry.example.com", job as NonNullable<typeof job>, "https")).toBe(false);
  });
});
