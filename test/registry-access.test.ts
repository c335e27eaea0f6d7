/**
 * Which registry gets which credential, and registries behind a private CA or on plain HTTP,
 * against a strict fake registry and token service (test/gitlab-fakes.ts) that fail on any
 * request they do not expect.
 */
import { rmSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import type { RegistryAccess } from "../src/config/types.js";
import { PreflightRefusedError, UnreachableError } from "../src/errors.js";
import { registryCheckAccess } from "../src/registry/credentials.js";
import { checkImageTagExists } from "../src/registry/image-check.js";
import { startFakeServer, type FakeServer } from "./helpers/fake-server.js";
import { makeSelfSignedCert } from "./helpers/self-signed-cert.js";
import { fakeManifestRoute, fakeTokenServiceRoute, type FakeRegistryContent, type FakeTokens } from "./gitlab-fakes.js";

const USER = "gitlab+deploy-token-3";
const PASSWORD = "registry-deploy-password-5x7";
const content: FakeRegistryContent = {
  images: { "group/private": ["1.0"], "group/public": ["1.0"] },
  users: { [USER]: { password: PASSWORD, pull: ["group/private"] } },
  publicRepositories: ["group/public"],
};
const scopedEnv = (registry: string) => ({ MDEPLOY_REGISTRY: registry, MDEPLOY_REGISTRY_USER: USER, MDEPLOY_REGISTRY_PASSWORD: PASSWORD });
const noAccess: RegistryAccess = { registries: {}, insecureRegistries: [] };

const servers: FakeServer[] = [];
const cleanups: (() => void)[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    expect(server.unexpected).toEqual([]);
    await server.close();
  }
  for (const cleanup of cleanups.splice(0)) cleanup();
});

async function serve(...args: Parameters<typeof startFakeServer>): Promise<FakeServer> {
  const server = await startFakeServer(...args);
  servers.push(server);
  return server;
}

/** A registry whose token realm is its own /jwt/auth; reached as `localhost:<port>` (plain HTTP, loopback). */
async function registryWithOwnRealm(): Promise<{ server: FakeServer; registry: string }> {
  const tokens: FakeTokens = new Map();
  let self = "";
  const server = await serve([fakeManifestRoute(content, tokens, () => `${self}/jwt/auth`), fakeTokenServiceRoute(content, tokens)]);
  self = server.url.replace("127.0.0.1", "localhost");
  return { server, registry: new URL(self).host };
}

/** A registry whose token realm is on another host (127.0.0.1 while the registry is `localhost`). */
async function registryWithForeignRealm(): Promise<{ registry: string; registryServer: FakeServer; realm: FakeServer }> {
  const tokens: FakeTokens = new Map();
  const realm = await serve([fakeTokenServiceRoute(content, tokens)]);
  const registryServer = await serve([fakeManifestRoute(content, tokens, () => `${realm.url}/jwt/auth`)]);
  return { registry: new URL(registryServer.url.replace("127.0.0.1", "localhost")).host, registryServer, realm };
}

const check = (image: string, registry: string, env: NodeJS.ProcessEnv, access: RegistryAccess = noAccess, flags: { caFile?: string; insecureRegistries?: string[] } = {}) =>
  checkImageTagExists({ image, timeoutMs: 5000, retryDelaysMs: [], ...registryCheckAccess(registry, env, access, flags) });

const authorizationsSentTo = (server: FakeServer) => server.requests.filter((r) => r.url.pathname === "/jwt/auth").map((r) => r.headers.authorization ?? "(none)");

