#!/usr/bin/env node
// Compiles the JSON schemas that interactive commands check on every run
// (mdeploy.yml, the Marathon app) into standalone validator modules under
// dist/validators/, so `status`, `plan`, `render` and `history` do not spend
// most of their start-up generating the same code every time. At run time
// src/validate/precompiled.ts loads these, or compiles the schema when they are
// missing (tests run from src/).
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { Ajv } from "ajv";
import standaloneCode from "ajv/dist/standalone/index.js";

const root = new URL("..", import.meta.url);
const out = new URL("dist/validators/", root);
mkdirSync(out, { recursive: true });
for (const [name, file] of [["mdeploy-config", "schemas/mdeploy.schema.json"], ["marathon-app", "schemas/marathon-app.schema.json"]]) {
  const schema = JSON.parse(readFileSync(new URL(file, root), "utf8"));
  // The same options as src/validate/precompiled.ts's fallback.
  const ajv = new Ajv({ allErrors: true, strict: false, verbose: true, code: { source: true } });
  writeFileSync(new URL(`${name}.cjs`, out), standaloneCode(ajv, ajv.compile(schema)));
}
