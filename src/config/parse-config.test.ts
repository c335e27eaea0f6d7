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

  it("accepts an empty file", () => {
    expect(parseConfig("", "mdeploy.yml")).toEqual({});
  });

  it.each<[string, string, RegExp]>([
    ["a misspelled key with a suggestion", "environments:\n  staging:\n    tempalte: a.hbs\n", /^mdeploy\.yml:3:5: environments\.staging\.tempalte: unknown key \(did you mean "template"\?\)$/],
    ["an unknown top-level key", "marathon: {}\nenvironmnets: {}\n", /^mdeploy\.yml:2:1: environmnets: unknown key \(did you mean "environments"\?\)$/],
    ["a password in the file", "marathon:\n  password: hunter22\n", /^mdeploy\.yml:2:3: marathon\.password: unknown key.*passwordEnv/],
    ["a wrong type", "environments:\n  staging:\n    template: a.hbs\n    agents: three\n", /^mdeploy\.yml:4:13: environments\.staging\.agents: must be integer$/],
    ["a bad strategy", "environments:\n  staging:\n    template: a.hbs\n    strategy: fast\n", /^mdeploy\.yml:4:15: environments\.staging\.strategy: must be one of "auto", "template"$/],
    ["an environment without a template", "environments:\n  staging:\n    agents: 1\n", /^mdeploy\.yml:3:5: environments\.staging: no template/],
    ["a reserved variable", "environments:\n  staging:\n    template: a.hbs\n    variables:\n      env: x\n", /^mdeploy\.yml:5:7: environments\.staging\.variables\.env: "env" is provided by mdeploy/],
    ["a YAML syntax error", "environments:\n  staging:\n    template: [a.hbs\n", /^mdeploy\.yml:\d+:\d+: /],
    ["a duplicate key", "marathon: {}\nmarathon: {}\n", /^mdeploy\.yml:2:1: duplicate key "marathon"/],
    ["a list at the top", "- a\n- b\n", /^mdeploy\.yml:1:1: the file must be a mapping/],
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

describe("parseValues", () => {
  it("returns the variables", () => {
    expect(parseValues("domain: a.example.com\ninstances: 2\n", "values.yml")).toEqual({ domain: "a.example.com", instances: 2 });
  });

  it("rejects a reserved name with its line", () => {
    expect(() => parseValues("a: 1\nenvironment: x\n", "values.yml")).toThrow(/^values\.yml:2:1: "environment" is provided by mdeploy/);
  });
});
