/**
 * Positions in JSON text, for error messages: where the text first breaks and
 * why (JSON.parse does not always say where: Node 20 omits the position for an
 * unexpected token), and where each value starts (so a validation problem at
 * a JSON pointer can name the template line that produced it).
 */

/** The first syntax problem in `text`, or undefined when it is valid JSON. */
export function findJsonSyntaxError(text: string): { offset: number; reason: string } | undefined {
  return scan(text);
}

/** Offsets where each value of valid JSON text starts, by JSON pointer ("" is the whole document). */
export function jsonValueOffsets(text: string): Map<string, number> {
  const offsets = new Map<string, number>();
  scan(text, (pointer, offset) => offsets.set(pointer, offset));
  return offsets;
}

function scan(text: string, onValue?: (pointer: string, offset: number) => void): { offset: number; reason: string } | undefined {
  let i = 0;
  const fail = (reason: string): never => {
    // At the end of the text the only useful thing to say is what is missing.
    const atEnd = i >= text.length && !reason.includes("inside a string") && !reason.includes("nothing rendered");
    throw new JsonSyntaxProblem(i, atEnd ? "unexpected end of input (an unclosed { or [?)" : reason);
  };
  const describe = (): string => (i >= text.length ? "unexpected end of input (an unclosed { or [?)" : `unexpected ${JSON.stringify(text[i])}`);
  const space = () => {
    while (i < text.length && " \t\r\n".includes(text[i] ?? "")) i++;
  };
  const literal = (word: string) => {
    if (text.startsWith(word, i)) i += word.length;
    else fail(`expected a value, ${describe()}`);
  };
  const string = (): string => {
    const start = i;
    i++; // opening quote
    while (i < text.length) {
      const ch = text[i] ?? "";
      if (ch === '"') {
        i++;
        return onValue ? (JSON.parse(text.slice(start, i)) as string) : "";
      }
      if (ch === "\\") {
        const next = text[i + 1] ?? "";
        if (next === "u") {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) fail("invalid \\u escape in a string");
          i += 6;
        } else if ('"\\/bfnrt'.includes(next) && next !== "") i += 2;
        else fail(`invalid escape "\\${next}" in a string`);
        continue;
      }
      if (ch < " ") fail(ch === "\n" ? "line break inside a string (an unclosed quote?)" : "control character inside a string");
      i++;
    }
    return fail("unexpected end of input inside a string (an unclosed quote?)");
  };
  const number = () => {
    const match = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i));
    if (!match) fail(`expected a value, ${describe()}`);
    i += match?.[0].length ?? 0;
  };
  const value = (pointer: string): void => {
    space();
    onValue?.(pointer, i);
    const ch = text[i];
    if (ch === "{") {
      i++;
      space();
      if (text[i] === "}") {
        i++;
        return;
      }
      for (;;) {
        space();
        if (text[i] !== '"') fail(text[i] === "}" ? "trailing comma before }" : `expected a property name in double quotes, ${describe()}`);
        const key = string();
        space();
        if (text[i] !== ":") fail(`expected ":" after the property name, ${describe()}`);
        i++;
        value(`${pointer}/${key.replace(/~/g, "~0").replace(/\//g, "~1")}`);
        space();
        if (text[i] === ",") {
          i++;
          continue;
        }
        if (text[i] === "}") {
          i++;
          return;
        }
        fail(`expected "," or "}" after a property value, ${describe()}`);
      }
    }
    if (ch === "[") {
      i++;
      space();
      if (text[i] === "]") {
        i++;
        return;
      }
      for (let index = 0; ; index++) {
        space();
        if (text[i] === "]") fail("trailing comma before ]");
        value(`${pointer}/${index}`);
        space();
        if (text[i] === ",") {
          i++;
          continue;
        }
        if (text[i] === "]") {
          i++;
          return;
        }
        fail(`expected "," or "]" after an array element, ${describe()}`);
      }
    }
    if (ch === '"') {
      string();
      return;
    }
    if (ch === "t") return literal("true");
    if (ch === "f") return literal("false");
    if (ch === "n") return literal("null");
    if (ch === "-" || (ch !== undefined && ch >= "0" && ch <= "9")) return number();
    fail(ch === undefined ? "unexpected end of input (nothing rendered?)" : `expected a value, ${describe()}`);
  };
  try {
    value("");
    space();
    if (i < text.length) fail(`unexpected ${JSON.stringify(text[i])} after the end of the JSON value`);
    return undefined;
  } catch (error) {
    if (error instanceof JsonSyntaxProblem) return { offset: error.offset, reason: error.reason };
    throw error;
  }
}

class JsonSyntaxProblem extends Error {
  constructor(
    readonly offset: number,
    readonly reason: string,
  ) {
    super(reason);
  }
}
