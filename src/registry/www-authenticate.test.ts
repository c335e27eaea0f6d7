import { describe, expect, it } from "vitest";
import { parseAuthChallenge } from "./www-authenticate.js";

describe("parseAuthChallenge", () => {
  it("reads a GitLab registry Bearer challenge", () => {
    expect(parseAuthChallenge('Bearer realm="https://gitlab.example.com/jwt/auth",service="container_registry",scope="repository:group/app:pull"')).toEqual({
      scheme: "bearer",
      params: { realm: "https://gitlab.example.com/jwt/auth", service: "container_registry", scope: "repository:group/app:pull" },
    });
  });
  it("reads a Basic challenge", () => {
    expect(parseAuthChallenge('Basic realm="Registry Realm"')).toEqual({ scheme: "basic", params: { realm: "Registry Realm" } });
  });
  it("has nothing to read from a missing header", () => {
    expect(parseAuthChallenge(null)).toBeUndefined();
  });
});
