import { describe, expect, it } from "vitest";
import { ConfigError } from "../errors.js";
import { parseConfig, parseValues } from "./parse-config.js";

function problem(text: string): ConfigError {
  try {
    parseConfig(text, "mdeploy.yml");
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error("expected a ConfigError");
}

const valid = `
marathon:
  urls: http://m1:8080,http://m2:8080
  passwordEnv: MARATHON_PASSWORD
mesos:
  url: http://master:5050
defaults:
  template: marathon/app.json.hbs
environments:
  staging:
    variables: { domain: staging.example.com, instances: 1 }
    agents: 1
  production:
    template: marathon/other.json.hbs
    secrets: [REDIS_PASSWORD]
    strategy: template
`;

describe("parseConfig", () => {
  it("returns the file's settings", () => {
    const file = parseConfig(valid, "mdeploy.yml");
    expect(file.environments?.staging?.variables).toEqual({ domain: "staging.example.com", instances: 1 });
    expect(file.environments?.production?.secrets).toEqual(["REDIS_PASSWORD"]);
  });

  it("accepts a floor as a count or a share, per environment or under defaults", () => {
    const file = parseConfig("defaults:\n  template: a.hbs\n  minHealthy: 0.5\nenvironments:\n  production:\n    minHealthy: 2\n", "mdeploy.yml");
    expect(file.defaults?.minHealthy).toBe(0.5);
    expect(file.environments?.production?.minHealthy).toBe(2);
  });

  it("accepts an empty file", () => {
    expect(parseConfig("", "mdeploy.yml")).toEqual({});
  });

  it.each<[string, string, RegExp]>([
    ["a misspelled key with a suggestion", "environments:\n  staging:\n    tempalte: a.hbs\n", /^mdeploy\.yml:3:5: environments\.staging\.tempalte: unknown key \(did you mean "template"\?\)$/],
    ["an unknown top-level key", "marathon: {}\nenvironmnets: {}\n", /^mdeploy\.yml:2:1: environmnets: unknown key \(did you mean "environments"\?\)$/],
    ["a password in the file", "marathon:\n  password: hunter22\n", /^mdeploy\.yml:2:3: marathon\.password: unknown key.*passwordEnv/],
    ["a wrong type", "environments:\n  staging:\n    template: a.hbs\n    agents: three\n", /^mdeploy\.yml:4:13: environments\.staging\.agents: must be integer$/],
    ["a bad strategy", "environments:\n  staging:\n    template: a.hbs\n    strategy: fast\n", /^mdeploy\.yml:4:15: environments\.staging\.strategy: must be one of "auto", "template", "rolling", "canary", "blue-green"$/],
    ["canary steps that go down", "environments:\n  production:\n    template: a.hbs\n    canary:\n      steps: [50, 10]\n", /^mdeploy\.yml:5:\d+: environments\.production\.canary\.steps\.1: 10 does not come after 50; steps must go up$/],
    ["a canary step above 100 percent", "environments:\n  production:\n    template: a.hbs\n    canary:\n      steps: [10, 150]\n", /^mdeploy\.yml:5:\d+: environments\.production\.canary\.steps\.1: 150 is above 100 percent/],
    ["half an instance", "environments:\n  production:\n    template: a.hbs\n    canary:\n      stepUnit: instances\n      steps: [1.5]\n", /environments\.production\.canary\.steps\.0: 1\.5 is not a whole number of instances$/],
    ["a Prometheus gate without a threshold", "environments:\n  production:\n    template: a.hbs\n    canary:\n      prometheus: { url: http://prom:9090, query: up }\n", /environments\.production\.canary\.prometheus: must have required property 'max'$/],
    ["a misspelled blue/green key", "environments:\n  production:\n    template: a.hbs\n    blueGreen:\n      keepSecond: 60\n", /environments\.production\.blueGreen\.keepSecond: unknown key \(did you mean "keepSeconds"\?\)$/],
    ["an environment without a template", "environments:\n  staging:\n    agents: 1\n", /^mdeploy\.yml:3:5: environments\.staging: no template/],
    ["a reserved variable", "environments:\n  staging:\n    template: a.hbs\n    variables:\n      env: x\n", /^mdeploy\.yml:5:7: environments\.staging\.variables\.env: "env" is provided by mdeploy/],
    ["a YAML syntax error", "environments:\n  staging:\n    template: [a.hbs\n", /^mdeploy\.yml:\d+:\d+: /],
    ["a duplicate key", "marathon: {}\nmarathon: {}\n", /^mdeploy\.yml:2:1: duplicate key "marathon"/],
    ["a list at the top", "- a\n- b\n", /^mdeploy\.yml:1:1: the file must be a mapping/],
    ["the retired gitlab section, with what to use instead", "gitlab:\n  url: https://gitlab.example.com\n", /^mdeploy\.yml:1:1: gitlab: unknown key .*; the GitLab commands never read it: they take --gitlab-url, GITLAB_URL or CI_SERVER_URL and GITLAB_TOKEN; remove the section$/],
    ["a floor of zero", "environments:\n  staging:\n    template: a.hbs\n    minHealthy: 0\n", /^mdeploy\.yml:4:17: environments\.staging\.minHealthy: must be a positive number$/],
    ["a timeout of zero, worded as the --timeout flag's", "environments:\n  staging:\n    template: a.hbs\n    timeoutSeconds: 0\n", /^mdeploy\.yml:4:21: environments\.staging\.timeoutSeconds: must be a positive number of seconds \(at most 86400\)$/],
    ["a timeout past a day (Node's timers overflow)", "marathon:\n  timeoutSeconds: 1e10\n", /^mdeploy\.yml:2:19: marathon\.timeoutSeconds: must be a positive number of seconds \(at most 86400\)$/],
    ["a floor that is neither a count nor a share", "environments:\n  staging:\n    template: a.hbs\n    minHealthy: 1.5\n", /^mdeploy\.yml:4:17: environments\.staging\.minHealthy: 1\.5 is neither a count \(a whole number such as 2\) nor a share \(a fraction between 0 and 1 such as 0\.5\)$/],
    ["a floor in words", "defaults:\n  template: a.hbs\n  minHealthy: two\n", /^mdeploy\.yml:3:15: defaults\.minHealthy: must be number$/],
    ["a bad environment name", "environments:\n  'stag ing':\n    template: a.hbs\n", /^mdeploy\.yml:\d+:\d+: environments: name "stag ing" is not allowed/],
  ])("reports %s with file and line", (_name, text, expected) => {
    const error = problem(text);
    expect(error.message).toMatch(expected);
  });

  it("lists every problem at once", () => {
    const error = problem("marathon:\n  url: x\nenvironments:\n  staging:\n    template: a.hbs\n    agents: -1\n    secret: [A]\n");
    expect(error.message).toBe("mdeploy.yml: 3 problems");
    expect(error.details).toEqual([
      expect.stringMatching(/^mdeploy\.yml:2:3: marathon\.url: unknown key \(did you mean "urls"\?\)$/),
      expect.stringMatching(/^mdeploy\.yml:6:13: environments\.staging\.agents: must be >= 0$/),
      expect.stringMatching(/^mdeploy\.yml:7:5: environments\.staging\.secret: unknown key \(did you mean "secrets"\?\)$/),
    ]);
  });
});

describe("parseConfig: registries", () => {
  it("reads per-registry settings and the insecure registries list", () => {
    const file = parseConfig('registries:\n  "registry.example.com:5050":\n    usernameEnv: REG_USER\n    passwordEnv: REG_PASS\n    realms: [https://gitlab.example.com/jwt/auth]\n    caFile: ca.pem\ninsecureRegistries: ["10.0.0.5:5000"]\n', "mdeploy.yml");
    expect(file.registries?.["registry.example.com:5050"]).toEqual({ usernameEnv: "REG_USER", passwordEnv: "REG_PASS", realms: ["https://gitlab.example.com/jwt/auth"], caFile: "ca.pem" });
    expect(file.insecureRegistries).toEqual(["10.0.0.5:5000"]);
  });

  it("a password written in the file is an unknown key pointing at passwordEnv", () => {
    expect(() => parseConfig("registries:\n  registry.example.com:\n    password: hunter2\n", "mdeploy.yml")).toThrow(/mdeploy\.yml:3:5: registries\.registry\.example\.com\.password: unknown key.*passwordEnv/);
  });
});

describe("parseValues", () => {
  it("returns the variables", () => {
    expect(parseValues("domain: a.example.com\ninstances: 2\n", "values.yml")).toEqual({ domain: "a.example.com", instances: 2 });
  });

  it("rejects a reserved name with its line", () => {
    expect(() => parseValues("a: 1\nenvironment: x\n", "values.yml")).toThrow(/^values\.yml:2:1: "environment" is provided by mdeploy/);
  });
});
