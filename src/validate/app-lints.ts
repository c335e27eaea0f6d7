/**
 * Lints: definitions Marathon accepts that are known traps (DESIGN.md,
 * "Behaviours that matter"; notes "What users struggle with"). They are
 * warnings: render still writes the artifact.
 */
import type { AppDefinition } from "../marathon/types.js";
import type { Problem } from "../core/problem.js";

export interface LintOptions {
  /** How many agents can run the app (from the environment's `agents:`), when known. */
  agents?: number;
}

export function appLintWarnings(app: AppDefinition, options: LintOptions = {}): Problem[] {
  const warnings: Problem[] = [];
  const add = (path: string, message: string) => warnings.push({ path, message });
  const instances = typeof app.instances === "number" ? app.instances : app.instances === undefined ? 1 : undefined;

  if (app.mem === 0) add("/mem", "mem: 0 gives the task no memory limit it can live in; set what the app really needs (the JVM app in the original cluster needed 300 MB)");

  const docker = app.container?.docker;
  if (docker?.image && !docker.forcePullImage) {
    const tag = imageTag(docker.image);
    if (tag === undefined || tag === "latest") {
      add("/container/docker/image", `image "${docker.image}" uses the ${tag === undefined ? "implicit " : ""}latest tag without forcePullImage: agents keep whatever "latest" they pulled first; pin a tag (e.g. the commit SHA) or set forcePullImage: true`);
    }
  }

  if (instances !== undefined && instances > 1 && (app.healthChecks ?? []).length === 0) {
    add("/healthChecks", `${instances} instances and no health check: a rolling upgrade counts a task as healthy as soon as it runs, so a broken version replaces every working one`);
  }

  (app.healthChecks ?? []).forEach((check, i) => {
    const interval = check.intervalSeconds ?? 60;
    const timeout = check.timeoutSeconds ?? 20;
    if (timeout >= interval) add(`/healthChecks/${i}/timeoutSeconds`, `timeout ${timeout}s is not below the interval ${interval}s: checks overlap`);
  });

  const uniqueHost = (app.constraints ?? []).some((c) => c[0] === "hostname" && c[1] === "UNIQUE");
  if (uniqueHost && options.agents !== undefined && instances !== undefined) {
    const mhc = app.upgradeStrategy?.minimumHealthCapacity ?? 1;
    if (instances > options.agents) {
      add("/instances", `${instances} instances with hostname UNIQUE, but the environment has ${options.agents} agent${options.agents === 1 ? "" : "s"}: ${instances - options.agents} can never be placed and the deployment waits forever`);
    } else if (instances === options.agents && instances > 0 && Math.ceil(instances * mhc) >= instances) {
      add("/upgradeStrategy/minimumHealthCapacity", `hostname UNIQUE on all ${options.agents} agents leaves no spare agent, so a rolling upgrade with minimumHealthCapacity ${mhc} cannot place a new instance and hangs (Marathon #689); lower it or let deploy --strategy auto choose`);
    }
  }
  return warnings;
}

/** The tag of an image reference, or undefined when none is given (a digest counts as pinned). */
function imageTag(image: string): string | undefined {
  if (image.includes("@")) return "digest";
  const lastSlash = image.lastIndexOf("/");
  const colon = image.indexOf(":", lastSlash + 1);
  return colon === -1 ? undefined : image.slice(colon + 1);
}
