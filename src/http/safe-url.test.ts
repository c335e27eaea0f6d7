import { describe, expect, it } from "vitest";
import { ConfigError } from "../errors.js";
import { credentialsInUrl, displayUrl, normalizeBaseUrl } from "./safe-url.js";

describe("URLs shown to people", () => {
  const cases: [string, string][] = [
    ["https://ci:s3cret@marathon:8443/v2/apps", "https://marathon:8443/v2/apps"],
    ["http://marathon:8080", "http://marathon:8080/"],
    ["ci:s3cret@marathon:8080", "marathon:8080"],
    ["zk://ci:s3cret@zk1:2181/mesos", "zk://zk1:2181/mesos"],
    ["not a url", "not a url"],
  ];
  for (const [input, shown] of cases) {
    it(`shows ${JSON.stringify(input)} without credentials`, () => expect(displayUrl(input)).toBe(shown));
  }

  it("reads credentials from user info, decoded", () => {
    expect(credentialsInUrl("https://ci%40corp:p%2Fw@marathon")).toEqual({ username: "ci@corp", password: "p/w" });
    expect(credentialsInUrl("https://marathon")).toBeUndefined();
    // A bare '%' in a typed password is a literal, not a crash; a lone byte escape that is not UTF-8 stays as written.
    expect(credentialsInUrl("https://ci:100%sure%21%ff@marathon")).toEqual({ username: "ci", password: "100%sure!%ff" });
  });

  it("normalizes base URLs, keeping a path prefix", () => {
    expect(normalizeBaseUrl("https://u:p@dcos.example.com/service/marathon/")).toBe("https://dcos.example.com/service/marathon");
  });

  it("refuses what is not an http(s) URL with a ConfigError that hides credentials", () => {
    for (const bad of ["ci:s3cret@marathon:8080", "marathon", "ftp://ci:s3cret@marathon"]) {
      let error: unknown;
      try {
        normalizeBaseUrl(bad, "Marathon URL");
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as Error).message).toMatch(/^Marathon URL ".*" is not (a|an http\(s\)) URL; expected http\(s\):\/\/host:port$/);
      expect((error as Error).message).not.toContain("s3cret");
    }
  });
});
