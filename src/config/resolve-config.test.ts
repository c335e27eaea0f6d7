import { describe, expect, it } from "vitest";
import type { ConfigFile } from "./parse-config.js";
import { resolveConfig, splitUrls, type ResolveConfigInput } from "./resolve-config.js";

const file: ConfigFile = {
  marathon: { urls: ["http://file-marathon:8080"], caFile: "ca.pem", timeoutSeconds: 10 },
  mesos: { url: "http://file-mesos:5050" },
  defaults: { template: "app.json.hbs", values: "common.yml", variables: { domain: "default.example.com", cpus: 0.5 } },
  environments: {
    staging: { variables: { domain: "staging.example.com" }, agents: 1 },
    production: {
      template: "prod.json.hbs",
      values: "production.yml",
      secrets: ["REDIS_PASSWORD"],
      marathon: { urls: "http://prod-marathon:8080", passwordEnv: "PROD_MARATHON_PASSWORD" },
      strategy: "template",
      timeoutSeconds: 900,
    },
  },
};

function resolve(overrides: Partial<ResolveConfigInput> = {}) {
  return resolveConfig({
    file,
    configFile: "/repo/mdeploy.yml",
    baseDir: "/repo",
    values: { "common.yml": { image: "common", cpus: 1 }, "production.yml": { domain: "values.example.com", instances: 2 } },
    env: {},
    resolvePath: (base, p) => `${base}/${p}`,
    ...overrides,
  });
}

