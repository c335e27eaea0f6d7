import { describe, expect, it } from "vitest";
import { findJsonSyntaxError } from "./json-syntax.js";

describe("findJsonSyntaxError", () => {
  it.each(['{"a": [1, -2.5e3, true, false, null, "x\\n\\u00e9"], "b": {}}', "[]", ' "s" ', "0"])("accepts %s", (text) => {
    expect(findJsonSyntaxError(text)).toBeUndefined();
  });

  it.each<[string, number, RegExp]>([
    ['{"a": 1,}', 8, /trailing comma before \}/],
    ["[1,]", 3, /trailing comma before \]/],
    ['{"a": nginx:1}', 6, /expected a value, unexpected "n"/],
    ['{"a": 1 "b": 2}', 8, /expected "," or "\}"/],
    ["{a: 1}", 1, /property name in double quotes/],
    ['{"a" 1}', 5, /expected ":"/],
    ['{"a": "x\ny"}', 8, /line break inside a string/],
    ['{"a": "x\\q"}', 8, /invalid escape/],
    ['{"a": 1', 7, /unexpected end of input/],
    ["", 0, /nothing rendered/],
    ["{} {}", 3, /after the end of the JSON value/],
    ['{"a": 01}', 7, /expected "," or "\}"/],
  ])("locates %j at offset %i", (text, offset, reason) => {
    const found = findJsonSyntaxError(text);
    expect(found?.offset).toBe(offset);
    expect(found?.reason).toMatch(reason);
    expect(() => JSON.parse(text)).toThrow();
  });
});
