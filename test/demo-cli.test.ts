/**
 * `mdeploy demo` (what `npm start` runs) tells the whole story and exits 0,
 * from any directory: it needs no config file and no cluster.
 */
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "./helpers/run-cli.js";

describe("mdeploy demo", () => {
  it("deploys, upgrades on the 497 MB agent, rolls a broken build back, and exits 0", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "mdeploy-demo-"));
    try {
      const run = await runCli(["demo"], { cwd: dir, timeoutMs: 60_000 });
      expect(run.code, run.stderr).toBe(0);
      const out = run.stdout;
      expect(out).toMatch(/staging: \/staging\/click-count version \S+ \(registry\.gitlab\.example\.com\/demo\/click-count:1\.0\.0, 1 instance\) verified: 1\/1 healthy/);
      expect(out).toMatch(/production: \/production\/click-count version \S+ \(registry\.gitlab\.example\.com\/demo\/click-count:1\.0\.0, 1 instance\) verified: 1\/1 healthy/);
      expect(out).toContain("zero-downtime was not possible: keeping all 1 instance up needs 300 MB more on one agent with type:staging; the largest free is 197 MB");
      expect(out).toMatch(/mdeploy would exit 1 here: .*never became healthy.*rolled back/);
      expect(out).toContain("staging runs registry.gitlab.example.com/demo/click-count:1.1.0 (1 healthy)");
      expect(out).toContain("production runs registry.gitlab.example.com/demo/click-count:1.0.0 (1 healthy)");
      // Nothing left behind in the working directory (no dotenv report from a demo).
      expect(await readdir(dir)).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("--json prints one document with every step's outcome", async () => {
    const run = await runCli(["demo", "--json"], { timeoutMs: 60_000 });
    expect(run.code, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout) as { steps: { outcome: string; exitCode: number }[] };
    expect(result.steps.map((s) => s.exitCode)).toEqual([0, 0, 0, 1]);
    expect(result.steps.at(-1)?.outcome).toBe("failed and rolled back");
  });
});
