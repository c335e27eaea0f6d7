import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { UnreachableError, ValidationError } from "../src/errors.js";
import { checkImageTagExists } from "../src/registry/image-check.js";
import type { RegistryCredentials } from "../src/registry/credentials.js";
import { startFakeServer, type FakeReply, type FakeRequest, type FakeServer } from "./helpers/fake-server.js";
import { gitlabFixture } from "./gitlab-fakes.js";

const USER = "gitlab+deploy-token-7";
const PASSWORD = "deploy-token-password-xyz123";
const JWT = "registry-jwt-token-abc987";
const credentials: RegistryCredentials = { username: USER, password: PASSWORD, source: "CI_DEPLOY_USER/CI_DEPLOY_PASSWORD", realms: [] };
const tag = gitlabFixture<{ digest: string }>("registry-tag-details.json");

const OCI_INDEX = "application/vnd.oci.image.index.v1+json";
const DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json";

let registry: FakeServer;
let host: string;

/** A GitLab-like registry: Bearer challenge, token from /jwt/auth for the deploy token only. */
beforeEach(async () => {
  registry = await startFakeServer([
    {
      method: "HEAD",
      path: /^\/v2\/group\/app\/manifests\/[^/]+$/,
      reply: (request: FakeRequest): FakeReply => {
        if (request.headers.authorization !== `Bearer ${JWT}`) {
          return {
            status: 401,
            headers: { "www-authenticate": `Bearer realm="${registry.url}/jwt/auth",service="container_registry",scope="repository:group/app:pull"` },
          };
        }
        const reference = request.url.pathname.split("/").pop();
        const accept = String(request.headers.accept ?? "");
        if (reference === "1.4.2") return { status: 200, headers: { "docker-content-digest": tag.digest, "content-type": DOCKER_MANIFEST } };
        // Only an OCI index is stored: a client that does not accept it gets 404, as from a real registry.
        if (reference === "multiarch" && accept.includes(OCI_INDEX)) return { status: 200, headers: { "docker-content-digest": "sha256:" + "ab".repeat(32), "content-type": OCI_INDEX } };
        return { status: 404 };
      },
    },
    {
      method: "GET",
      path: "/jwt/auth",
      reply: (request: FakeRequest): FakeReply => {
        const expected = `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString("base64")}`;
        const scopeOk = request.url.searchParams.get("scope") === "repository:group/app:pull" && request.url.searchParams.get("service") === "container_registry";
        return request.headers.authorization === expected && scopeOk ? { body: { token: JWT } } : { status: 401, body: { errors: [{ code: "UNAUTHORIZED", message: "HTTP Basic: Access denied" }] } };
      },
    },
  ]);
  host = new URL(registry.url).host;
});
afterEach(async () => {
  expect(registry.unexpected).toEqual([]);
  await registry.close();
});

