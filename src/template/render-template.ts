/**
 * Renders a Handlebars template that must produce JSON, and says where in the
 * template anything went wrong: a missing variable (strict mode), a syntax
 * error, a helper misuse, or output that is not JSON (the JSON parser's
 * position is mapped back to the template line and column that produced it).
 * Pure: source text and context in, a parsed value out.
 */
import Handlebars from "handlebars";
import { TemplateError } from "../errors.js";
import { findJsonSyntaxError, jsonValueOffsets } from "./json-syntax.js";
import { builtinHelpers, HelperUsageError, MissingHelperArgument, type TemplateHelper, type TemplateLocation } from "./helpers.js";

export interface RenderTemplateInput {
  /** Template text. */
  source: string;
  /** How messages name the template (a path relative to the user's directory). */
  fileName: string;
  /** Variables the template sees. */
  context: Record<string, unknown>;
  /** Helpers beyond the built-in ones (e.g. registry-auth helpers). */
  helpers?: Record<string, TemplateHelper>;
}

/** The JSON text the template produced and its parsed value. */
export interface RenderedTemplate {
  text: string;
  value: unknown;
  /**
   * `file:line:column` of the template text that produced the value at a JSON
   * pointer (or its nearest existing ancestor), for validation messages.
   */
  locate(pointer: string): string;
}

// Loose AST shapes: the bundled typings mistype some fields (ContentStatement.original is a string).
interface Pos {
  line: number;
  column: number;
}
interface AstNode {
  type: string;
  loc?: { start: Pos; end: Pos };
  [key: string]: unknown;
}
interface ProgramNode extends AstNode {
  body: AstNode[];
}

/** One statement of the template, in the order markers number them. */
interface StatementInfo {
  node: AstNode;
}

const MARK_HELPER = "__mdeployMark";
const MARK_OPEN = "\u0000";
const MARK_CLOSE = "\u0001";

/**
 * Renders `source` and parses the result as JSON. Throws TemplateError with `file:line:column`.
 *
 * The template is first rendered as written. Only when that fails, or when a
 * caller asks where a value came from, is it rendered again instrumented (a
 * marker before every statement, mapping output back to template lines):
 * compiling twice the statements cost every command that reads an app a good
 * part of its start-up. Templates and helpers are pure, so both renders agree.
 */
export function renderJsonTemplate(input: RenderTemplateInput): RenderedTemplate {
  const plain = renderAsWritten(input);
  if (plain === undefined) return renderInstrumented(input);
  let located: RenderedTemplate | undefined;
  return { ...plain, locate: (pointer) => (located ??= renderInstrumented(input)).locate(pointer) };
}

/** The text and value of `source` rendered without instrumentation, or undefined on any failure (the instrumented render says where). */
function renderAsWritten(input: RenderTemplateInput): { text: string; value: unknown } | undefined {
  try {
    const hb = Handlebars.create();
    const helpers: Record<string, TemplateHelper> = { ...builtinHelpers(), ...input.helpers };
    for (const [name, helper] of Object.entries(helpers)) hb.registerHelper(name, helper as Handlebars.HelperDelegate);
    const text = hb.compile(input.source, { strict: true, noEscape: true })(input.context, { allowProtoPropertiesByDefault: false });
    return { text, value: JSON.parse(text) as unknown };
  } catch {
    return undefined;
  }
}

