#!/usr/bin/env node
// Fails when modules under src/ import each other in a circle (docs/architecture.md: one
// direction of dependency). Type-only imports count too: a circle of types is still two
// modules that cannot be understood, moved or tested one without the other.
// Usage: node scripts/check-import-cycles.mjs [source folder, default src]
import { readFileSync, readdirSync, existsSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import ts from "typescript";

const root = resolve(process.argv[2] ?? "src");

/** Every TypeScript module under `dir`, tests left out (they may cross layers freely). */
function modulesUnder(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return modulesUnder(path);
    return entry.name.endsWith(".ts") && !entry.name.endsWith(".test.ts") && !entry.name.endsWith(".d.ts") ? [path] : [];
  });
}

/** The module a relative specifier names, as the NodeNext resolver finds it (`./x.js` is `./x.ts`). */
function resolveRelative(from, specifier) {
  const base = resolve(dirname(from), specifier);
  for (const candidate of [base.replace(/\.js$/, ".ts"), `${base}.ts`, join(base, "index.ts")]) {
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

const modules = modulesUnder(root);
const known = new Set(modules);
/** @type {Map<string, string[]>} */
const imports = new Map();
for (const file of modules) {
  const { importedFiles } = ts.preProcessFile(readFileSync(file, "utf8"), true, true);
  const targets = importedFiles
    .filter(({ fileName }) => fileName.startsWith("."))
    .map(({ fileName }) => resolveRelative(file, fileName))
    .filter((target) => target !== undefined && known.has(target));
  imports.set(file, [...new Set(targets)]);
}

// Tarjan's strongly connected components: every component of two or more modules
// (or one that imports itself) is a circle.
let counter = 0;
const index = new Map();
const low = new Map();
const stack = [];
const onStack = new Set();
const circles = [];
function visit(file) {
  index.set(file, counter);
  low.set(file, counter);
  counter += 1;
  stack.push(file);
  onStack.add(file);
  for (const next of imports.get(file) ?? []) {
    if (!index.has(next)) {
      visit(next);
      low.set(file, Math.min(low.get(file), low.get(next)));
    } else if (onStack.has(next)) low.set(file, Math.min(low.get(file), index.get(next)));
  }
  if (low.get(file) !== index.get(file)) return;
  const component = [];
  let member;
  do {
    member = stack.pop();
    onStack.delete(member);
    component.push(member);
  } while (member !== file);
  if (component.length > 1 || (imports.get(file) ?? []).includes(file)) circles.push(component);
}
for (const file of modules) if (!index.has(file)) visit(file);

const shown = (file) => relative(process.cwd(), file);
for (const circle of circles) {
  const members = new Set(circle);
  console.error(`import circle: ${circle.map(shown).sort().join(", ")}`);
  for (const file of circle.sort()) {
    for (const target of imports.get(file) ?? []) if (members.has(target)) console.error(`  ${shown(file)} -> ${shown(target)}`);
  }
}
if (circles.length > 0) {
  console.error(`${circles.length} import circle(s) under ${shown(root) || "."}: move the shared names into a module both sides import.`);
  process.exitCode = 1;
}
