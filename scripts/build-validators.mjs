#!/usr/bin/env node
// Compiles the JSON schemas that interactive commands check on every run
// (mdeploy.yml, the Marathon app, Marathon's and Mesos' answers) into standalone
// validator modules under dist/validators/, so `status`, `plan`, `render` and
// `history` neither generate the same code every time nor load ajv's compiler.
// At run time src/validate/precompiled.ts loads these, or compiles the schema
// when they are missing (tests run from src/). Runs after tsc: the schemas and
// ajv options come from the compiled modules, so there is one copy of each.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { Ajv } from "ajv";
import standaloneCode from "ajv/dist/standalone/index.js";

const root = new URL("..", import.meta.url);
const out = new URL("dist/validators/", root);
const { VALIDATOR_OPTIONS } = await import(new URL("dist/validate/precompiled.js", root).href);
const { marathonResponseSchemas } = await import(new URL("dist/marathon/response-schemas.js", root).href);
const { mesosResponseSchemas } = await import(new URL("dist/mesos/client.js", root).href);
const { marathonEventSchemas } = await import(new URL("dist/marathon/event-schemas.js", root).href);
const readSchema = (file) => JSON.parse(readFileSync(new URL(file, root), "utf8"));

mkdirSync(out, { recursive: true });
// One schema: the module is the validate function.
for (const [name, file] of [["mdeploy-config", "schemas/mdeploy.schema.json"], ["marathon-app", "schemas/marathon-app.schema.json"]]) {
  const ajv = new Ajv({ ...VALIDATOR_OPTIONS[name], code: { source: true } });
  writeFileSync(new URL(`${name}.cjs`, out), standaloneCode(ajv, ajv.compile(readSchema(file))));
}
// Named schemas: one export per answer kind.
for (const [name, schemas] of [["marathon-responses", marathonResponseSchemas], ["mesos-responses", mesosResponseSchemas], ["marathon-events", marathonEventSchemas]]) {
  const ajv = new Ajv({ ...VALIDATOR_OPTIONS[name], code: { source: true } });
  for (const [kind, schema] of Object.entries(schemas)) ajv.addSchema(schema, kind);
  writeFileSync(new URL(`${name}.cjs`, out), standaloneCode(ajv, Object.fromEntries(Object.keys(schemas).map((kind) => [kind, kind]))));
}
