import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { validate } from "dockerfile-utils";
import { describe, expect, it } from "vitest";
import { instructions } from "./helpers/dockerfile.js";

// The CI machine has no Docker engine, so the image recipe is linted, not built: the
// dockerfile-utils validator (syntax and instruction checks) plus the rules this image
// promises in its header (pinned Alpine Node base, production dependencies only, non-root).

const ROOT = fileURLToPath(new URL("..", import.meta.url));

/** The image's own rules; each problem names its line. */
export function lintImageRecipe(dockerfile: string, dockerignore: string): string[] {
  const problems = validate(dockerfile).map((d) => `line ${d.range.start.line + 1}: ${d.message}`);
  const all = instructions(dockerfile);
  const args = new Map<string, string>();
  for (const i of all.filter((i) => i.keyword === "ARG")) {
    const [name = "", value] = i.args.split("=");
    if (value !== undefined) args.set(name, value);
  }
  const stageStarts = all.map((i, index) => (i.keyword === "FROM" ? index : -1)).filter((index) => index >= 0);
  const stages = stageStarts.map((start, n) => all.slice(start, stageStarts[n + 1] ?? all.length));
  const stageNames = new Set(stages.map((s) => /\bAS\s+(\S+)/i.exec(s[0]?.args ?? "")?.[1]).filter(Boolean));

  for (const stage of stages) {
    const from = stage[0];
    if (!from) continue;
    const image = (from.args.split(/\s+/).find((word) => !word.startsWith("--")) ?? "").replace(/\$\{(\w+)\}|\$(\w+)/g, (_m, a: string, b: string) => args.get(a ?? b) ?? "");
    if (stageNames.has(image)) continue;
    if (!/:[^:]*\d+\.\d+\.\d+/.test(image) && !image.includes("@sha256:")) problems.push(`line ${from.line}: base image ${image} is not pinned to an exact version`);
  }

  const final = stages.at(-1) ?? [];
  const finalBase = (image: string): string => {
    const stage = stages.find((s) => new RegExp(`\\bAS\\s+${image}$`, "i").test(s[0]?.args ?? ""));
    const parent = stage?.[0]?.args.split(/\s+/)[0] ?? image;
    return stageNames.has(parent) && parent !== image ? finalBase(parent) : parent.replace(/\$\{(\w+)\}/g, (_m, a: string) => args.get(a) ?? "");
  };
  const base = finalBase(final[0]?.args.split(/\s+/)[0] ?? "");
  if (!/^node:[\d.]+-alpine/.test(base)) problems.push(`the image is based on ${base}, not an Alpine Node image`);
  const user = final.filter((i) => i.keyword === "USER").at(-1);
  if (!user) problems.push("the final stage sets no USER: the image would run as root");
  else if (/^(root|0)(:|$)/.test(user.args)) problems.push(`line ${user.line}: USER ${user.args} is root`);
  if (final.some((i) => i.keyword === "ENTRYPOINT")) problems.push("the final stage has an ENTRYPOINT: GitLab CI jobs need the image's shell");

  const runs = all.filter((i) => i.keyword === "RUN");
  const productionInstall = runs.find((i) => /\bnpm ci\b/.test(i.args) && /--omit=dev\b/.test(i.args));
  if (!productionInstall) problems.push("no `npm ci --omit=dev`: the image must hold production dependencies only");
  for (const i of runs.filter((i) => /\bnpm (install|i)\b/.test(i.args))) problems.push(`line ${i.line}: npm install is not reproducible, use npm ci`);
  for (const i of all.filter((i) => i.keyword === "ENV" || i.keyword === "ARG")) {
    if (/(TOKEN|PASSWORD|SECRET)/i.test(i.args)) problems.push(`line ${i.line}: secrets must not be baked into the image`);
  }

  const ignoreLines = dockerignore.split("\n").map((l) => l.trim()).filter((l) => l && !l.startsWith("#"));
  if (ignoreLines[0] !== "*") problems.push(".dockerignore must start with `*` so that only listed files reach the build");
  for (const copy of all.filter((i) => i.keyword === "COPY" && !i.args.includes("--from="))) {
    const sources = copy.args.split(/\s+/).slice(0, -1);
    for (const source of sources) {
      const allowed = ignoreLines.some((l) => l.startsWith("!") && l.slice(1).replace(/\/$/, "") === source.replace(/^\.\//, "").replace(/\/$/, ""));
      if (!allowed) problems.push(`line ${copy.line}: COPY ${source} is excluded by .dockerignore`);
    }
  }
  return problems;
}

describe("the toolkit's image recipe", () => {
  const dockerfile = readFileSync(join(ROOT, "Dockerfile"), "utf8");
  const dockerignore = readFileSync(join(ROOT, ".dockerignore"), "utf8");

  it("passes the Dockerfile validator and the image's own rules", () => {
    expect(lintImageRecipe(dockerfile, dockerignore)).toEqual([]);
  });

  it("copies only files that exist in the repository", () => {
    const sources = instructions(dockerfile)
      .filter((i) => i.keyword === "COPY" && !i.args.includes("--from="))
      .flatMap((i) => i.args.split(/\s+/).slice(0, -1));
    expect(sources.filter((source) => !existsSync(join(ROOT, source)))).toEqual([]);
  });

  it("flags a recipe that runs as root on an unpinned base with dev dependencies", () => {
    const bad = "FROM node:latest\nWORKDIR /app\nCOPY . .\nRUN npm install\nENV GITLAB_TOKEN=abc\nENTRYPOINT [\"mdeploy\"]\n";
    expect(lintImageRecipe(bad, "node_modules\n")).toEqual([
      "line 1: base image node:latest is not pinned to an exact version",
      "the image is based on node:latest, not an Alpine Node image",
      "the final stage sets no USER: the image would run as root",
      "the final stage has an ENTRYPOINT: GitLab CI jobs need the image's shell",
      "no `npm ci --omit=dev`: the image must hold production dependencies only",
      "line 4: npm install is not reproducible, use npm ci",
      "line 5: secrets must not be baked into the image",
      ".dockerignore must start with `*` so that only listed files reach the build",
      "line 3: COPY . is excluded by .dockerignore",
    ]);
  });

  it("reports Dockerfile syntax errors with their line", () => {
    const problems = lintImageRecipe("FROM node:20.20.2-alpine3.22\nUSER 1000\nRUN npm ci --omit=dev\nEXPOSE 80/tcpx\n", "*\n");
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^line 4: /);
  });
});
