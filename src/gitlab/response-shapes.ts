/**
 * Boundary checks for the GitLab responses mdeploy acts on (STYLE.md rule 7). Hand-written
 * instead of ajv because runner-health runs on every runner every interval and must load
 * as little as possible; each check still lists every problem with its JSON path.
 */
import type { RunnerDetails, RunnerListItem, RunnerManager, RunnerVerifyResponse } from "./types.js";

type FieldKind = "number" | "string" | "boolean" | "string|null" | "string[]";

interface FieldRule {
  kind: FieldKind;
  optional?: boolean;
}

const runnerDetailsRules: Record<string, FieldRule> = {
  id: { kind: "number" },
  description: { kind: "string|null", optional: true },
  paused: { kind: "boolean" },
  status: { kind: "string" },
  contacted_at: { kind: "string|null", optional: true },
  tag_list: { kind: "string[]", optional: true },
};

const runnerListItemRules: Record<string, FieldRule> = {
  id: { kind: "number" },
  description: { kind: "string|null", optional: true },
  status: { kind: "string" },
};

const managerRules: Record<string, FieldRule> = {
  id: { kind: "number" },
  system_id: { kind: "string" },
  status: { kind: "string" },
  contacted_at: { kind: "string|null", optional: true },
};

function matches(value: unknown, kind: FieldKind): boolean {
  switch (kind) {
    case "number":
      return typeof value === "number";
    case "string":
      return typeof value === "string";
    case "boolean":
      return typeof value === "boolean";
    case "string|null":
      return value === null || typeof value === "string";
    case "string[]":
      return Array.isArray(value) && value.every((v) => typeof v === "string");
  }
}

function checkObject(value: unknown, rules: Record<string, FieldRule>, path: string, problems: string[]): void {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    problems.push(`${path}: expected an object`);
    return;
  }
  const record = value as Record<string, unknown>;
  for (const [name, rule] of Object.entries(rules)) {
    const field = record[name];
    if (field === undefined) {
      if (!rule.optional) problems.push(`${path}.${name}: missing`);
    } else if (!matches(field, rule.kind)) {
      problems.push(`${path}.${name}: expected ${rule.kind}`);
    }
  }
}

function checkArray(value: unknown, rules: Record<string, FieldRule>, path: string, problems: string[]): void {
  if (!Array.isArray(value)) {
    problems.push(`${path}: expected an array`);
    return;
  }
  value.forEach((item, index) => checkObject(item, rules, `${path}[${index}]`, problems));
}

/** A response body that either has the shape we rely on, or the list of ways it does not. */
export type Checked<T> = { ok: true; value: T } | { ok: false; problems: string[] };

function checked<T>(value: unknown, check: (value: unknown, problems: string[]) => void): Checked<T> {
  const problems: string[] = [];
  check(value, problems);
  return problems.length === 0 ? { ok: true, value: value as T } : { ok: false, problems };
}

/**
 * Checks a `GET /runners/:id` body. GitLab before 14.8 has no `paused`, only the now
 * deprecated `active`, so `paused` is derived from it there, and from a `paused` status
 * when neither field is present.
 */
export function checkRunnerDetails(value: unknown): Checked<RunnerDetails> {
  const record = value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  const derivedPaused = !record || record.paused !== undefined ? undefined : typeof record.active === "boolean" ? !record.active : record.status === "paused" ? true : undefined;
  const normalized = record && derivedPaused !== undefined ? { ...record, paused: derivedPaused } : value;
  return checked(normalized, (v, p) => checkObject(v, runnerDetailsRules, "$", p));
}

/** Checks one page of a runner list. */
export const checkRunnerList = (value: unknown): Checked<RunnerListItem[]> =>
  checked(value, (v, p) => checkArray(v, runnerListItemRules, "$", p));

/** Checks a `GET /runners/:id/managers` body. */
export const checkRunnerManagers = (value: unknown): Checked<RunnerManager[]> =>
  checked(value, (v, p) => checkArray(v, managerRules, "$", p));

/** Checks a `POST /runners/verify` body. */
export const checkRunnerVerify = (value: unknown): Checked<RunnerVerifyResponse> =>
  checked(value, (v, p) => checkObject(v, { id: { kind: "number" } }, "$", p));
