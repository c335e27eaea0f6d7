import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Ajv, type ErrorObject } from "ajv";
import addFormats from "ajv-formats";
import { describe, expect, it } from "vitest";
import { parse as parseYaml, parseAllDocuments } from "yaml";

// The CI/CD components (templates/<name>/template.yml), the include file that wraps them and
// the pipelines that use them, checked against GitLab's own .gitlab-ci.yml schema (vendored
// in test/fixtures/schemas, see SOURCE.md there) and for the promises their headers make.
// A component is two YAML documents: the spec header and the jobs, whose $[[ inputs.x ]]
// GitLab fills in at include time; the jobs are checked with the inputs filled in.

const repoFile = (path: string) => fileURLToPath(new URL(`../${path}`, import.meta.url));
type Yaml = Record<string, Record<string, unknown>>;
const readYaml = (path: string) => parseYaml(readFileSync(repoFile(path), "utf8")) as Yaml;

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

interface InputSpec {
  type?: "string" | "number" | "boolean" | "array";
  default?: unknown;
  description?: string;
  options?: unknown[];
}

interface Component {
  header: { spec: { inputs: Record<string, InputSpec> } };
  /** The jobs with the given inputs (others at their defaults) filled in as GitLab does. */
  jobs(inputs?: Record<string, unknown>): Yaml;
}

function component(name: string): Component {
  const text = readFileSync(repoFile(`templates/${name}/template.yml`), "utf8");
  const [header, body] = parseAllDocuments(text).map((d) => d.toJS() as unknown);
  expect(body, `templates/${name}/template.yml has a spec header and a body`).toBeDefined();
  const bodyText = text.slice(text.indexOf("\n---\n") + 5);
  const spec = (header as Component["header"]).spec;
  return {
    header: header as Component["header"],
    jobs(inputs = {}) {
      const values = Object.fromEntries(Object.entries(spec.inputs).map(([k, s]) => [k, Object.hasOwn(inputs, k) ? inputs[k] : s.default]));
      for (const key of Object.keys(inputs)) expect(spec.inputs, `input ${key} of ${name}`).toHaveProperty(key);
      // An input alone as a value keeps its type (an array stays an array); inside text it is text.
      const filled = bodyText.replace(/\$\[\[\s*inputs\.([\w-]+)\s*\]\]/g, (_, key: string) => {
        const value = values[key];
        return Array.isArray(value) ? JSON.stringify(value) : String(value);
      });
      return parseYaml(filled) as Yaml;
    },
  };
}

const COMPONENTS = ["render", "deploy", "review", "pipeline"];