describe("resolveConfig", () => {
  it("fills canary and blue/green settings key by key over defaults:, and reads rolling as auto", () => {
    const { config } = resolve({
      file: {
        defaults: { template: "app.json.hbs", canary: { window: 30, prometheus: { url: "http://prom:9090", query: "errors", max: 0.01 } }, blueGreen: { keepSeconds: 60 } },
        environments: {
          staging: { strategy: "rolling" },
          production: { strategy: "canary", canary: { steps: [1, 2], stepUnit: "instances", httpProbe: { url: "http://click-count.example.com/" } }, blueGreen: { previewHost: "preview.example.com" } },
        },
      },
    });
    expect(config.environments.staging?.strategy).toBe("auto");
    expect(config.environments.staging?.canary).toEqual({ steps: [10, 50, 100], stepUnit: "percent", windowSeconds: 30, prometheus: { url: "http://prom:9090", query: "errors", max: 0.01 } });
    expect(config.environments.production?.canary).toEqual({
      steps: [1, 2],
      stepUnit: "instances",
      windowSeconds: 30,
      httpProbe: { url: "http://click-count.example.com/", expectStatus: 200 },
      prometheus: { url: "http://prom:9090", query: "errors", max: 0.01 },
    });
    expect(config.environments.production?.blueGreen).toEqual({ windowSeconds: 60, keepSeconds: 60, previewHost: "preview.example.com" });
    expect(resolve({ overrides: { strategy: "blue-green" } }).config.environments.production?.strategy).toBe("blue-green");
  });

  it("uses built-in defaults when nothing is set", () => {
    const { config } = resolveConfig({ file: {}, baseDir: "/x", values: {}, env: {}, resolvePath: (b, p) => `${b}/${p}` });
    expect(config).toEqual({ baseDir: "/x", marathon: { urls: [], insecure: false }, mesos: {}, registry: { registries: {}, insecureRegistries: [] }, environments: {} });
  });

  it("takes the floor from the environment, else from defaults", () => {
    const withFloor: ConfigFile = { ...file, defaults: { ...file.defaults, minHealthy: 0.5 }, environments: { ...file.environments, production: { ...file.environments?.production, minHealthy: 2 } } };
    const { config } = resolve({ file: withFloor });
    expect(config.environments.staging?.minHealthy).toBe(0.5);
    expect(config.environments.production?.minHealthy).toBe(2);
    expect(resolve().config.environments.staging?.minHealthy).toBeUndefined();
  });

  it("layers defaults, values files and variables (environment keys win)", () => {
    const { config } = resolve();
    expect(config.environments.staging).toMatchObject({
      name: "staging",
      template: "/repo/app.json.hbs",
      variables: { image: "common", cpus: 0.5, domain: "staging.example.com" },
      strategy: "auto",
      agents: 1,
      marathon: { urls: ["http://file-marathon:8080"], caFile: "/repo/ca.pem", timeoutSeconds: 10, insecure: false },
      mesos: { url: "http://file-mesos:5050" },
    });
    expect(config.environments.production).toMatchObject({
      template: "/repo/prod.json.hbs",
      variables: { image: "common", cpus: 0.5, domain: "values.example.com", instances: 2 },
      secretVariables: ["REDIS_PASSWORD"],
      strategy: "template",
      timeoutSeconds: 900,
      marathon: { urls: ["http://prod-marathon:8080"] },
    });
  });

  it("lets environment variables beat the file", () => {
    const { config } = resolve({ env: { MARATHON_URL: "http://a:8080/, http://b:8080", MESOS_URL: "http://env-mesos:5050", GITLAB_URL: "https://env-gitlab", CI_SERVER_URL: "https://ci" } });
    expect(config.marathon.urls).toEqual(["http://a:8080", "http://b:8080"]);
    expect(config.environments.production?.marathon.urls).toEqual(["http://a:8080", "http://b:8080"]);
    expect(config.environments.staging?.mesos.url).toBe("http://env-mesos:5050");
  });

  it("lets flags beat environment variables", () => {
    const { config } = resolve({
      env: { MARATHON_URL: "http://env:8080", MARATHON_PASSWORD: "env-secret" },
      overrides: { marathon: { urls: ["http://flag:8080"], insecure: true }, strategy: "template", timeoutSeconds: 30 },
    });
    expect(config.environments.staging?.marathon).toMatchObject({ urls: ["http://flag:8080"], insecure: true, password: "env-secret" });
    expect(config.environments.staging?.strategy).toBe("template");
    expect(config.environments.staging?.timeoutSeconds).toBe(30);
  });

  it("reads credentials from the variables the file names, and reports every secret", () => {
    const { config, secrets } = resolve({
      env: {
        MARATHON_USERNAME: "deployer",
        MARATHON_PASSWORD: "staging-pass",
        PROD_MARATHON_PASSWORD: "prod-pass",
        MARATHON_TOKEN: "dcos-token",
        GITLAB_TOKEN: "glpat-123",
        REDIS_PASSWORD: "redis-pass",
        CI_JOB_TOKEN: "job-token",
        CI_COMMIT_SHA: "abc123",
      },
    });
    expect(config.environments.staging?.marathon).toMatchObject({ username: "deployer", password: "staging-pass", token: "dcos-token" });
    expect(config.environments.production?.marathon.password).toBe("prod-pass");
    // Basic auth sends base64(user:password): registered exactly, whatever the user name's length.
    const basic = (user: string, password: string) => Buffer.from(`${user}:${password}`).toString("base64");
    expect(secrets.sort()).toEqual(
      ["dcos-token", "glpat-123", "job-token", "prod-pass", "redis-pass", "staging-pass", basic("deployer", "staging-pass"), basic("deployer", "prod-pass")].sort(),
    );
  });

  it("registers the Basic header value of credentials embedded in MARATHON_URL", () => {
    const { secrets } = resolve({ env: { MARATHON_URL: "https://ops%40corp:url-pass-77@m1:8443,https://m2:8443" } });
    expect(secrets).toContain("url-pass-77");
    expect(secrets).toContain(Buffer.from("ops@corp:url-pass-77").toString("base64"));
  });

  it("resolves per-registry credentials, realms and CA, and the insecure registries list", () => {
    const { config, secrets } = resolve({
      file: {
        registries: { "registry.example.com:5050": { usernameEnv: "REG_USER", passwordEnv: "REG_PASS", realms: ["https://gitlab.example.com/jwt/auth"], caFile: "certs/ca.pem" } },
        insecureRegistries: ["registry.internal:5000"],
      },
      env: { REG_USER: "u", REG_PASS: "registry-pass", MDEPLOY_INSECURE_REGISTRIES: "10.0.0.5:5000, other.internal" },
    });
    expect(config.registry).toEqual({
      registries: {
        "registry.example.com:5050": { credentials: { username: "u", password: "registry-pass", source: "REG_USER/REG_PASS" }, realms: ["https://gitlab.example.com/jwt/auth"], caFile: "/repo/certs/ca.pem" },
      },
      insecureRegistries: ["registry.internal:5000", "10.0.0.5:5000", "other.internal"],
    });
    expect(secrets).toEqual(expect.arrayContaining(["registry-pass", Buffer.from("u:registry-pass").toString("base64")]));
  });

  it("treats empty environment variables as unset", () => {
    const { config } = resolve({ env: { MARATHON_URL: "", MARATHON_PASSWORD: "" } });
    expect(config.marathon.urls).toEqual(["http://file-marathon:8080"]);
    expect(config.marathon.password).toBeUndefined();
  });
});

describe("splitUrls", () => {
  it.each<[string | string[], string[]]>([
    ["http://a:8080", ["http://a:8080"]],
    ["http://a:8080/,http://b:8080//", ["http://a:8080", "http://b:8080"]],
    [" http://a , ,http://b ", ["http://a", "http://b"]],
    [["http://a,http://b", "http://c"], ["http://a", "http://b", "http://c"]],
  ])("%j", (input, expected) => {
    expect(splitUrls(input)).toEqual(expected);
  });
});
