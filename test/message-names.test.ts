/**
 * Every flag and config key a message names must exist: a hint that says
 * "set marathon.url in mdeploy.yml" when the key is `marathon.urls` sends a
 * person the wrong way. Reads the source of every message (src/, not the
 * simulator, whose messages quote Marathon's and Mesos' own flags) and checks
 * the names against the real command line and the config schema.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Command } from "commander";
import { describe, expect, it } from "vitest";
import { createProgram } from "../src/cli/program.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === "sim" ? [] : sourceFiles(file);
    return entry.name.endsWith(".ts") && !entry.name.endsWith(".test.ts") ? [file] : [];
  });
}

/** The text inside string and template literals (comments are not messages). */
function literals(source: string): string[] {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
  return [...code.matchAll(/"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|`(?:[^`\\]|\\.)*`/g)].map((m) => m[0]);
}

function allFlags(program: Command): Set<string> {
  const flags = new Set<string>();
  const visit = (command: Command) => {
    for (const option of command.options) {
      if (option.long) flags.add(option.long);
      if (option.negate && option.long) flags.add(option.long);
    }
    command.commands.forEach(visit);
  };
  visit(program);
  flags.add("--help");
  return flags;
}

/** Dotted key paths of the config schema (`marathon.urls`, `environments.<name>.timeoutSeconds` as `timeoutSeconds` too). */
function configKeys(): Set<string> {
  const schema = JSON.parse(readFileSync(path.join(ROOT, "schemas/mdeploy.schema.json"), "utf8")) as { properties: Record<string, unknown>; definitions: Record<string, unknown> };
  const keys = new Set<string>();
  const walk = (node: unknown, prefix: string, depth: number) => {
    if (depth > 6 || typeof node !== "object" || node === null) return;
    const n = node as { properties?: Record<string, unknown>; $ref?: string };
    if (n.$ref) walk(schema.definitions[n.$ref.replace("#/definitions/", "")], prefix, depth + 1);
    for (const [key, child] of Object.entries(n.properties ?? {})) {
      const full = prefix ? `${prefix}.${key}` : key;
      keys.add(full);
      walk(child, full, depth + 1);
    }
  };
  walk(schema, "", 0);
  // Keys of one environment (canary.steps, timeoutSeconds) as messages about that environment name them.
  walk(schema.definitions.environmentBody, "", 0);
  return keys;
}

const messages = sourceFiles(path.join(ROOT, "src")).flatMap((file) => literals(readFileSync(file, "utf8")).map((text) => ({ file: path.relative(ROOT, file), text })));

describe("names in messages are real", () => {
  it("every --flag a message names is a flag of some mdeploy command", () => {
    // CSS custom properties in the HTML report (var(--x), --x: ...) are not flags.
    const flags = allFlags(createProgram("0.0.0", { json: false, debug: false }, () => undefined as never));
    const unknown = messages.flatMap(({ file, text }) => [...text.matchAll(/(?<![\w-]|var\()--[a-z][a-z0-9-]*(?![\w-]|\s*:)/g)].map((m) => ({ file, flag: m[0] }))).filter(({ flag }) => !flags.has(flag) && !flag.endsWith("-")); // "--no-" + name: a flag being built, not named
    expect(unknown).toEqual([]);
    expect(messages.length).toBeGreaterThan(500);
  });

  it("every config key a message names (\"x.y in mdeploy.yml\" / \"in the config\") is in the schema", () => {
    const keys = configKeys();
    const named = messages.flatMap(({ file, text }) => [...text.matchAll(/([a-z][A-Za-z]*(?:\.[a-z][A-Za-z]*)+) in (?:mdeploy\.yml|the config)/g)].map((m) => ({ file, key: m[1] as string })));
    expect(named.length).toBeGreaterThan(1);
    expect(named.filter(({ key }) => !keys.has(key))).toEqual([]);
  });

  it("every environment variable a message tells people to set is one mdeploy reads", () => {
    const read = new Set(messages.flatMap(({ text }) => [...text.matchAll(/env(?:\.|\[")([A-Z][A-Z0-9_]+)/g)].map((m) => m[1] as string)));
    const sourceText = sourceFiles(path.join(ROOT, "src")).map((f) => readFileSync(f, "utf8")).join("\n");
    const told = messages.flatMap(({ file, text }) => [...text.matchAll(/\bset ([A-Z][A-Z0-9_]{2,})\b/g)].map((m) => ({ file, variable: m[1] as string })));
    expect(told.length).toBeGreaterThan(1);
    // Read somewhere: as env.NAME, env["NAME"], or as a quoted name passed to a lookup.
    expect(told.filter(({ variable }) => !read.has(variable) && !new RegExp(`["'\`.]${variable}["'\`\\]]|env\\.${variable}\\b`).test(sourceText))).toEqual([]);
  });
});
