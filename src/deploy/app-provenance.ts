/**
 * Where a version came from and what it runs, kept on the app itself as labels
 * so the cluster can answer "which pipeline deployed this?" without mdeploy's
 * help. Labels named `MDEPLOY_*` are mdeploy's bookkeeping: they never count as
 * a change in what runs, so a retried CI job (same image, new pipeline URL) is
 * not a restart. Pure.
 */
import type { AppDefinition, AppStatus } from "../marathon/types.js";
import { diffApps, type AppChange } from "../plan/diff-app.js";

/** Labels mdeploy stamps from GitLab CI's predefined variables, label -> variable. */
const CI_PROVENANCE_LABELS = {
  MDEPLOY_PIPELINE_URL: "CI_PIPELINE_URL",
  MDEPLOY_COMMIT_SHA: "CI_COMMIT_SHA",
  MDEPLOY_COMMIT_REF: "CI_COMMIT_REF_NAME",
  MDEPLOY_JOB_URL: "CI_JOB_URL",
} as const;

/**
 * Names the version that was running, fully healthy, when this one was deployed
 * over it: Marathon keeps no health history, so this is how `mdeploy history`
 * knows an old version once became healthy.
 */
export const PREVIOUS_HEALTHY_LABEL = "MDEPLOY_PREVIOUS_HEALTHY";

/** The prefix of every label mdeploy writes; such labels are bookkeeping, not what runs. */
const MDEPLOY_LABEL_PREFIX = "MDEPLOY_";

/** The app with the CI provenance labels of `env` added (only the variables that exist). */
export function withCiProvenance<T extends AppDefinition>(app: T, env: Record<string, string | undefined>): T {
  const stamped: Record<string, string> = {};
  for (const [label, variable] of Object.entries(CI_PROVENANCE_LABELS)) {
    const value = env[variable];
    if (value) stamped[label] = value;
  }
  return Object.keys(stamped).length === 0 ? app : { ...app, labels: { ...app.labels, ...stamped } };
}

/** `{MDEPLOY_PREVIOUS_HEALTHY: version}` when the running app is settled and every instance healthy; otherwise nothing. */
export function previousHealthyLabel(running: AppStatus | undefined): Record<string, string> {
  if (!running) return {};
  const instances = running.instances ?? 1;
  const settled = (running.deployments ?? []).length === 0;
  return settled && instances > 0 && running.tasksHealthy >= instances ? { [PREVIOUS_HEALTHY_LABEL]: running.version } : {};
}

/** The definition without mdeploy's bookkeeping labels. */
function withoutBookkeeping<T extends AppDefinition>(app: T): T {
  if (!app.labels) return app;
  const labels = Object.fromEntries(Object.entries(app.labels).filter(([key]) => !key.startsWith(MDEPLOY_LABEL_PREFIX)));
  return { ...app, labels };
}

/** Changes in what runs from `before` to `after`: bookkeeping labels, `instances` and the upgradeStrategy left out. */
export function changesInWhatRuns(before: AppDefinition, after: AppDefinition): AppChange[] {
  return diffApps(withoutBookkeeping(before), withoutBookkeeping(after)).filter((c) => c.path !== "instances" && c.path !== "upgradeStrategy" && !c.path.startsWith("upgradeStrategy."));
}

/** True when the two definitions run the same thing (scale and strategy aside). */
function runsTheSame(a: AppDefinition, b: AppDefinition): boolean {
  return changesInWhatRuns(a, b).length === 0;
}

/**
 * True when deploying `target` over `running` would change nothing but
 * bookkeeping labels or the upgradeStrategy (which mdeploy chooses anew each
 * time): such a deploy sends nothing.
 */
export function isUnchangedRedeploy(running: AppDefinition | undefined, target: AppDefinition): boolean {
  if (!running) return false;
  return runsTheSame(running, target) && (running.instances ?? 1) === (target.instances ?? 1);
}

/**
 * Drift between the running app and the artifact, as `plan --detailed-exitcode`
 * sees it: every change but bookkeeping labels and the upgradeStrategy (instances
 * count: a scaled-by-hand app has drifted). A missing app is all drift.
 */
export function driftChanges(running: AppDefinition | undefined, target: AppDefinition): AppChange[] {
  if (!running) return diffApps(undefined, target);
  return diffApps(withoutBookkeeping(running), withoutBookkeeping(target)).filter((c) => c.path !== "upgradeStrategy" && !c.path.startsWith("upgradeStrategy."));
}
