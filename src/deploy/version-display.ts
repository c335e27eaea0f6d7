/**
 * A Marathon version as people recognise it: the timestamp Marathon gave it
 * and what it runs (image and tag, or a digest of the command), how many
 * instances, and the CI pipeline and commit it came from when the app carries
 * mdeploy's provenance labels. Pure; used by deploy, status, rollback, plan,
 * history and demo, and in their `--json`.
 */
import type { AppDefinition } from "../marathon/types.js";

/** What one version runs and where it came from. */
export interface VersionSummary {
  /** Marathon's version timestamp. */
  version: string;
  /** The Docker image (with tag) it runs, when it runs one. */
  image?: string;
  /** For an app without an image: the first 12 hex digits of the command's SHA-256, so equal commands read equal. */
  cmdDigest?: string;
  instances: number;
  pipelineUrl?: string;
  commitSha?: string;
  ref?: string;
  jobUrl?: string;
}

/** Summarises `definition` as `version`. */
export function summarizeVersion(version: string, definition: AppDefinition): VersionSummary {
  const labels = definition.labels ?? {};
  const image = definition.container?.docker?.image;
  const command = definition.cmd ?? (definition.args ? definition.args.join(" ") : undefined);
  return {
    version,
    ...(image ? { image } : command ? { cmdDigest: sha256(command).slice(0, 12) } : {}),
    instances: definition.instances ?? 1,
    ...optional("pipelineUrl", labels.MDEPLOY_PIPELINE_URL),
    ...optional("commitSha", labels.MDEPLOY_COMMIT_SHA),
    ...optional("ref", labels.MDEPLOY_COMMIT_REF),
    ...optional("jobUrl", labels.MDEPLOY_JOB_URL),
  };
}

function optional<K extends string>(key: K, value: string | undefined): Partial<Record<K, string>> {
  return value ? ({ [key]: value } as Record<K, string>) : {};
}

/** What it runs, in a few words: `registry/app:1.1.0, 2 instances`. */
export function describeRuns(s: VersionSummary): string {
  const what = s.image ?? (s.cmdDigest ? `cmd ${s.cmdDigest}` : "no image or command");
  return `${what}, ${s.instances} instance${s.instances === 1 ? "" : "s"}`;
}

/** Where it came from, when known: `pipeline <url>, commit abc12345 (main)`. */
function describeProvenance(s: VersionSummary): string | undefined {
  const parts: string[] = [];
  if (s.pipelineUrl) parts.push(`pipeline ${s.pipelineUrl}`);
  if (s.commitSha) parts.push(`commit ${s.commitSha.slice(0, 8)}${s.ref ? ` (${s.ref})` : ""}`);
  else if (s.ref) parts.push(`ref ${s.ref}`);
  return parts.length > 0 ? parts.join(", ") : undefined;
}

/** One line: `2026-...Z (registry/app:1.1.0, 2 instances; pipeline ..., commit ...)`. */
export function formatVersion(s: VersionSummary): string {
  const provenance = describeProvenance(s);
  return `${s.version} (${describeRuns(s)}${provenance ? `; ${provenance}` : ""})`;
}

/** Loaded at the first cmd app, not at start-up: node:crypto costs every interactive command time to load, and most apps run an image. */
function sha256(text: string): string {
  return process.getBuiltinModule("node:crypto").createHash("sha256").update(text).digest("hex");
}
