/**
 * The validators `npm run build` compiles into dist/validators/ (so interactive
 * commands neither compile schemas nor load ajv's compiler) judge exactly as
 * the schemas compiled at run time do, and cover every schema by name.
 */
import { createRequire } from "node:module";
import { Ajv, type ValidateFunction } from "ajv";
import { describe, expect, it } from "vitest";
import { formatAjvErrors } from "../src/http/response-checker.js";
import { marathonResponseSchemas } from "../src/marathon/response-schemas.js";
import { mesosResponseSchemas } from "../src/mesos/client.js";
import { VALIDATOR_OPTIONS } from "../src/validate/precompiled.js";

const require = createRequire(import.meta.url);
const built = (name: string): unknown => require(`../dist/validators/${name}.cjs`);

/** Answers that break the schemas in different ways, and a few that pass. */
const samples: unknown[] = [
  null,
  [],
  {},
  "text",
  { app: { id: "/a" } },
  { app: { id: "/a", version: "v1", instances: -1, tasks: [{ id: 1 }], lastTaskFailure: { message: "m" } } },
  { apps: [{ id: "/a", version: "v" }, { version: 3 }] },
  [{ id: "d", version: "v", affectedApps: ["/a"], currentStep: 1, totalSteps: "2" }],
  { queue: [{ count: "1", app: {} }] },
  { versions: ["a", 2] },
  { slaves: [{ id: "s", hostname: "h", resources: { cpus: 1, mem: 1, disk: 1 }, used_resources: { cpus: "1" } }] },
];

function verdicts(validate: ValidateFunction): (string[] | true)[] {
  return samples.map((value) => (validate(value) ? true : formatAjvErrors(validate.errors ?? [])));
}

describe("build-time validators", () => {
  for (const [module, schemas] of [
    ["marathon-responses", marathonResponseSchemas],
    ["mesos-responses", mesosResponseSchemas],
  ] as const) {
    it(`${module}: one export per answer kind, each judging as the run-time compile does`, () => {
      const exports = built(module) as Record<string, ValidateFunction>;
      expect(Object.keys(exports).sort()).toEqual(Object.keys(schemas).sort());
      let failures = 0;
      for (const [name, schema] of Object.entries(schemas)) {
        const expected = verdicts(new Ajv(VALIDATOR_OPTIONS[module]).compile(schema));
        const actual = exports[name];
        expect(actual, name).toBeTypeOf("function");
        if (actual) expect(verdicts(actual), name).toEqual(expected);
        failures += expected.filter((v) => v !== true).length;
      }
      // The samples do exercise the error paths.
      expect(failures).toBeGreaterThan(Object.keys(schemas).length);
    });
  }

  it("the config and app validators report what the run-time compile reports", () => {
    for (const [module, schemaFile] of [
      ["mdeploy-config", "../schemas/mdeploy.schema.json"],
      ["marathon-app", "../schemas/marathon-app.schema.json"],
    ] as const) {
      const validate = built(module) as ValidateFunction;
      const compiled = new Ajv(VALIDATOR_OPTIONS[module]).compile(require(schemaFile) as object);
      for (const value of [{}, { environments: { s: { template: 3 } } }, { id: "/a", instances: "x", cpus: -1 }]) {
        expect(validate(value)).toBe(compiled(value));
        expect(validate.errors).toEqual(compiled.errors);
      }
    }
  });
});
