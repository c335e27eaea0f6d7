import { describe, expect, it } from "vitest";
import { parseImageReference, registryApiHost } from "./image-reference.js";

describe("parseImageReference", () => {
  it.each([
    ["registry.gitlab.com/platform/click-count:1.4.2", { registry: "registry.gitlab.com", repository: "platform/click-count", reference: "1.4.2", byDigest: false }],
    ["gitlab.example.com:5000/group/project", { registry: "gitlab.example.com:5000", repository: "group/project", reference: "latest", byDigest: false }],
    ["localhost:5000/app:dev", { registry: "localhost:5000", repository: "app", reference: "dev", byDigest: false }],
    ["nginx:1.27", { registry: "docker.io", repository: "library/nginx", reference: "1.27", byDigest: false }],
    ["traefik/whoami", { registry: "docker.io", repository: "traefik/whoami", reference: "latest", byDigest: false }],
    ["index.docker.io/library/redis:7", { registry: "docker.io", repository: "library/redis", reference: "7", byDigest: false }],
    [
      "registry.example.com/a/b@sha256:c3490dcf10ffb6530c1303522a1405dfaf7daecd8f38d3e6a1ba19ea1f8a1751",
      { registry: "registry.example.com", repository: "a/b", reference: "sha256:c3490dcf10ffb6530c1303522a1405dfaf7daecd8f38d3e6a1ba19ea1f8a1751", byDigest: true },
    ],
  ])("%s", (image, expected) => {
    expect(parseImageReference(image)).toEqual(expected);
  });

  it.each([
    ["", /empty/],
    ["Registry.example.com/Group/App:1", /not a valid repository name/],
    ["registry.example.com/app:bad tag", /not a valid tag/],
    ["registry.example.com/app@sha256:xyz", /not a digest/],
  ])("rejects %j", (image, problem) => {
    expect(parseImageReference(image)).toMatch(problem);
  });

  it("talks to Docker Hub's API host", () => {
    expect(registryApiHost("docker.io")).toBe("registry-1.docker.io");
    expect(registryApiHost("registry.gitlab.com")).toBe("registry.gitlab.com");
  });
});
