/**
 * Fixtures and fakes shared by the GitLab and registry tests: response bodies shaped like
 * GitLab's documented examples (test/fixtures/gitlab), and a runner metrics page.
 */
import { readFileSync } from "node:fs";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FakeReply, FakeRequest, FakeRoute } from "./helpers/fake-server.js";

/** Reads a JSON fixture from test/fixtures/gitlab. */
export function gitlabFixture<T = unknown>(name: string): T {
  return JSON.parse(readFileSync(new URL(`./fixtures/gitlab/${name}`, import.meta.url), "utf8")) as T;
}

/** A gitlab-runner metrics page: started `startedSecondsAgo` ago, with request_job counters. */
export function runnerMetricsPage(options: { startedSecondsAgo: number; ok?: number; rejected?: number }): string {
  const started = (Date.now() / 1000 - options.startedSecondsAgo).toFixed(2);
  return [
    "# TYPE gitlab_runner_api_request_statuses_total counter",
    `gitlab_runner_api_request_statuses_total{endpoint="request_job",runner="t1_abc",status="204",system_id="r_0a1b2c3d4e5f"} ${options.ok ?? 25}`,
    `gitlab_runner_api_request_statuses_total{endpoint="request_job",runner="t1_abc",status="403",system_id="r_0a1b2c3d4e5f"} ${options.rejected ?? 0}`,
    "# TYPE process_start_time_seconds gauge",
    `process_start_time_seconds ${started}`,
    "",
  ].join("\n");
}

/** A fresh temporary directory for one test. */
export function scratchDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `mdeploy-${prefix}-`));
}

/** The secrets (plain or base64) that show up in the text; tests expect an empty list. */
export function secretsIn(text: string, secrets: string[]): string[] {
  return secrets.filter((secret) => text.includes(secret) || text.includes(Buffer.from(secret).toString("base64")));
}

/** Requests that would change something on the server; a read-only check sends none. */
export function writesIn(requests: { method: string; url: URL }[]): string[] {
  return requests.filter((r) => !["GET", "HEAD"].includes(r.method)).map((r) => `${r.method} ${r.url.pathname}`);
}

/** What a strict fake registry holds and who may pull what. */
export interface FakeRegistryContent {
  /** Repository -> tags pushed. */
  images: Record<string, string[]>;
  /** User -> password and the repositories that user may pull. */
  users: Record<string, { password: string; pull: string[] }>;
  /** Repositories anyone may pull. */
  publicRepositories?: string[];
}

/** Tokens a fake token service issued, with the repositories each may pull; shared by registry and realm. */
export type FakeTokens = Map<string, string[]>;

/**
 * The token service of a strict Docker Registry v2 (distribution token authentication):
 * `GET <path>?service&scope=repository:<r>:pull` with Basic credentials or none. Like GitLab's
 * and Docker Hub's, it issues a token to anonymous callers too, granting only what they may
 * pull, and answers wrong credentials 401, echoing the Authorization header it got in the body
 * (as some proxies do in their error pages) so tests can prove it never reaches any output.
 */
export function fakeTokenServiceRoute(content: FakeRegistryContent, tokens: FakeTokens, path = "/jwt/auth"): FakeRoute {
  return {
    method: "GET",
    path,
    reply: (request: FakeRequest): FakeReply => {
      const scope = /^repository:([^:]+):pull$/.exec(request.url.searchParams.get("scope") ?? "");
      if (!scope) return { status: 400, body: { errors: [{ code: "INVALID_SCOPE" }] } };
      const repository = scope[1] ?? "";
      const header = String(request.headers.authorization ?? "");
      let allowed = (content.publicRepositories ?? []).includes(repository);
      if (header !== "") {
        const basic = /^Basic (.+)$/.exec(header);
        const [user, ...rest] = Buffer.from(basic?.[1] ?? "", "base64").toString().split(":");
        const entry = user !== undefined ? content.users[user] : undefined;
        if (!entry || entry.password !== rest.join(":")) {
          return { status: 401, body: { errors: [{ code: "UNAUTHORIZED", message: `HTTP Basic: Access denied for ${header}` }] } };
        }
        allowed ||= entry.pull.includes(repository);
      }
      const token = `token-${tokens.size + 1}-${repository.replace(/\W/g, "")}`;
      tokens.set(token, allowed ? [repository] : []);
      return { body: { token } };
    },
  };
}

/**
 * The manifest side of a strict registry: HEAD without a token is 401 with a Bearer challenge
 * naming `realm()`; with a token lacking pull access (a private or non-existent repository
 * look the same) 401 `insufficient_scope`; else 200 with a digest or 404 MANIFEST_UNKNOWN.
 */
export function fakeManifestRoute(content: FakeRegistryContent, tokens: FakeTokens, realm: () => string): FakeRoute {
  return {
    method: "HEAD",
    path: /^\/v2\/.+\/manifests\/[^/]+$/,
    reply: (request: FakeRequest): FakeReply => {
      const match = /^\/v2\/(.+)\/manifests\/([^/]+)$/.exec(request.url.pathname);
      const repository = match?.[1] ?? "";
      const tag = match?.[2] ?? "";
      const challenge = `Bearer realm="${realm()}",service="container_registry",scope="repository:${repository}:pull"`;
      const bearer = /^Bearer (.+)$/.exec(String(request.headers.authorization ?? ""))?.[1];
      if (bearer === undefined || !tokens.has(bearer)) return { status: 401, headers: { "www-authenticate": challenge } };
      if (!(tokens.get(bearer) ?? []).includes(repository)) return { status: 401, headers: { "www-authenticate": `${challenge},error="insufficient_scope"` } };
      if (!(content.images[repository] ?? []).includes(tag)) return { status: 404 };
      return { status: 200, headers: { "docker-content-digest": `sha256:${"a1".repeat(32)}`, "content-type": "application/vnd.oci.image.index.v1+json" } };
    },
  };
}
