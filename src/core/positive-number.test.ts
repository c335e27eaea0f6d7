import { describe, expect, it } from "vitest";
import { UsageError } from "../errors.js";
import { positiveFlag, positiveNumberProblem, positiveNumberRequirement, readPositiveNumber } from "./positive-number.js";

describe("positive numbers", () => {
  it.each([
    ["5", {}, 5],
    ["0.5", { unit: "seconds" }, 0.5],
    ["86400", { max: 86_400 }, 86_400],
    ["65535", { whole: true, max: 65_535 }, 65_535],
  ])("%s under %j is %d", (text, rule, expected) => {
    expect(readPositiveNumber(text, rule)).toBe(expected);
  });

  it.each([
    ["0", {}],
    ["-5", {}],
    ["", {}],
    ["soon", {}],
    ["Infinity", {}],
    ["86401", { max: 86_400 }],
    ["1.5", { whole: true }],
    ["0x50", { whole: true }],
  ])("%s under %j is refused", (text, rule) => {
    expect(readPositiveNumber(text, rule)).toBeUndefined();
  });

  it("says what it must be in one style, naming the unit and the maximum when there is one", () => {
    expect(positiveNumberRequirement()).toBe("must be a positive number");
    expect(positiveNumberRequirement({ unit: "seconds", max: 86_400 })).toBe("must be a positive number of seconds (at most 86400)");
    expect(positiveNumberRequirement({ whole: true, max: 65_535 })).toBe("must be a positive whole number (at most 65535)");
    expect(positiveNumberProblem("--timeout", "-1", { unit: "seconds" })).toBe('--timeout must be a positive number of seconds, got "-1"');
  });

  it("a command's flag: the number, or a UsageError (exit 2) naming the flag", () => {
    expect(positiveFlag("--grace", "300", { unit: "seconds" })).toBe(300);
    expect(() => positiveFlag("--grace", "0", { unit: "seconds" })).toThrow(new UsageError('--grace must be a positive number of seconds, got "0"'));
  });
});
