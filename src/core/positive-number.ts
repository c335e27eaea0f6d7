/**
 * One reading of "a positive number" for every flag and setting that takes one
 * (timeouts in seconds, sizes, speeds, ports, counts), with one message style:
 * `must be a positive number of seconds (at most 86400)`. Pure: callers put the
 * problem in their own error (commander's, a UsageError, a list of problems).
 */
import { UsageError } from "../errors.js";

/** Longest timeout a flag or setting takes: a day. Node's timers overflow past ~24.8 days, and no deploy should wait longer. */
const MAX_TIMEOUT_SECONDS = 86_400;

/** What a value must be beyond "a finite number above 0". */
export interface PositiveNumberRule {
  /** Named in the message: "of seconds", "of MB". */
  unit?: string;
  /** The largest value allowed, named in the message. */
  max?: number;
  /** Only whole numbers (ports, counts, intervals in whole units). */
  whole?: boolean;
}

/** A timeout in seconds, as the flags and mdeploy.yml take it. */
export const TIMEOUT_SECONDS_RULE: PositiveNumberRule = { unit: "seconds", max: MAX_TIMEOUT_SECONDS };

/** The phrase a problem reads as: `must be a positive whole number (at most 65535)`. */
export function positiveNumberRequirement(rule: PositiveNumberRule = {}): string {
  return `must be a positive ${rule.whole ? "whole number" : "number"}${rule.unit ? ` of ${rule.unit}` : ""}${rule.max === undefined ? "" : ` (at most ${rule.max})`}`;
}

/** The number `text` holds, or undefined when it breaks the rule (not a number, 0 or less, not whole, over the maximum). */
export function readPositiveNumber(text: string, rule: PositiveNumberRule = {}): number | undefined {
  // Number("") and Number(" ") are 0, rejected below; "0x10" and "1e3" are numbers as the user wrote them.
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0) return undefined;
  // A whole number is written in digits: "0x50" is no port a person means.
  if (rule.whole && !/^\s*\d+\s*$/.test(text)) return undefined;
  if (rule.max !== undefined && n > rule.max) return undefined;
  return n;
}

/** The problem line for a flag: `--timeout must be a positive number of seconds (at most 86400), got "0"`. */
export function positiveNumberProblem(flag: string, text: string, rule: PositiveNumberRule = {}): string {
  return `${flag} ${positiveNumberRequirement(rule)}, got ${JSON.stringify(text)}`;
}

/** Reads a command's flag value, or throws the UsageError (exit 2) naming the flag. */
export function positiveFlag(flag: string, text: string, rule: PositiveNumberRule = {}): number {
  const n = readPositiveNumber(text, rule);
  if (n === undefined) throw new UsageError(positiveNumberProblem(flag, text, rule));
  return n;
}