/** Renders with a marker before every statement, so every failure and every value is located in the template. */
function renderInstrumented(input: RenderTemplateInput): RenderedTemplate {
  const { fileName } = input;
  const hb = Handlebars.create();
  let ast: ProgramNode;
  try {
    ast = hb.parse(input.source) as unknown as ProgramNode;
  } catch (error) {
    throw syntaxError(error, fileName);
  }

  const statements: StatementInfo[] = [];
  const paths: AstNode[] = [];
  const calls: AstNode[] = [];
  instrument(ast, statements, paths, calls);

  let current = -1;
  const helpers: Record<string, TemplateHelper> = { ...builtinHelpers(), ...input.helpers };
  for (const [name, helper] of Object.entries(helpers)) hb.registerHelper(name, helper as Handlebars.HelperDelegate);
  hb.registerHelper(MARK_HELPER, (index: number) => {
    current = index;
    return `${MARK_OPEN}${index}${MARK_CLOSE}`;
  });

  let raw: string;
  try {
    const template = hb.compile(ast as unknown as hbs.AST.Program, { strict: true, noEscape: true });
    raw = template(input.context, { allowProtoPropertiesByDefault: false });
  } catch (error) {
    throw runtimeError(error, fileName, statements[current]?.node, paths, calls, input.context, Object.keys(helpers));
  }

  const { text, segments } = stripMarkers(raw);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const found = findJsonSyntaxError(text) ?? { offset: text.length, reason: (error as Error).message };
    throw jsonError(found, text, segments, statements, fileName);
  }
  let offsets: Map<string, number> | undefined;
  const locate = (pointer: string): string => {
    offsets ??= jsonValueOffsets(text);
    let path = pointer === "/" ? "" : pointer;
    while (!offsets.has(path) && path !== "") path = path.slice(0, path.lastIndexOf("/"));
    return where(fileName, templatePosition(offsets.get(path) ?? 0, segments, statements));
  };
  return { text, value, locate };
}

/** The template position that produced output offset `offset`. */
function templatePosition(offset: number, segments: Segment[], statements: StatementInfo[]): Pos | undefined {
  let index = segments.length - 1;
  while (index > 0 && (segments[index]?.start ?? 0) > offset) index--;
  const segment = segments[index];
  const node = segment ? statements[segment.statement]?.node : undefined;
  if (!segment || !node) return undefined;
  return node.type === "ContentStatement" ? positionInContent(node, offset - segment.start) : node.loc?.start;
}

/** Numbers every statement and puts a marker before it, so output offsets map back to statements. */
function instrument(program: ProgramNode, statements: StatementInfo[], paths: AstNode[], calls: AstNode[]): void {
  const body: AstNode[] = [];
  for (const statement of program.body) {
    collectExpressions(statement, paths, calls);
    if (statement.type !== "CommentStatement") {
      const index = statements.length;
      statements.push({ node: statement });
      body.push(marker(index, statement.loc));
    }
    body.push(statement);
    for (const child of ["program", "inverse"]) {
      const nested = statement[child] as ProgramNode | undefined;
      if (nested && Array.isArray(nested.body)) instrument(nested, statements, paths, calls);
    }
  }
  program.body = body;
}

function collectExpressions(node: AstNode, paths: AstNode[], calls: AstNode[]): void {
  if (node.type === "PathExpression") paths.push(node);
  if (Array.isArray(node.params) && (node.params as AstNode[]).length > 0) calls.push(node);
  const children: unknown[] = [node.path, ...((node.params as unknown[]) ?? []), ...(((node.hash as { pairs?: { value: unknown }[] } | undefined)?.pairs ?? []).map((p) => p.value))];
  for (const child of children) if (child && typeof child === "object") collectExpressions(child as AstNode, paths, calls);
}

function marker(index: number, loc: AstNode["loc"]): AstNode {
  return {
    type: "MustacheStatement",
    path: { type: "PathExpression", data: false, depth: 0, parts: [MARK_HELPER], original: MARK_HELPER, loc },
    params: [{ type: "NumberLiteral", value: index, original: index, loc }],
    hash: undefined,
    escaped: false,
    strip: { open: false, close: false },
    loc,
  };
}

interface Segment {
  /** Offset in the clean text where this statement's output starts. */
  start: number;
  statement: number;
}

