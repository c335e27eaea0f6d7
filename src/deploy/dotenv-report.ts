/**
 * The dotenv report GitLab reads through `artifacts:reports:dotenv`, so later
 * jobs and `environment:url` see what was deployed. Pure: returns the text.
 */

export interface DeployReport {
  version: string;
  previousVersion?: string;
  deploymentId: string;
  url?: string;
}

/** `KEY=value` lines; GitLab's dotenv parser takes values verbatim, so newlines are dropped. */
export function formatDotenvReport(report: DeployReport): string {
  const clean = (value: string | undefined) => (value ?? "").replace(/[\r\n]/g, "");
  return [
    `MDEPLOY_VERSION=${clean(report.version)}`,
    `MDEPLOY_PREVIOUS_VERSION=${clean(report.previousVersion)}`,
    `MDEPLOY_DEPLOYMENT_ID=${clean(report.deploymentId)}`,
    `MDEPLOY_URL=${clean(report.url)}`,
    "",
  ].join("\n");
}

/**
 * The URL a deployed app answers on, from a Traefik v2 router rule label
 * (`Host(\`click.example.com\`)`), when the environment does not give one.
 */
export function urlFromLabels(labels: Record<string, string> | undefined): string | undefined {
  for (const [key, value] of Object.entries(labels ?? {})) {
    if (!/^traefik\.http\.routers\.[^.]+\.rule$/.test(key)) continue;
    const host = /Host\(`([^`]+)`\)/.exec(value)?.[1];
    if (!host) continue;
    const tls = Object.keys(labels ?? {}).some((k) => /^traefik\.http\.routers\.[^.]+\.tls/.test(k));
    return `${tls ? "https" : "http"}://${host}`;
  }
  return undefined;
}