describe("registry credentials go only to their own registry", () => {
  it("a realm on the registry's own host gets them, and the private tag is found", async () => {
    const { server, registry } = await registryWithOwnRealm();
    const result = await check(`${registry}/group/private:1.0`, registry, scopedEnv(registry));
    expect(result.exists).toBe(true);
    expect(authorizationsSentTo(server)).toEqual([`Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString("base64")}`]);
  });

  it("a foreign realm receives no Authorization header; a public image is still found anonymously", async () => {
    const { registry, realm } = await registryWithForeignRealm();
    const result = await check(`${registry}/group/public:1.0`, registry, scopedEnv(registry));
    expect(result.exists).toBe(true);
    expect(authorizationsSentTo(realm)).toEqual(["(none)"]);
  });

  it("a foreign realm not named in the config: a private image is refused (exit 3), saying the credential was withheld", async () => {
    const { registry, realm } = await registryWithForeignRealm();
    const error = await check(`${registry}/group/private:1.0`, registry, scopedEnv(registry)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PreflightRefusedError);
    expect((error as PreflightRefusedError).exitCode).toBe(3);
    expect((error as Error).message).toMatch(/MDEPLOY_REGISTRY_USER\/MDEPLOY_REGISTRY_PASSWORD not sent to the token realm http:\/\/127\.0\.0\.1:\d+\/jwt\/auth on another host; name it under registries\."localhost:\d+"\.realms/);
    expect(authorizationsSentTo(realm)).toEqual(["(none)"]);
  });

  it("a realm the config names for that registry gets them", async () => {
    const { registry, realm } = await registryWithForeignRealm();
    const access: RegistryAccess = { registries: { [registry]: { realms: [`${realm.url}/jwt/auth`] } }, insecureRegistries: [] };
    const result = await check(`${registry}/group/private:1.0`, registry, scopedEnv(registry), access);
    expect(result.exists).toBe(true);
    expect(authorizationsSentTo(realm)).toHaveLength(1);
    expect(authorizationsSentTo(realm)[0]).toMatch(/^Basic /);
  });

  it("credentials scoped to the job's registry are not sent for an image in another registry", async () => {
    const { server, registry } = await registryWithOwnRealm();
    const env = { CI_REGISTRY: "registry.example.com", CI_SERVER_URL: `http://${registry}`, CI_REGISTRY_USER: USER, CI_REGISTRY_PASSWORD: PASSWORD, MDEPLOY_REGISTRY_USER: USER, MDEPLOY_REGISTRY_PASSWORD: PASSWORD };
    const result = await check(`${registry}/group/public:1.0`, registry, env);
    expect(result.exists).toBe(true);
    expect(authorizationsSentTo(server)).toEqual(["(none)"]);
  });

  it("per-registry credentials from the config go to that registry", async () => {
    const { server, registry } = await registryWithOwnRealm();
    const access: RegistryAccess = { registries: { [registry]: { credentials: { username: USER, password: PASSWORD, source: "REG_USER/REG_PASS" }, realms: [] } }, insecureRegistries: [] };
    expect((await check(`${registry}/group/private:1.0`, registry, {}, access)).exists).toBe(true);
    expect(authorizationsSentTo(server)).toHaveLength(1);
  });
});

describe("not found vs not allowed", () => {
  it.each([
    ["a private repository the credential may not pull", "group/other-private"],
    ["a mistyped repository", "group/privat"],
  ])("%s: exit 3 'tag not found or no pull access' naming repository and credential, no password", async (_name, repository) => {
    const { registry } = await registryWithOwnRealm();
    const error = await check(`${registry}/${repository}:1.0`, registry, scopedEnv(registry)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PreflightRefusedError);
    const message = (error as Error).message;
    expect(message).toContain(`tag not found or no pull access: ${registry}/${repository}:1.0 (401 insufficient_scope`);
    expect(message).toContain(`with credential MDEPLOY_REGISTRY_USER/MDEPLOY_REGISTRY_PASSWORD (user "${USER}", password hidden)`);
    expect(message).not.toContain(PASSWORD);
    expect(message).not.toContain(Buffer.from(`${USER}:${PASSWORD}`).toString("base64"));
  });

  it("wrong credentials are still 'cannot authenticate' (exit 6), not a missing tag", async () => {
    const { registry } = await registryWithOwnRealm();
    const env = { ...scopedEnv(registry), MDEPLOY_REGISTRY_PASSWORD: "wrong-password-123" };
    const error = await check(`${registry}/group/private:1.0`, registry, env).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnreachableError);
    expect((error as Error).message).not.toContain("wrong-password-123");
  });
});

