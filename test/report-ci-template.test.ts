/**
 * The CI/CD components collect the deployment report and show it where reviewers
 * look (a link on the merge request and the job), for failed jobs too.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { DEFAULT_REPORT_FILE } from "../src/report/write-report.js";

/** A component's jobs (its second YAML document), job names as written, inputs not filled in. */
const jobs = (component: string) =>
  parseAllDocuments(readFileSync(fileURLToPath(new URL(`../templates/${component}/template.yml`, import.meta.url)), "utf8"))[1]?.toJS() as Record<string, { artifacts?: Record<string, unknown> }>;

describe("the CI/CD components and the deployment report", () => {
  it.each([
    ["deploy", "mdeploy-$[[ inputs.environment ]]", "deployment report"],
    ["deploy", "mdeploy-rollback-$[[ inputs.environment ]]", "rollback report"],
    ["review", "mdeploy-review", "deployment report"],
  ])("%s: %s exposes the file mdeploy writes in CI as %j, even when the job fails", (component, name, label) => {
    const artifacts = jobs(component)[name]?.artifacts;
    expect(artifacts).toMatchObject({ expose_as: label, when: "always" });
    expect(artifacts?.paths).toContain(DEFAULT_REPORT_FILE);
  });
});
