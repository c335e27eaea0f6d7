/**
 * The mdeploy.marathon collection passes `ansible-test sanity` (Debian's ansible-core), run
 * offline through ansible/ansible-test-offline.py, on a copy of the collection so the run
 * leaves nothing in the repository. Also what galaxy.yml promises: a LICENSE matching its
 * license and the project's real repository.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { runProcess, type ProcessRun } from "./helpers/run-process.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const COLLECTION = join(ROOT, "ansible", "ansible_collections", "mdeploy", "marathon");
const OFFLINE = join(ROOT, "ansible", "ansible-test-offline.py");

const work: string[] = [];
afterAll(() => {
  for (const dir of work) rmSync(dir, { recursive: true, force: true });
});

/** A copy of the collection at <tmp>/ansible_collections/mdeploy/marathon, as ansible-test requires. */
function copyCollection(): string {
  const dir = mkdtempSync(join(tmpdir(), "mdeploy-sanity-"));
  work.push(dir);
  const target = join(dir, "ansible_collections", "mdeploy", "marathon");
  cpSync(COLLECTION, target, { recursive: true, filter: (source) => !source.includes(`${join("tests", "output")}`) });
  return target;
}

function sanity(collection: string, tests: string[] = []): Promise<ProcessRun> {
  const home = mkdtempSync(join(tmpdir(), "mdeploy-sanity-home-"));
  work.push(home);
  return runProcess("/usr/bin/python3", [OFFLINE, "sanity", "--local", "--python", "3.11", "--color", "no", ...tests.flatMap((t) => ["--test", t])], {
    cwd: collection,
    env: { PATH: "/usr/bin:/bin", HOME: home, LANG: "C.UTF-8" },
    timeoutMs: 400_000,
  });
}

describe("ansible-test sanity on mdeploy.marathon", () => {
  it("passes every sanity test ansible-core 2.14 has for a collection, pep8 and validate-modules included", { timeout: 420_000 }, async () => {
    const run = await sanity(copyCollection());
    expect(run.code, run.stdout + run.stderr).toBe(0);
    for (const test of ["pep8", "pylint", "validate-modules", "yamllint", "ansible-doc", "import", "runtime-metadata", "compile"]) {
      expect(run.stdout).toMatch(new RegExp(`Running sanity test "${test}"`));
    }
    expect(run.stdout + run.stderr).not.toMatch(/^ERROR:|pip available|Skipping sanity test/m);
  });

  it("fails on a module whose documentation breaks the rules, naming the file and the rule", { timeout: 300_000 }, async () => {
    const collection = copyCollection();
    const module = join(collection, "plugins", "modules", "marathon_app.py");
    const text = readFileSync(module, "utf8")
      .replace("  - mdeploy contributors (@mdeploy)", "  - mdeploy contributors")
      .replace("        entry.get('reason'), entry.get('declined'), entry.get('processed')))", "        entry.get('reason'), entry.get('declined'),\n                                       entry.get('processed')))");
    writeFileSync(module, text);
    const run = await sanity(collection, ["pep8", "validate-modules"]);
    expect(run.code).not.toBe(0);
    expect(run.stdout + run.stderr).toContain("plugins/modules/marathon_app.py:0:0: invalid-documentation: DOCUMENTATION.author: Invalid author");
    expect(run.stdout + run.stderr).toMatch(/plugins\/modules\/marathon_app\.py:\d+:\d+: E1\d\d/);
  });

  it("galaxy.yml's license has its LICENSE file, and its repository is the project's", () => {
    const galaxy = parseYaml(readFileSync(join(COLLECTION, "galaxy.yml"), "utf8")) as { license: string[]; repository: string };
    expect(galaxy.license).toEqual(["GPL-3.0-or-later"]);
    const license = readFileSync(join(COLLECTION, "LICENSE"), "utf8");
    expect(license).toContain("GNU GENERAL PUBLIC LICENSE");
    expect(license).toContain("Version 3, 29 June 2007");
    const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { repository: { url: string } };
    expect(galaxy.repository).toBe(pkg.repository.url.replace(/^git\+/, "").replace(/\.git$/, ""));
    expect(readFileSync(join(COLLECTION, "tests", "integration", "targets", "marathon_app", "tasks", "main.yml"), "utf8")).toContain("mdeploy.marathon.marathon_app:");
  });
});