function stripMarkers(raw: string): { text: string; segments: Segment[] } {
  const segments: Segment[] = [];
  let text = "";
  let i = 0;
  while (i < raw.length) {
    const open = raw.indexOf(MARK_OPEN, i);
    if (open === -1) {
      text += raw.slice(i);
      break;
    }
    const close = raw.indexOf(MARK_CLOSE, open);
    text += raw.slice(i, open);
    segments.push({ start: text.length, statement: Number(raw.slice(open + 1, close)) });
    i = close + 1;
  }
  return { text, segments };
}

function where(fileName: string, pos: Pos | undefined): string {
  return pos ? `${fileName}:${pos.line}:${pos.column + 1}` : fileName;
}

function syntaxError(error: unknown, fileName: string): TemplateError {
  const message = error instanceof Error ? error.message : String(error);
  const parse = /^Parse error on line (\d+):\n([^\n]*)\n([^\n]*)\n(.*)$/s.exec(message);
  if (parse) {
    const expecting = (parse[4] ?? "").replace(/^Expecting .*, got /, "unexpected ");
    return new TemplateError(`${fileName}:${parse[1]}: template syntax error: ${expecting}`, [parse[2] ?? "", parse[3] ?? ""]);
  }
  const located = /^(.*) - (\d+):(\d+)$/s.exec(message);
  if (located) return new TemplateError(`${fileName}:${located[2]}:${Number(located[3]) + 1}: template syntax error: ${located[1]}`);
  return new TemplateError(`${fileName}: template syntax error: ${message.split("\n")[0]}`);
}

function runtimeError(error: unknown, fileName: string, statement: AstNode | undefined, paths: AstNode[], calls: AstNode[], context: Record<string, unknown>, helperNames: string[]): TemplateError {
  if (error instanceof MissingHelperArgument) {
    const call = findCall(calls, error.loc);
    const param = (call?.params as AstNode[] | undefined)?.[error.index];
    if (param?.type === "PathExpression") {
      return new TemplateError(`${where(fileName, param.loc?.start)}: variable "${String(param.original)}" is not defined (used with ${error.helper})`, definedHint(String(param.original)));
    }
    return new TemplateError(`${where(fileName, error.loc?.start)}: ${error.message}`);
  }
  if (error instanceof HelperUsageError) return new TemplateError(`${where(fileName, error.loc?.start)}: ${error.message}`);
  const message = error instanceof Error ? error.message : String(error);
  const strict = /^"(.+)" not defined in .* - (\d+):(\d+)$/s.exec(message);
  if (strict) {
    const line = Number(strict[2]);
    const column = Number(strict[3]);
    const path = paths.find((p) => p.loc?.start.line === line && p.loc.start.column <= column && (p.loc.end.line > line || p.loc.end.column > column));
    const name = path ? String(path.original) : (strict[1] ?? "");
    const calledAsHelper = path !== undefined && calls.some((c) => c.path === path);
    if (calledAsHelper) return new TemplateError(`${fileName}:${line}:${column + 1}: helper "${name}" is not defined (helpers: ${helperNames.join(", ")})`);
    return new TemplateError(`${fileName}:${line}:${column + 1}: variable "${name}" is not defined`, definedHint(name));
  }
  // Anything else happened while evaluating the statement the last marker announced.
  const pathNode = findStatementPath(statement);
  const missing = pathNode ? firstMissing(String(pathNode.original), context) : undefined;
  if (missing) return new TemplateError(`${where(fileName, pathNode?.loc?.start)}: variable "${missing}" is not defined`, definedHint(missing));
  return new TemplateError(`${where(fileName, statement?.loc?.start)}: cannot render: ${message.split("\n")[0]}`);
}

function definedHint(name: string): string[] {
  return name.startsWith("env.")
    ? [`set ${name.slice(4)} in the environment, or write {{default ${name} "fallback"}}`]
    : [`define "${name}" under variables: (or in the values file) for this environment, or write {{default ${name} "fallback"}}`];
}

