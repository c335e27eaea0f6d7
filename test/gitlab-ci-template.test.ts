import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Ajv, type ErrorObject } from "ajv";
import addFormats from "ajv-formats";
import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";

// The CI template users `include:`, checked against GitLab's own .gitlab-ci.yml schema
// (vendored in test/fixtures/schemas, see SOURCE.md there) and for the promises its
// header makes.

const repoFile = (path: string) => fileURLToPath(new URL(`../${path}`, import.meta.url));
const readYaml = (path: string) => parseYaml(readFileSync(repoFile(path), "utf8")) as Record<string, Record<string, unknown>>;

// GitLab's schema uses keywords ajv's strict mode rejects (markdownDescription).
const ajv = new Ajv({ strict: false, allErrors: true });
addFormats.default(ajv);
// environment:url is `format: uri` in the schema, yet GitLab documents (and its own pattern
// next to it allows) a variable such as $DYNAMIC_URL there, expanded from a dotenv report
// before use. Accept a URI or exactly one variable reference.
ajv.addFormat("uri", { validate: (value: string) => /^\$\{?[A-Za-z_]\w*\}?$/.test(value) || URL.canParse(value) });
const validateCi = ajv.compile(JSON.parse(readFileSync(repoFile("test/fixtures/schemas/gitlab-ci.schema.json"), "utf8")) as object);

function problems(value: unknown): string[] {
  if (validateCi(value)) return [];
  return (validateCi.errors ?? []).map((e: ErrorObject) => `${e.instancePath || "/"} ${e.message ?? ""}`);
}

const template = readYaml("gitlab-ci/mdeploy.gitlab-ci.yml");
const job = (name: string) => template[name] ?? {};

describe("gitlab-ci/mdeploy.gitlab-ci.yml", () => {
  it("validates against GitLab's CI schema", () => {
    expect(problems(template)).toEqual([]);
  });

  it("the example pipeline for click-count validates too", () => {
    expect(problems(readYaml("gitlab-ci/examples/click-count/.gitlab-ci.yml"))).toEqual([]);
  });

  it("the schema check catches a mistyped keyword", () => {
    const broken = { ...template, "mdeploy-staging": { ...job("mdeploy-staging"), when: "sometimes" } };
    expect(problems(broken)).toContain("/mdeploy-staging/when must be equal to one of the allowed values");
    const badUrl = { ...template, "mdeploy-staging": { ...job("mdeploy-staging"), environment: { name: "staging", url: "click count" } } };
    expect(problems(badUrl)).toContain('/mdeploy-staging/environment/url must match format "uri"');
  });

  it("keeps both rendered apps as artifacts with an expiry", () => {
    expect(job("mdeploy-render").artifacts).toMatchObject({
      paths: ["marathon_app_staging.json", "marathon_app_production.json"],
      expire_in: expect.stringMatching(/\d+ (day|week|month)s?/),
    });
  });

  it.each([
    ["mdeploy-staging", "staging"],
    ["mdeploy-production", "production"],
  ])("%s holds the %s resource group, names its environment and tier, and takes its url from the dotenv report", (name, environment) => {
    expect(job(name).resource_group).toBe(environment);
    expect(job(name).environment).toEqual({ name: environment, url: "$MDEPLOY_URL", deployment_tier: environment });
    expect(job(name).artifacts).toMatchObject({ reports: { dotenv: "deploy.env" } });
    const script = String((job(name).script as string[])[0]);
    expect(script).toContain(`deploy ${environment} --artifact marathon_app_${environment}.json --dotenv deploy.env`);
  });

  it.each([
    ["mdeploy-rollback-staging", "staging"],
    ["mdeploy-rollback-production", "production"],
  ])("%s shares the %s resource group with the deploy job", (name, environment) => {
    expect(job(name).resource_group).toBe(environment);
    expect(job(name).environment).toEqual({ name: environment, deployment_tier: environment });
  });

  it("production is manual and blocking; staging runs on tags and the default branch", () => {
    expect(job("mdeploy-production").allow_failure).toBe(false);
    expect(job("mdeploy-production").extends).toContain(".mdeploy-rules-manual");
    const manual = job(".mdeploy-rules-manual").rules as { if: string; when: string }[];
    expect(manual.every((rule) => rule.when === "manual")).toBe(true);
    const staging = job(".mdeploy-rules-deploy").rules as { if: string; when?: string }[];
    expect(staging.map((rule) => rule.if)).toEqual(["$CI_COMMIT_TAG", "$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH"]);
    expect(staging.every((rule) => rule.when === undefined)).toBe(true);
  });

  it("takes the mdeploy image and version from variables, and never sets an ENTRYPOINT-dependent command", () => {
    expect(template.variables).toMatchObject({ MDEPLOY_IMAGE: expect.any(String), MDEPLOY_RELEASE: expect.any(String) });
    expect(job(".mdeploy").image).toBe("${MDEPLOY_IMAGE}:${MDEPLOY_RELEASE}");
  });
});
