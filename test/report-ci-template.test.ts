/**
 * The CI template collects the deployment report and shows it where reviewers
 * look (a link on the merge request and the job), for failed jobs too.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { DEFAULT_REPORT_FILE } from "../src/report/write-report.js";

const template = parseYaml(readFileSync(fileURLToPath(new URL("../gitlab-ci/mdeploy.gitlab-ci.yml", import.meta.url)), "utf8")) as Record<string, { artifacts?: Record<string, unknown> }>;

describe("the CI template and the deployment report", () => {
  it.each([
    ["mdeploy-staging", "deployment report"],
    ["mdeploy-production", "deployment report"],
    [".mdeploy-rollback", "rollback report"],
  ])("%s exposes the file mdeploy writes in CI as %j, even when the job fails", (name, label) => {
    expect(template[name]?.artifacts).toMatchObject({ expose_as: label, paths: [DEFAULT_REPORT_FILE], when: "always" });
  });
});