describe("the CI/CD components in templates/", () => {
  it.each(COMPONENTS)("%s: every input has a type, a description and a default, and its options contain the default", (name) => {
    const { header } = component(name);
    expect(problems(header)).toEqual([]);
    for (const [key, input] of Object.entries(header.spec.inputs)) {
      expect(input.description, `${name}: ${key}`).toEqual(expect.any(String));
      expect(["string", "number", "boolean", "array"], `${name}: ${key}`).toContain(input.type);
      expect(input, `${name}: ${key}`).toHaveProperty("default");
      if (input.options) expect(input.options).toContain(input.default);
      if (input.type === "array") expect(Array.isArray(input.default)).toBe(true);
    }
  });

  it.each(COMPONENTS)("%s: the jobs validate against GitLab's CI schema with the default inputs", (name) => {
    expect(problems(component(name).jobs())).toEqual([]);
  });

  it("deploy validates with every option of its typed inputs, and the schema check catches a bad value", () => {
    const deploy = component("deploy");
    for (const when of ["on_success", "manual"]) for (const tier of ["production", "staging", "testing", "development", "other"]) expect(problems(deploy.jobs({ when, tier }))).toEqual([]);
    expect(problems(deploy.jobs({ when: "sometimes" }))).toContain("/mdeploy-staging/rules/0/when must be equal to one of the allowed values");
  });

  it("deploy: one job per environment, in its resource group, url from the dotenv report, deploying the rendered artifact", () => {
    const jobs = component("deploy").jobs({ environment: "production", tier: "production", when: "manual", needs: ["mdeploy-render", "mdeploy-staging"] });
    const deploy = jobs["mdeploy-production"] ?? {};
    expect(deploy.environment).toEqual({ name: "production", url: "$MDEPLOY_URL", deployment_tier: "production", action: "start" });
    expect(deploy.resource_group).toBe("production");
    expect(deploy.needs).toEqual(["mdeploy-render", "mdeploy-staging"]);
    expect(deploy.allow_failure).toBe(false);
    expect((deploy.rules as { when: string }[]).every((r) => r.when === "manual")).toBe(true);
    expect(deploy.artifacts).toMatchObject({ reports: { dotenv: "deploy.env" } });
    expect(String((deploy.script as string[])[0])).toContain('deploy "production" --artifact "marathon_app_production.json" --dotenv deploy.env');
  });

  it("deploy: the rollback job prepares the environment (no deployment of this commit recorded) and reports what it restored", () => {
    const rollback = component("deploy").jobs({ environment: "staging" })["mdeploy-rollback-staging"] ?? {};
    expect(rollback.environment).toMatchObject({ name: "staging", action: "prepare" });
    expect(rollback.resource_group).toBe("staging");
    expect(rollback.allow_failure).toBe(true);
    expect(String((rollback.script as string[])[0])).toContain("rollback \"staging\" --artifact \"marathon_app_staging.json\" --dotenv rollback.env");
    expect(rollback.artifacts).toMatchObject({ reports: { dotenv: "rollback.env" } });
  });

  it("review: a dynamic environment per branch, stopped by a job that removes the app, and stopped automatically", () => {
    const jobs = component("review").jobs({ auto_stop_in: "2 days" });
    const start = jobs["mdeploy-review"] ?? {};
    const stop = jobs["mdeploy-review-stop"] ?? {};
    expect(start.environment).toEqual({
      name: "review/$CI_COMMIT_REF_SLUG",
      url: "$MDEPLOY_URL",
      deployment_tier: "development",
      action: "start",
      on_stop: "mdeploy-review-stop",
      auto_stop_in: "2 days",
    });
    expect(stop.environment).toEqual({ name: "review/$CI_COMMIT_REF_SLUG", action: "stop" });
    // GitLab requires the stop job in the same pipeline, with matching rules, manual.
    expect((stop.rules as { if: string; when: string }[]).map((r) => r.if)).toEqual((start.rules as { if: string }[]).map((r) => r.if));
    expect((stop.rules as { when: string }[]).every((r) => r.when === "manual")).toBe(true);
    expect(stop.variables).toEqual({ GIT_STRATEGY: "none" });
    expect(stop.needs).toEqual(["mdeploy-review"]);
    expect(String((stop.script as string[])[0])).toContain('stop "review" --artifact "marathon_app_review.json"');
    expect(start.artifacts).toMatchObject({ paths: ["marathon_app_review.json", "mdeploy-report.html"] });
  });

  it("pipeline: passes its inputs on to the other components of this project, at the same version", () => {
    const jobs = component("pipeline").jobs({ staging: "qa", production: "live" }) as unknown as { include: { local: string; inputs: Record<string, unknown> }[] };
    expect(jobs.include.map((i) => i.local)).toEqual(["templates/render/template.yml", "templates/deploy/template.yml", "templates/deploy/template.yml", "templates/review/template.yml"]);
    expect(jobs.include[0]?.inputs.environments).toBe("qa live");
    expect(jobs.include[2]?.inputs).toMatchObject({ environment: "live", tier: "production", when: "manual", needs: ["mdeploy-render", "mdeploy-qa"] });
    // Every input given to a component is one it declares.
    for (const include of jobs.include) {
      const declared = component(include.local.split("/")[1] ?? "").header.spec.inputs;
      for (const key of Object.keys(include.inputs)) expect(declared, `${include.local}: ${key}`).toHaveProperty(key);
    }
  });

  it("render keeps every environment's app as an artifact with an expiry", () => {
    expect(component("render").jobs()["mdeploy-render"]?.artifacts).toMatchObject({ paths: ["marathon_app_*.json"], expire_in: expect.stringMatching(/\d+ (day|week|month)s?/) });
  });
});

describe("files that include the components", () => {
  it("gitlab-ci/mdeploy.gitlab-ci.yml is a thin wrapper: the pipeline component, configured by the old variables", () => {
    const wrapper = readYaml("gitlab-ci/mdeploy.gitlab-ci.yml");
    expect(problems(wrapper)).toEqual([]);
    expect(wrapper.variables).toMatchObject({ MDEPLOY_IMAGE: expect.any(String), MDEPLOY_RELEASE: expect.any(String), MDEPLOY_COMMAND: "mdeploy", MDEPLOY_CONFIG: "mdeploy.yml" });
    expect(wrapper.include).toEqual([
      { local: "templates/pipeline/template.yml", inputs: { image: "${MDEPLOY_IMAGE}:${MDEPLOY_RELEASE}", command: "$MDEPLOY_COMMAND", config: "$MDEPLOY_CONFIG", deploy_options: "$MDEPLOY_DEPLOY_OPTIONS" } },
    ]);
  });

  it("the example pipeline for click-count validates, includes the component and builds with Buildah, not Kaniko", () => {
    const example = readYaml("gitlab-ci/examples/click-count/.gitlab-ci.yml");
    expect(problems(example)).toEqual([]);
    expect(example.include).toEqual([{ component: expect.stringMatching(/^\$CI_SERVER_FQDN\/[\w/-]+\/pipeline@\d+\.\d+\.\d+$/) }]);
    const build = example["click-count-image"] ?? {};
    expect(build.image).toMatch(/^quay\.io\/buildah\/stable:v\d+\.\d+/);
    expect(JSON.stringify(example)).not.toMatch(/kaniko/i);
    expect((build.script as string[]).join("\n")).toContain("--password-stdin");
  });

  it("this project's .gitlab-ci.yml tests the component at the commit under test", () => {
    const own = readYaml(".gitlab-ci.yml");
    expect(problems(own)).toEqual([]);
    expect(own.include).toEqual([expect.objectContaining({ component: "$CI_SERVER_FQDN/$CI_PROJECT_PATH/pipeline@$CI_COMMIT_SHA" })]);
    expect(JSON.stringify(own)).not.toMatch(/kaniko/i);
  });

  it("each component has a README in the catalog layout", () => {
    for (const name of COMPONENTS) expect(readFileSync(repoFile(`templates/${name}/README.md`), "utf8")).toContain(`/${name}@`);
  });
});
