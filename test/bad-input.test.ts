/**
 * Bad input that used to crash (a stack trace, exit 70) or hang: each is now
 * exit 2 and one line naming what and where.
 */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseConfig } from "../src/config/parse-config.js";
import { ConfigError } from "../src/errors.js";
import { runCli } from "./helpers/run-cli.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "mdeploy-bad-"));
  await writeFile(path.join(dir, "mdeploy.yml"), "environments:\n  staging:\n    template: app.json.hbs\n");
  await mkdir(path.join(dir, "zk-data", "myid"), { recursive: true });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Nested aliases: each level repeats the one before ten times (10^12 strings when expanded). */
function aliasBomb(): string {
  const lines = ['a0: &a0 ["x","x","x","x","x","x","x","x","x","x"]'];
  for (let i = 1; i < 12; i++) lines.push(`a${i}: &a${i} [${Array.from({ length: 10 }, () => `*a${i - 1}`).join(",")}]`);
  return `environments:\n  staging:\n    template: app.json.hbs\n    variables:\n${lines.map((l) => `      ${l}`).join("\n")}\n`;
}

describe("bad input is exit 2 and one line", () => {
  const cases: { name: string; args: string[]; says: RegExp; file?: { name: string; text: string } }[] = [
    { name: "a 300-character environment name", args: ["deploy", "e".repeat(300)], says: /an environment name has at most 64 characters \(got 300\)/ },
    { name: "--timeout 1e10 names the maximum", args: ["deploy", "staging", "--timeout", "1e10"], says: /--timeout.*must be a positive number of seconds \(at most 86400\)/ },
    { name: "runner-health --timeout -5", args: ["runner-health", "--timeout", "-5"], says: /--timeout must be a positive number/ },
    // One wording for every positive number, whichever parser reads it (commander's, a command's, zk-id's list of problems).
    { name: "init --mem 0", args: ["init", "--mem", "0"], says: /--mem <MB>.*must be a positive number of MB/ },
    { name: "runner-reap --timeout soon", args: ["runner-reap", "--tag", "ci", "--timeout", "soon"], says: /^mdeploy: --timeout must be a positive number of seconds, got "soon"$/m },
    { name: "zk-id --tick-time 1.5", args: ["zk-id", "--peers", "a,b,c", "--address", "a", "--tick-time", "1.5"], says: /--tick-time must be a positive whole number, got "1\.5"/ },
    { name: "zk-id --data-dir /dev/null", args: ["zk-id", "--data-dir", "/dev/null"], says: /\/dev\/null is not a directory/ },
    { name: "zk-id with a myid that is a directory", args: ["zk-id", "--data-dir", "zk-data"], says: /zk-data\/myid is a directory/ },
    { name: "zk-id --peers ,,,", args: ["zk-id", "--peers", ",,,"], says: /--peers.*got no hosts/ },
    { name: "registry-auth --registry 'http://x y/'", args: ["registry-auth", "--registry", "http://x y/"], says: /--registry.*expected host\[:port\]/ },
    { name: "a YAML alias bomb", args: ["--config", "bomb.yml", "render", "staging"], says: /bomb\.yml:1:1: YAML aliases expand too far/, file: { name: "bomb.yml", text: aliasBomb() } },
    { name: "a duplicate key", args: ["--config", "dup.yml", "render", "staging"], says: /dup\.yml:4:3: duplicate key "staging"/, file: { name: "dup.yml", text: "environments:\n  staging:\n    template: a\n  staging:\n    template: b\n" } },
  ];
  it.each(cases)("$name", async ({ args, says, file }) => {
    if (file) await writeFile(path.join(dir, file.name), file.text);
    const run = await runCli(args, { cwd: dir, timeoutMs: 30_000 });
    expect(run.stderr).toMatch(says);
    expect(run.code).toBe(2);
    expect(run.stderr.trim().split("\n")).toHaveLength(1);
  });

  it("a config with one unknown key holding 50,000 entries is rejected in well under a second of CPU", () => {
    const text = `environments:\n  staging:\n    template: app.json.hbs\nbogus:\n${Array.from({ length: 50_000 }, (_, i) => `  k${i}: ${i}\n`).join("")}`;
    const before = process.cpuUsage();
    expect(() => parseConfig(text, "big.yml")).toThrow(ConfigError);
    const used = process.cpuUsage(before);
    // Minutes before (the yaml package's duplicate-key check is quadratic); CPU time, so a busy machine does not fail it.
    expect((used.user + used.system) / 1000).toBeLessThan(1_500);
    expect(() => parseConfig(text, "big.yml")).toThrow(/big\.yml:4:1: bogus: unknown key/);
  });
});
