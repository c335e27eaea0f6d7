/**
 * `mdeploy render <env...>`: renders and validates each environment's app and
 * writes `marathon_app_<env>.json` into the output directory. All or nothing:
 * every environment is rendered and checked before the first byte is written,
 * and each file appears by rename, so a failure leaves no half-written artifact.
 */
import { didYouMean } from "../core/did-you-mean.js";
import { mkdir, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import type { CliContext } from "../core/ports/cli-context.js";
import { loadConfig } from "../config/load-config.js";
import type { Problem } from "../core/problem.js";
import { checkEmptySecrets, findSecretPlaceholders } from "../core/secret-placeholders.js";
import { ConfigError, UsageError, ValidationError } from "../errors.js";
import { renderEnvironment, type RenderedEnvironment } from "../render/render-environment.js";

export interface RenderOptions {
  /** Environment names as given on the command line. */
  environments: string[];
  /** Where the artifacts go (created when missing). */
  outDir: string;
}

/** What `--json` prints. */
export interface RenderResult {
  artifacts: {
    environment: string;
    file: string;
    appId: string;
    instances: number | string;
    image?: string;
    /** Environment variables deploy must have to fill in the artifact's secret placeholders. */
    secretVariables: string[];
    warnings: Problem[];
  }[];
}

export async function runRender(options: RenderOptions, context: CliContext): Promise<RenderResult> {
  const { output } = context;
  const config = await loadConfig({
    cwd: context.cwd,
    env: context.env,
    redactor: output.redactor,
    ...(context.global.config !== undefined ? { file: context.global.config } : {}),
  });

  const names = [...new Set(options.environments)];
  const unknown = names.filter((n) => !Object.hasOwn(config.environments, n));
  if (unknown.length > 0) {
    const where = config.configFile ? path.relative(context.cwd, config.configFile) || config.configFile : "no mdeploy.yml found";
    const known = Object.keys(config.environments);
    throw new UsageError(`unknown environment${unknown.length > 1 ? "s" : ""} ${unknown.map((n) => `"${n}"${didYouMean(n, known)}`).join(", ")} (${where}: ${known.length > 0 ? `environments are ${known.join(", ")}` : "no environments defined"})`);
  }

  // Render everything first: one bad environment means nothing is written.
  const rendered: { result: RenderedEnvironment; text: string }[] = [];
  for (const name of names) {
    const result = await renderEnvironment(config, name, { env: context.env, cwd: context.cwd });
    // The placeholders stay in the artifact, but an empty value here is an empty value at deploy.
    checkEmptySecrets(findSecretPlaceholders(result.app), context.env, { environment: name, emptySecretsAllowed: config.environments[name]?.emptySecretsAllowed ?? [] });
    const text = `${JSON.stringify(result.app, null, 2)}\n`;
    if (output.redactor.redact(text) !== text) {
      throw new ValidationError(`${result.artifactFileName}: the rendered app contains a secret value (a credential or secret variable); refer to secrets through {{env.NAME}} so the artifact holds a placeholder`);
    }
    rendered.push({ result, text });
  }

  const outDir = path.resolve(context.cwd, options.outDir);
  await writeAllOrNothing(
    outDir,
    rendered.map(({ result, text }) => ({ name: result.artifactFileName, text })),
  );

  const summary: RenderResult = { artifacts: [] };
  for (const { result } of rendered) {
    const absolute = path.join(outDir, result.artifactFileName);
    const relative = path.relative(context.cwd, absolute);
    const file = relative.startsWith("..") || path.isAbsolute(relative) ? absolute : relative;
    const instances = result.app.instances ?? 1;
    const image = result.app.container?.docker?.image;
    output.info(`${result.environment}: wrote ${file} (${result.app.id}, ${instances} instance${instances === 1 ? "" : "s"}${image ? `, ${image}` : ""})`);
    for (const w of result.warnings) output.warn(`${result.environment}: ${file} ${w.path}: ${w.message}`);
    summary.artifacts.push({
      environment: result.environment,
      file,
      appId: result.app.id,
      instances,
      ...(image ? { image } : {}),
      secretVariables: findSecretPlaceholders(result.app),
      warnings: result.warnings,
    });
  }
  output.result(summary);
  return summary;
}

/** Writes every file to a temporary name, then renames them into place; on any failure removes what it wrote. */
async function writeAllOrNothing(dir: string, files: { name: string; text: string }[]): Promise<void> {
  const staged: { temp: string; final: string }[] = [];
  try {
    await mkdir(dir, { recursive: true });
    for (const file of files) {
      const final = path.join(dir, file.name);
      const temp = path.join(dir, `.${file.name}.${process.pid}.${process.hrtime.bigint()}.tmp`);
      staged.push({ temp, final });
      await writeFile(temp, file.text, { encoding: "utf8", flag: "wx" });
    }
  } catch (error) {
    await Promise.all(staged.map((s) => rm(s.temp, { force: true })));
    throw new ConfigError(`cannot write artifacts into ${dir}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  try {
    for (const { temp, final } of staged) await rename(temp, final);
  } catch (error) {
    await Promise.all(staged.map((s) => rm(s.temp, { force: true })));
    throw new ConfigError(`cannot move artifacts into place in ${dir}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
}
