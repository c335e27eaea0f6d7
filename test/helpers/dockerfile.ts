/**
 * Reading a Dockerfile and its build context the way `docker build` does, for the
 * tests that lint and replay the toolkit's image recipe (no Docker engine here).
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";

export interface Instruction {
  keyword: string;
  args: string;
  line: number;
}

/** Instructions with continuation lines joined; comments and parser directives dropped. */
export function instructions(dockerfile: string): Instruction[] {
  const result: Instruction[] = [];
  let pending: Instruction | undefined;
  dockerfile.split("\n").forEach((raw, index) => {
    const text = raw.trim();
    if (!pending && (text === "" || text.startsWith("#"))) return;
    const continued = text.endsWith("\\");
    const body = continued ? text.slice(0, -1).trim() : text;
    if (pending) pending.args = `${pending.args} ${body}`.trim();
    else {
      const [keyword = "", ...rest] = body.split(/\s+/);
      pending = { keyword: keyword.toUpperCase(), args: rest.join(" "), line: index + 1 };
    }
    if (!continued) {
      result.push(pending);
      pending = undefined;
    }
  });
  return result;
}

interface IgnoreRule {
  negated: boolean;
  pattern: RegExp;
  /** The pattern's literal leading directories, to know which excluded directories a `!` rule may reach into. */
  prefix: string;
}

/** Docker's .dockerignore rules: Go filepath.Match patterns plus `**`, `!` re-includes, the last match wins. */
export function parseDockerignore(text: string): IgnoreRule[] {
  return text
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"))
    .map((line) => {
      const negated = line.startsWith("!");
      const cleaned = (negated ? line.slice(1) : line).trim().replace(/^\/+|\/+$/g, "").replace(/^\.\//, "");
      let source = "";
      for (let i = 0; i < cleaned.length; i++) {
        const c = cleaned.charAt(i);
        if (c === "*" && cleaned.charAt(i + 1) === "*") {
          // `**/` matches any number of directories, including none.
          source += cleaned.charAt(i + 2) === "/" ? "(?:.*/)?" : ".*";
          i += cleaned.charAt(i + 2) === "/" ? 2 : 1;
        } else if (c === "*") source += "[^/]*";
        else if (c === "?") source += "[^/]";
        else source += c.replace(/[.+^${}()|[\]\\]/g, "\\$&");
      }
      const prefix = /^[^*?[]*/.exec(cleaned)?.[0] ?? "";
      return { negated, pattern: new RegExp(`^${source}$`), prefix };
    });
}

/** Whether Docker excludes `path` (relative, `/`-separated): a rule matches the path or one of its parent directories. */
export function isExcluded(path: string, rules: readonly IgnoreRule[]): boolean {
  const parts = path.split("/");
  const candidates = parts.map((_, i) => parts.slice(0, i + 1).join("/"));
  let excluded = false;
  for (const rule of rules) if (candidates.some((c) => rule.pattern.test(c))) excluded = !rule.negated;
  return excluded;
}

/**
 * Every file of the build context after .dockerignore, relative to `root`. An excluded
 * directory is not entered unless a `!` rule names something inside it, as Docker does.
 */
export function buildContextFiles(root: string, dockerignore: string): string[] {
  const rules = parseDockerignore(dockerignore);
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(join(root, dir), { withFileTypes: true })) {
      const path = dir ? `${dir}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        if (isExcluded(path, rules) && !rules.some((r) => r.negated && r.prefix.startsWith(`${path}/`))) continue;
        walk(path);
      } else if (!isExcluded(path, rules)) files.push(path);
    }
  };
  walk("");
  return files.sort();
}
