import { describe, expect, it } from "vitest";
import { TemplateError } from "../errors.js";
import { renderJsonTemplate } from "./render-template.js";

function failure(source: string, context: Record<string, unknown> = {}): TemplateError {
  try {
    renderJsonTemplate({ source, fileName: "app.json.hbs", context });
  } catch (error) {
    if (error instanceof TemplateError) return error;
    throw error;
  }
  throw new Error("expected a TemplateError");
}

describe("renderJsonTemplate", () => {
  it("renders JSON with the quoting helpers", () => {
    const source = '{\n  "id": {{json id}},\n  "labels": { "rule": "Host:{{str domain}}" },\n  "instances": {{json (default instances 1)}},\n  "image": {{json (concat env.IMAGE ":" env.TAG)}}\n}\n';
    const { value } = renderJsonTemplate({ source, fileName: "t", context: { id: "/a", domain: 'x"y', env: { IMAGE: "reg/app", TAG: "abc" } } });
    expect(value).toEqual({ id: "/a", labels: { rule: 'Host:x"y' }, instances: 1, image: "reg/app:abc" });
  });

  it("keeps block helpers and conditions working", () => {
    const source = '{ "list": [{{#each items}}{{#unless @first}},{{/unless}}{{json this}}{{/each}}], "prod": {{#if (eq environment "production")}}true{{else}}false{{/if}} }';
    const { value } = renderJsonTemplate({ source, fileName: "t", context: { items: ["a", "b"], environment: "staging" } });
    expect(value).toEqual({ list: ["a", "b"], prod: false });
  });

  it.each([
    ["a missing variable", '{\n  "id": {{id}}\n}', {}, /^app\.json\.hbs:2:11: variable "id" is not defined$/],
    ["a missing nested variable", '{\n  "tag": "{{env.CI_COMMIT_TAG}}"\n}', { env: {} }, /^app\.json\.hbs:2:13: variable "env\.CI_COMMIT_TAG" is not defined$/],
    ["a missing helper argument", '{\n\n  "id": {{json appId}}\n}', {}, /^app\.json\.hbs:3:16: variable "appId" is not defined \(used with json\)$/],
    ["a missing fallback inside a subexpression", '{\n  "image": {{json (concat image ":" (default env.TAG tag))}}\n}', { image: "a", env: {} }, /^app\.json\.hbs:2:54: variable "tag" is not defined \(used with default\)$/],
    ["a missing variable under a missing parent", '{ "a": {{x.y.z}} }', {}, /^app\.json\.hbs:1:\d+: variable "x(\.y)?" is not defined$/],
    ["an unclosed mustache", '{\n  "a": 1,\n  "b": {{x}\n}', { x: 1 }, /^app\.json\.hbs:3: template syntax error: unexpected 'INVALID'$/],
    ["mismatched blocks", '{\n{{#if a}}\n"a": 1\n{{/each}}\n}', { a: true }, /^app\.json\.hbs:2:\d+: template syntax error: if doesn't match each$/],
    ["an unknown helper", '{ "a": {{shout x}} }', { x: "y" }, /^app\.json\.hbs:1:\d+: helper "shout" is not defined/],
    ["a trailing comma", '{\n  "a": 1,\n  "b": 2,\n}\n', {}, /^app\.json\.hbs:4:1: the rendered template is not valid JSON/],
    ["an unquoted string value", '{\n  "id": "/x",\n  "image": {{image}}\n}', { image: "nginx:1" }, /^app\.json\.hbs:3:12: the rendered template is not valid JSON: .* in what this expression rendered/],
    ["an empty value", '{\n  "instances": {{count}},\n  "b": 1\n}', { count: "" }, /^app\.json\.hbs:2:16: the rendered template is not valid JSON: .*right after this expression, which rendered ""$/],
    ["an unclosed object", '{\n  "a": {\n    "b": 1\n  }\n', {}, /^app\.json\.hbs:\d+:\d+: the rendered template is not valid JSON: unexpected end of input/],
    ["a non-number for number", '{ "a": {{number x}} }', { x: "abc" }, /^app\.json\.hbs:1:8: number: "abc" is not a number$/],
  ])("reports %s with file, line and column", (_name, source, context, expected) => {
    const error = failure(source, context);
    expect(error.message).toMatch(expected);
    expect(error.message).not.toContain("\n");
  });
});

describe("RenderedTemplate.locate", () => {
  const source = '{\n  "id": {{json id}},\n  "upgradeStrategy": {\n    "minimumHealthCapacity": 1.5\n  },\n  "list": [{{#each items}}{{#unless @first}}, {{/unless}}{{json this}}{{/each}}]\n}\n';
  const rendered = renderJsonTemplate({ source, fileName: "app.json.hbs", context: { id: "/a", items: [1, 2] } });

  it.each([
    ["/upgradeStrategy/minimumHealthCapacity", "app.json.hbs:4:30"],
    ["/id", "app.json.hbs:2:9"],
    ["/list/1", "app.json.hbs:6:58"],
    ["/upgradeStrategy/maximumOverCapacity", "app.json.hbs:3:22"],
    ["/", "app.json.hbs:1:1"],
  ])("names the template position of %s", (pointer, expected) => {
    expect(rendered.locate(pointer)).toBe(expected);
  });
});

describe("rendering as written, locating only when asked", () => {
  // Whitespace control, standalone block lines, else-chains and comments: what the
  // instrumented render (markers before every statement) must reproduce exactly.
  const source = [
    "{{!-- a comment --}}",
    "{",
    '  "id": {{json id}},',
    "  {{#if labels~}}",
    '    "labels": { {{#each labels}}{{#unless @first}}, {{/unless}}{{json @key}}: {{json this}}{{/each}} },',
    "  {{~else~}}",
    '    "labels": {},',
    "  {{~/if}}",
    "{{#each ports}}",
    '  "port{{@index}}": {{json this}},',
    "{{/each}}",
    '  "instances": {{json (default instances 1)}}',
    "}",
  ].join("\n");

  it("gives the same text and positions as the instrumented render, for any statement shape", () => {
    const context = { id: "/a", labels: { a: "1", b: "2" }, ports: [80, 443] };
    const rendered = renderJsonTemplate({ source, fileName: "t.hbs", context });
    expect(rendered.value).toEqual({ id: "/a", labels: { a: "1", b: "2" }, port0: 80, port1: 443, instances: 1 });
    expect(rendered.locate("/id")).toBe("t.hbs:3:9");
    expect(rendered.locate("/labels/b")).toBe("t.hbs:5:79");
    expect(rendered.locate("/port1")).toBe("t.hbs:10:21");
    expect(rendered.locate("/instances")).toBe("t.hbs:12:16");
    // A failure in the as-written render is reported by the instrumented one, located.
    expect(() => renderJsonTemplate({ source, fileName: "t.hbs", context: { ...context, id: undefined } })).toThrow(/^t\.hbs:3:16: variable "id" is not defined \(used with json\)$/);
  });

  it("calls helpers once when nothing fails and nobody asks where a value came from", () => {
    let calls = 0;
    const helpers = { counted: () => (calls++, '"x"') };
    const rendered = renderJsonTemplate({ source: '{ "a": {{counted}} }', fileName: "t.hbs", context: {}, helpers });
    expect(rendered.value).toEqual({ a: "x" });
    expect(calls).toBe(1);
    expect(rendered.locate("/a")).toBe("t.hbs:1:8");
  });
});