describe("private registries", () => {
  // 127.0.0.2 is loopback to the kernel but not to mdeploy (only localhost, 127.0.0.1 and [::1]
  // are plain HTTP by default, like Docker), so it stands in for a registry elsewhere.
  const HOST = "127.0.0.2";

  async function tlsRegistry(): Promise<{ registry: string; caFile: string; server: FakeServer }> {
    const cert = makeSelfSignedCert("mdeploy-registry-ca-", HOST);
    cleanups.push(() => rmSync(cert.dir, { recursive: true, force: true }));
    const tokens: FakeTokens = new Map();
    let self = "";
    const server = await serve([fakeManifestRoute(content, tokens, () => `${self}/jwt/auth`), fakeTokenServiceRoute(content, tokens)], { tls: { cert: cert.cert, key: cert.key }, host: HOST });
    self = server.url;
    return { registry: new URL(server.url).host, caFile: cert.certFile, server };
  }

  it("behind a private CA: refused without the CA (exit 6, TLS), found with --registry-ca", async () => {
    const { registry, caFile } = await tlsRegistry();
    const image = `${registry}/group/private:1.0`;
    const without = await check(image, registry, scopedEnv(registry)).catch((e: unknown) => e);
    expect(without).toBeInstanceOf(UnreachableError);
    expect((without as Error).message).toMatch(/cannot reach registry 127\.0\.0\.2:\d+: HEAD https:.*(CERT|SELF_SIGNED|certificate)/i);
    expect((await check(image, registry, scopedEnv(registry), noAccess, { caFile })).exists).toBe(true);
  });

  it("an HTTPS registry naming a plain-HTTP realm on its own host: the credentials are not put on the wire (exit 3, withheld)", async () => {
    const cert = makeSelfSignedCert("mdeploy-registry-ca-", HOST);
    cleanups.push(() => rmSync(cert.dir, { recursive: true, force: true }));
    const tokens: FakeTokens = new Map();
    const plainRealm = await serve([fakeTokenServiceRoute(content, tokens)], { host: HOST });
    const server = await serve([fakeManifestRoute(content, tokens, () => `${plainRealm.url}/jwt/auth`)], { tls: { cert: cert.cert, key: cert.key }, host: HOST });
    const registry = new URL(server.url).host;
    const refused = await check(`${registry}/group/private:1.0`, registry, scopedEnv(registry), noAccess, { caFile: cert.certFile }).catch((e: unknown) => e);
    expect(authorizationsSentTo(plainRealm)).toEqual(["(none)"]);
    expect(refused).toBeInstanceOf(PreflightRefusedError);
    expect((refused as Error).message).toMatch(/MDEPLOY_REGISTRY_USER\/MDEPLOY_REGISTRY_PASSWORD not sent to the token realm http:\/\/127\.0\.0\.2:\d+\/jwt\/auth/);
    expect((refused as Error).message).not.toContain(PASSWORD);
    // Listed as insecure, the registry is taken as plain HTTP already (Docker's insecure-registries): its own http realm gets them.
    const insecure = await check(`${registry}/group/private:1.0`, registry, scopedEnv(registry), { registries: {}, insecureRegistries: [registry] });
    expect(insecure.exists).toBe(true);
    expect(authorizationsSentTo(plainRealm).at(-1)).toMatch(/^Basic /);
  });

  it("behind a private CA named by registries.<host>.caFile in the config", async () => {
    const { registry, caFile } = await tlsRegistry();
    const access: RegistryAccess = { registries: { [registry]: { realms: [], caFile } }, insecureRegistries: [] };
    expect((await check(`${registry}/group/public:1.0`, registry, {}, access)).exists).toBe(true);
  });

  it("a plain-HTTP registry: unreachable over HTTPS, found once listed as insecure (HTTPS tried first, then HTTP)", async () => {
    const tokens: FakeTokens = new Map();
    let self = "";
    const server = await serve([fakeManifestRoute(content, tokens, () => `${self}/jwt/auth`), fakeTokenServiceRoute(content, tokens)], { host: HOST });
    self = server.url;
    const registry = new URL(server.url).host;
    const image = `${registry}/group/private:1.0`;
    await expect(check(image, registry, scopedEnv(registry))).rejects.toBeInstanceOf(UnreachableError);
    const viaFlag = await check(image, registry, scopedEnv(registry), noAccess, { insecureRegistries: [registry] });
    expect(viaFlag).toMatchObject({ exists: true, url: `http://${registry}/v2/group/private/manifests/1.0` });
    const viaConfig = await check(image, registry, scopedEnv(registry), { registries: {}, insecureRegistries: [registry] });
    expect(viaConfig.exists).toBe(true);
  });

  it("an insecure registry on HTTPS with a certificate nobody vouches for is asked over HTTPS", async () => {
    const { registry } = await tlsRegistry();
    const result = await check(`${registry}/group/public:1.0`, registry, {}, { registries: {}, insecureRegistries: [registry] });
    expect(result).toMatchObject({ exists: true, url: `https://${registry}/v2/group/public/manifests/1.0` });
  });
});
