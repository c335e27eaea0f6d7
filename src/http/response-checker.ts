/**
 * Validates JSON answers against named schemas at an adapter's boundary
 * (STYLE.md rule 7): every problem at once, each as "path: problem".
 */
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";

/** Checks a value against the schema of that name; returns problem lines, empty when valid. */
export type ResponseChecker<Name extends string> = (name: Name, value: unknown) => string[];

/** Compiles each schema on first use, once per checker (no module-level state). */
export function createResponseChecker<Name extends string>(schemas: Readonly<Record<Name, object>>): ResponseChecker<Name> {
  const ajv = new Ajv({ allErrors: true, strict: false });
  const compiled = new Map<Name, ValidateFunction>();
  return (name, value) => {
    let validate = compiled.get(name);
    if (!validate) {
      validate = ajv.compile(schemas[name]);
      compiled.set(name, validate);
    }
    return validate(value) ? [] : formatAjvErrors(validate.errors ?? []);
  };
}

/** `"/app/version: is missing"`, one line per problem ("/" for the whole answer). */
export function formatAjvErrors(errors: readonly ErrorObject[]): string[] {
  const lines = errors
    .filter((e) => e.keyword !== "anyOf")
    .map((e) => {
      const path = e.keyword === "required" ? `${e.instancePath}/${String((e.params as { missingProperty?: string }).missingProperty)}` : e.instancePath;
      const message = e.keyword === "required" ? "is missing" : (e.message ?? "is invalid");
      return `${path || "/"}: ${message}`;
    });
  return [...new Set(lines)];
}