describe("checkImageTagExists against a Docker Registry v2 with token auth", () => {
  it("finds a pushed tag after the Bearer token flow", async () => {
    const result = await checkImageTagExists({ image: `${host}/group/app:1.4.2`, credentials, timeoutMs: 5000 });
    expect(result).toEqual({
      exists: true,
      registry: host,
      repository: "group/app",
      reference: "1.4.2",
      url: `${registry.url}/v2/group/app/manifests/1.4.2`,
      digest: tag.digest,
      mediaType: DOCKER_MANIFEST,
    });
    expect(registry.requests.map((r) => `${r.method} ${r.url.pathname}`)).toEqual(["HEAD /v2/group/app/manifests/1.4.2", "GET /jwt/auth", "HEAD /v2/group/app/manifests/1.4.2"]);
  });

  it("asks for OCI and Docker manifest types, so an OCI index alone is found", async () => {
    const result = await checkImageTagExists({ image: `${host}/group/app:multiarch`, credentials, timeoutMs: 5000 });
    expect(result).toMatchObject({ exists: true, mediaType: OCI_INDEX });
    const accept = String(registry.requests.at(-1)?.headers.accept);
    for (const type of [OCI_INDEX, "application/vnd.oci.image.manifest.v1+json", "application/vnd.docker.distribution.manifest.list.v2+json", DOCKER_MANIFEST]) {
      expect(accept).toContain(type);
    }
  });

  it("reports a tag that was never pushed as missing, naming image and registry", async () => {
    const result = await checkImageTagExists({ image: `${host}/group/app:never-pushed`, credentials, timeoutMs: 5000 });
    expect(result).toMatchObject({ exists: false, registry: host, repository: "group/app", reference: "never-pushed" });
  });

  it("wrong credentials: UnreachableError (exit 6) that shows neither password nor token", async () => {
    const error = await checkImageTagExists({ image: `${host}/group/app:1.4.2`, credentials: { ...credentials, password: "wrong-password-000" }, timeoutMs: 5000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnreachableError);
    expect((error as UnreachableError).exitCode).toBe(6);
    expect((error as Error).message).toMatch(/token service of registry 127\.0\.0\.1:\d+ rejected the credentials from CI_DEPLOY_USER\/CI_DEPLOY_PASSWORD \(401/);
    expect((error as Error).message).not.toMatch(/wrong-password-000|deploy-token-password/);
  });

  it("no credentials for a private image: UnreachableError", async () => {
    await expect(checkImageTagExists({ image: `${host}/group/app:1.4.2`, timeoutMs: 5000 })).rejects.toThrow(/rejected anonymous access/);
  });

  it("a malformed image is bad input (exit 2), nothing sent", async () => {
    const error = await checkImageTagExists({ image: `${host}/Group/App:1`, credentials, timeoutMs: 5000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect(registry.requests).toEqual([]);
  });
});

describe("checkImageTagExists when the registry cannot answer", () => {
  it("connection refused: UnreachableError", async () => {
    const closed = await startFakeServer([]);
    const closedHost = new URL(closed.url).host;
    await closed.close();
    await expect(checkImageTagExists({ image: `${closedHost}/group/app:1`, timeoutMs: 5000, retryDelaysMs: [1, 1] })).rejects.toThrow(/cannot reach registry 127\.0\.0\.1:\d+: HEAD .*connection refused/);
  });

  it("a registry that hangs is given up on within the time limit", async () => {
    const hanging = await startFakeServer([{ method: "HEAD", path: /.*/, reply: () => new Promise<void>(() => undefined) }]);
    const started = Date.now();
    await expect(checkImageTagExists({ image: `${new URL(hanging.url).host}/group/app:1`, timeoutMs: 300 })).rejects.toThrow(/no answer within the time limit/);
    expect(Date.now() - started).toBeLessThan(2000);
    await hanging.close();
  });

  it("5xx that persists: retried, then UnreachableError", async () => {
    const broken = await startFakeServer([{ method: "HEAD", path: /.*/, times: 3, reply: () => ({ status: 503 }) }]);
    await expect(checkImageTagExists({ image: `${new URL(broken.url).host}/group/app:1`, timeoutMs: 5000, retryDelaysMs: [1, 1] })).rejects.toThrow(/answered HEAD .*: 503/);
    expect(broken.requests).toHaveLength(3);
    expect(broken.unexpected).toEqual([]);
    await broken.close();
  });

  it("a passing 502 is retried and the answer after it counts", async () => {
    let calls = 0;
    const flaky = await startFakeServer([{ method: "HEAD", path: "/v2/group/app/manifests/1", times: 2, reply: () => (++calls === 1 ? { status: 502 } : { status: 200, headers: { "docker-content-digest": `sha256:${"cd".repeat(32)}` } }) }]);
    const result = await checkImageTagExists({ image: `${new URL(flaky.url).host}/group/app:1`, timeoutMs: 5000, retryDelaysMs: [1] });
    expect(result.exists).toBe(true);
    expect(flaky.unexpected).toEqual([]);
    await flaky.close();
  });
});
