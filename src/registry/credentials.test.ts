import { describe, expect, it } from "vitest";
import { registryCredentialsFromEnv } from "./credentials.js";

describe("registryCredentialsFromEnv", () => {
  const job = { CI_REGISTRY: "registry.example.com", CI_REGISTRY_USER: "gitlab-ci-token", CI_REGISTRY_PASSWORD: "job-password" };
  it("uses the job's credentials for the job's registry", () => {
    expect(registryCredentialsFromEnv(job, "registry.example.com")).toEqual({ username: "gitlab-ci-token", password: "job-password", source: "CI_REGISTRY_USER/CI_REGISTRY_PASSWORD" });
  });
  it("never sends them to another registry", () => {
    expect(registryCredentialsFromEnv(job, "docker.io")).toBeUndefined();
  });
  it("falls back to GitLab's deploy token", () => {
    expect(registryCredentialsFromEnv({ CI_REGISTRY: "r.example.com", CI_DEPLOY_USER: "gitlab+deploy-token-1", CI_DEPLOY_PASSWORD: "dt" }, "r.example.com")?.source).toBe("CI_DEPLOY_USER/CI_DEPLOY_PASSWORD");
  });
  it("prefers explicit mdeploy credentials for any registry", () => {
    expect(registryCredentialsFromEnv({ ...job, MDEPLOY_REGISTRY_USER: "u", MDEPLOY_REGISTRY_PASSWORD: "p" }, "docker.io")?.username).toBe("u");
  });
});