function findCall(calls: AstNode[], loc: TemplateLocation | undefined): AstNode | undefined {
  if (!loc) return undefined;
  return calls.find((c) => c.loc?.start.line === loc.start.line && c.loc.start.column === loc.start.column && c.loc.end.line === loc.end.line && c.loc.end.column === loc.end.column);
}

function findStatementPath(statement: AstNode | undefined): AstNode | undefined {
  const path = statement?.path as AstNode | undefined;
  return path?.type === "PathExpression" ? path : undefined;
}

/** The shortest prefix of a dotted path that does not resolve from the root context. */
function firstMissing(path: string, context: Record<string, unknown>): string | undefined {
  const parts = path.split(".");
  let value: unknown = context;
  for (let i = 0; i < parts.length; i++) {
    if (value === null || typeof value !== "object" || !Object.hasOwn(value, parts[i] ?? "")) return parts.slice(0, i + 1).join(".");
    value = (value as Record<string, unknown>)[parts[i] ?? ""];
  }
  return undefined;
}

function jsonError(found: { offset: number; reason: string }, text: string, segments: Segment[], statements: StatementInfo[], fileName: string): TemplateError {
  const { offset, reason } = found;
  const lineOfOutput = renderedLine(text, offset);
  let index = segments.length - 1;
  while (index > 0 && (segments[index]?.start ?? 0) > offset) index--;
  const segment = segments[index];
  const node = segment ? statements[segment.statement]?.node : undefined;
  if (!segment || !node) return new TemplateError(`${fileName}: the rendered template is not valid JSON: ${reason}`, [lineOfOutput]);

  // An empty or broken value shows up as an error at the text right after it: blame the mustache.
  const previous = segments[index - 1];
  const previousNode = previous ? statements[previous.statement]?.node : undefined;
  const onlySpaceBefore = text.slice(segment.start, offset).trim() === "";
  if (node.type === "ContentStatement" && onlySpaceBefore && previousNode && previousNode.type !== "ContentStatement" && previous) {
    const produced = text.slice(previous.start, segment.start);
    return new TemplateError(`${where(fileName, previousNode.loc?.start)}: the rendered template is not valid JSON: ${reason} right after this expression, which rendered ${JSON.stringify(produced)}`, [lineOfOutput, "quote values with {{json value}} (or {{str value}} inside a string)"]);
  }
  if (node.type === "ContentStatement") {
    const pos = positionInContent(node, offset - segment.start);
    return new TemplateError(`${where(fileName, pos)}: the rendered template is not valid JSON: ${reason}`, [lineOfOutput]);
  }
  const produced = text.slice(segment.start, segments[index + 1]?.start ?? text.length);
  return new TemplateError(`${where(fileName, node.loc?.start)}: the rendered template is not valid JSON: ${reason} in what this expression rendered (${JSON.stringify(produced.slice(0, 80))})`, [lineOfOutput, "quote values with {{json value}} (or {{str value}} inside a string)"]);
}

/** Template position of the character `offset` characters into a content statement's (whitespace-stripped) output. */
function positionInContent(node: AstNode, offset: number): Pos | undefined {
  const start = node.loc?.start;
  if (!start) return undefined;
  const original = typeof node.original === "string" ? node.original : String(node.value ?? "");
  const value = String(node.value ?? "");
  const lead = value ? Math.max(0, original.indexOf(value)) : 0;
  let { line, column } = start;
  for (const ch of original.slice(0, lead + offset)) {
    if (ch === "\n") {
      line++;
      column = 0;
    } else column++;
  }
  return { line, column };
}

function renderedLine(text: string, offset: number): string {
  const start = text.lastIndexOf("\n", Math.max(0, offset - 1)) + 1;
  const end = text.indexOf("\n", offset);
  const line = text.slice(start, end === -1 ? undefined : end);
  return `rendered: ${line.trim().slice(0, 160)}`;
}
