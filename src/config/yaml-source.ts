/**
 * YAML with positions: parse a document once and answer "which line is this
 * path on?" so configuration problems can name file and line, as STYLE.md
 * asks of every bad-input message.
 */
import { isMap, isScalar, isSeq, LineCounter, parseDocument, visit, type Document, type Node } from "yaml";
import type { Problem } from "../core/problem.js";

/** A parsed YAML text plus what is needed to point into it. */
export interface YamlSource {
  fileName: string;
  value: unknown;
  /** `file:line:column` for a JSON-pointer-like path (`["environments","staging","template"]`); the key's position when `key` is set. */
  locate(path: readonly (string | number)[], options?: { key?: string }): string;
}

/** Parses YAML text; syntax errors come back as problems (every one, each with its line) instead of a value. */
export function parseYaml(text: string, fileName: string): { source?: YamlSource; problems: Problem[] } {
  const lineCounter = new LineCounter();
  // The yaml package's own uniqueKeys check compares every key with every earlier one: a
  // mapping of 50,000 keys took minutes. duplicateKeys() does the same job with a Set.
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: false });
  const where = (offset: number): string => {
    const pos = lineCounter.linePos(offset);
    return `${fileName}:${pos.line}:${pos.col}`;
  };
  if (doc.errors.length > 0) {
    return {
      problems: doc.errors.map((e) => ({ path: where(e.pos[0]), message: firstLine(e.message) })),
    };
  }
  const duplicates = duplicateKeys(doc);
  if (duplicates.length > 0) return { problems: duplicates.map((d) => ({ path: where(d.offset), message: `duplicate key "${d.key}"` })) };
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (error) {
    // The yaml package's guard against "billion laughs": aliases that expand past the bound.
    if (error instanceof ReferenceError && /alias/i.test(error.message)) {
      return { problems: [{ path: `${fileName}:1:1`, message: `YAML aliases expand too far (more than ${MAX_ALIAS_COUNT} per alias); write the values out or use fewer nested aliases` }] };
    }
    throw error;
  }
  const locate = (path: readonly (string | number)[], options: { key?: string } = {}): string => {
    const { node, keyNode } = findNode(doc, path, options.key);
    const range = (keyNode ?? node)?.range;
    return range ? where(range[0]) : `${fileName}:1:1`;
  };
  return { source: { fileName, value, locate }, problems: [] };
}

/** How far one alias may expand (the yaml package's `maxAliasCount`). */
const MAX_ALIAS_COUNT = 100;

/** Keys repeated within one mapping, with the offset of the repeat. Linear in the document's size. */
function duplicateKeys(doc: Document): { key: string; offset: number }[] {
  const found: { key: string; offset: number }[] = [];
  visit(doc, {
    Map(_key, map) {
      const seen = new Set<string>();
      for (const pair of map.items) {
        const key = isScalar(pair.key) ? String(pair.key.value) : undefined;
        if (key === undefined) continue;
        if (seen.has(key)) found.push({ key, offset: (pair.key as Node).range?.[0] ?? 0 });
        seen.add(key);
      }
    },
  });
  return found;
}

function findNode(doc: Document, path: readonly (string | number)[], key?: string): { node?: Node; keyNode?: Node } {
  // Walk as deep as the path exists; a problem about a missing child points at its parent.
  let node: unknown = doc.contents;
  for (const part of path) {
    const child: unknown = isMap(node) || isSeq(node) ? node.get(part, true) : undefined;
    if (child === undefined) break;
    node = child;
  }
  if (key !== undefined && isMap(node)) {
    const pair = node.items.find((p) => (p.key as { value?: unknown } | null)?.value === key);
    if (pair?.key) return { node: node as Node, keyNode: pair.key as Node };
  }
  return { node: node as Node | undefined };
}

function firstLine(text: string): string {
  return (text.split("\n")[0] ?? text).replace(/ at line \d+, column \d+:?$/, "");
}
