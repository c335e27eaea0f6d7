/**
 * Validates JSON answers against named schemas at an adapter's boundary
 * (STYLE.md rule 7): every problem at once, each as "path: problem".
 */
import type { ErrorObject } from "ajv";
import { precompiledValidatorSet, type ValidatorModule } from "../validate/precompiled.js";

/** Checks a value against the schema of that name; returns problem lines, empty when valid. */
export type ResponseChecker<Name extends string> = (name: Name, value: unknown) => string[];

/**
 * A checker for `schemas`, whose validators the build compiled into `module`
 * (scripts/build-validators.mjs); from the sources each schema is compiled on
 * first use, once per checker (no module-level state).
 */
export function createResponseChecker<Name extends string>(schemas: Readonly<Record<Name, object>>, module: ValidatorModule): ResponseChecker<Name> {
  const validatorFor = precompiledValidatorSet(module, schemas);
  return (name, value) => {
    const validate = validatorFor(name);
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
