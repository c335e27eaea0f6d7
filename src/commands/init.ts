/**
 * `mdeploy init`: a starting point in an empty directory or an existing app
 * repository. Writes only files that do not exist yet and lists the ones it
 * skipped, so running it twice, or in a project that has its own .gitlab-ci.yml,
 * changes nothing that is there.
 */
import { existsSync, readFileSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import type { CliContext } from "../core/ports/cli-context.js";
import { UsageError } from "../errors.js";
import { scaffoldFiles, type ScaffoldOptions } from "../init/scaffold.js";

export interface InitOptions {
  environments: string[];
  image?: string;
  name?: string;
  port: number;
  mem: number;
  cpus: number;
  healthPath: string;
  review: boolean;
  componentProject: string;
  componentVersion?: string;
}

export interface InitResult {
  written: string[];
  skipped: string[];
  schema: string;
}

/** Marathon path segments: lowercase letters, digits and inner dashes (Marathon answers 422 otherwise). */
const ID_SEGMENT = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;

/** Writes the scaffold into context.cwd; never overwrites. */
export async function runInit(options: InitOptions, context: CliContext): Promise<InitResult> {
  const { output } = context;
  const name = options.name ?? slug(path.basename(context.cwd));
  const environments = options.environments.length > 0 ? [...new Set(options.environments)] : ["staging", "production"];
  for (const [what, value] of [["--name", name], ...environments.map((e) => ["--env", e])] as const) {
    if (!ID_SEGMENT.test(value)) throw new UsageError(`${what} ${JSON.stringify(value)}: use lowercase letters, digits and inner dashes (it becomes part of a Marathon app id)`);
  }
  if (!options.healthPath.startsWith("/")) throw new UsageError(`--health-path ${JSON.stringify(options.healthPath)}: must start with /`);
  if (options.review && environments.includes("review")) throw new UsageError('--env review: "review" is the review apps\' environment; give another name or --no-review');
  const { image, tag } = splitImage(options.image ?? `registry.example.com/${name}`);
  const version = packageVersion();
  const scaffold: ScaffoldOptions = {
    name,
    environments,
    review: options.review,
    image,
    tag,
    port: options.port,
    mem: options.mem,
    cpus: options.cpus,
    healthPath: options.healthPath,
    schemaRef: schemaReference(context.cwd, version),
    componentProject: options.componentProject,
    componentVersion: options.componentVersion ?? version,
  };
  const result: InitResult = { written: [], skipped: [], schema: scaffold.schemaRef };
  for (const file of scaffoldFiles(scaffold)) {
    const target = path.join(context.cwd, file.path);
    if (existsSync(target)) {
      result.skipped.push(file.path);
      continue;
    }
    await mkdir(path.dirname(target), { recursive: true });
    // flag "wx": a file that appeared since the check is left alone too.
    await writeFile(target, file.text, { encoding: "utf8", flag: "wx" });
    result.written.push(file.path);
  }
  for (const file of result.written) output.info(`wrote ${file}`);
  for (const file of result.skipped) output.info(`skipped ${file} (exists; not changed)`);
  if (result.written.length > 0) output.info(`next: mdeploy render ${environments.join(" ")}`);
  output.result(result);
  return result;
}

/** A directory name as a Marathon id segment ("My App" -> "my-app"). */
function slug(text: string): string {
  return (
    text
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-+|-+$/g, "") || "app"
  );
}

/** `host/path/name:tag` -> image and tag (default "latest"); a port in the host is not a tag. */
function splitImage(reference: string): { image: string; tag: string } {
  const colon = reference.lastIndexOf(":");
  if (colon > reference.lastIndexOf("/")) return { image: reference.slice(0, colon), tag: reference.slice(colon + 1) };
  return { image: reference, tag: "latest" };
}

function packageVersion(): string {
  return (JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string }).version;
}

/**
 * The schema inside the project's own installation of mdeploy when there is one
 * (an editor resolves it offline, at the version the project uses), else the
 * published copy of this version on the npm CDN.
 */
function schemaReference(cwd: string, version: string): string {
  const local = path.join("node_modules", "mdeploy", "schemas", "mdeploy.schema.json");
  if (existsSync(path.join(cwd, local))) return `./${local}`;
  return `https://unpkg.com/mdeploy@${version}/schemas/mdeploy.schema.json`;
}
