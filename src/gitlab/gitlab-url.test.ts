import { describe, expect, it } from "vitest";
import { UsageError } from "../errors.js";
import { parseGitlabUrl } from "./gitlab-url.js";

describe("parseGitlabUrl", () => {
  it.each([
    ["htp:/x", /GITLAB_URL "htp:\/x" is not an http\(s\) URL/],
    ["gitlab.example.com", /GITLAB_URL "gitlab.example.com" is not a URL/],
    ["http://[::1", /GITLAB_URL "http:\/\/\[::1" is not a URL/],
    ["ftp://gitlab.example.com", /is not an http\(s\) URL/],
    ["https://ci:s3cret-pass@[::1", /is not a URL/],
  ])("%s is bad input naming the setting", (raw, message) => {
    const error = (() => {
      try {
        parseGitlabUrl(raw, "GITLAB_URL");
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).not.toContain("s3cret-pass");
  });

  it("keeps a path prefix, drops the trailing slash, and splits off user info", () => {
    expect(parseGitlabUrl("https://proxy%40corp:p%2Fw@gitlab.example.com/gitlab/", "GITLAB_URL")).toEqual({
      base: "https://gitlab.example.com/gitlab",
      credentials: { username: "proxy@corp", password: "p/w" },
    });
    expect(parseGitlabUrl("http://127.0.0.1:8080", "GITLAB_URL")).toEqual({ base: "http://127.0.0.1:8080" });
  });

  it("keeps a '%' that starts no escape as typed (a password like 50%off), decoding the valid escapes around it", () => {
    expect(parseGitlabUrl("https://ci%40corp:50%off%2F%zz@gitlab.example.com", "GITLAB_URL").credentials).toEqual({ username: "ci@corp", password: "50%off/%zz" });
  });
});
