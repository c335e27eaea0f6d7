/**
 * What the progressive strategies need to know about an app's Traefik labels,
 * and the label changes they make. Pure.
 *
 * Traefik reads each Marathon app's labels and puts the app's running tasks
 * behind the services the labels name. Two apps that name the same service
 * (`traefik.http.services.<name>.*` in v2.11, `traefik.backend=<name>` in
 * v1.7) have their servers merged into that one service, so a request to the
 * public rule lands on any task of either app: traffic splits by running
 * instances (traefik/README.md has the source references). Without an explicit
 * name each app gets a service of its own, and two apps declaring the same
 * router with different services make Traefik drop that router, so canary and
 * blue/green both need the name.
 */

/** A router (v2) or frontend (v1.7) rule and the Host it matches. */
export interface PublicRule {
  /** The label holding the rule. */
  label: string;
  rule: string;
  /** The Host in it, when it names one. */
  host?: string;
}

const V2_SERVICE = /^traefik\.http\.services\.([^.]+)\./i;
const V2_ROUTER_RULE = /^traefik\.http\.routers\.([^.]+)\.rule$/i;
const V2_ROUTER_KEY = /^(traefik\.http\.routers\.)([^.]+)(\..+)$/i;
const V1_BACKEND = "traefik.backend";
const V1_RULE = "traefik.frontend.rule";

/** The service names the labels declare (v2 services, then a v1.7 backend). */
function sharedServiceNames(labels: Record<string, string> | undefined): string[] {
  const names = new Set<string>();
  for (const key of Object.keys(labels ?? {})) {
    const name = V2_SERVICE.exec(key)?.[1];
    if (name) names.add(name);
  }
  const backend = labels?.[V1_BACKEND];
  if (backend) names.add(backend);
  return [...names];
}

/** The rules the labels route by (each router's rule, and a v1.7 frontend rule). */
function publicRules(labels: Record<string, string> | undefined): PublicRule[] {
  const rules: PublicRule[] = [];
  for (const [label, rule] of Object.entries(labels ?? {})) {
    if (!V2_ROUTER_RULE.test(label) && label.toLowerCase() !== V1_RULE) continue;
    const host = /Host\(`([^`]+)`\)/.exec(rule)?.[1] ?? /^Host:\s*([^,;\s]+)/.exec(rule)?.[1];
    rules.push({ label, rule, ...(host ? { host } : {}) });
  }
  return rules;
}

/** Why these labels cannot carry a canary or a blue/green switch, or undefined when they can. */
export function sharedServiceProblem(labels: Record<string, string> | undefined, appId: string): string | undefined {
  if (labels?.["traefik.enable"] === "false") return `${appId} has traefik.enable=false: Traefik sends it no traffic to split or switch`;
  if (publicRules(labels).length === 0) return `${appId} has no Traefik rule (traefik.http.routers.<name>.rule or traefik.frontend.rule): there is no public traffic to move`;
  if (sharedServiceNames(labels).length === 0) {
    return `${appId} does not name its Traefik service, so a second app would get a service of its own: add traefik.http.services.<name>.loadbalancer.server.port (v2) and/or traefik.backend=<name> (v1.7) to the template`;
  }
  return undefined;
}

/**
 * The labels of a copy that Traefik serves only on `previewHost`: every router
 * and service renamed with `-preview` (so nothing merges with the public ones)
 * and every rule replaced by the preview Host.
 */
export function previewLabels(labels: Record<string, string>, previewHost: string): Record<string, string> {
  const services = sharedServiceNames(labels);
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(labels)) {
    const router = V2_ROUTER_KEY.exec(key);
    if (router) {
      const [, prefix, name, rest] = router as unknown as [string, string, string, string];
      const renamed = `${prefix}${name}-preview${rest}`;
      if (/^\.rule$/i.test(rest)) out[renamed] = `Host(\`${previewHost}\`)`;
      else if (/^\.service$/i.test(rest) && services.includes(value)) out[renamed] = `${value}-preview`;
      else out[renamed] = value;
      continue;
    }
    const service = V2_SERVICE.exec(key);
    if (service) {
      out[key.replace(V2_SERVICE, (whole, name: string) => whole.replace(name, `${name}-preview`))] = value;
      continue;
    }
    if (key.toLowerCase() === V1_RULE) out[key] = `Host:${previewHost}`;
    else if (key === V1_BACKEND) out[key] = `${value}-preview`;
    else out[key] = value;
  }
  return out;
}

/** The preview Host when the config names none: `preview.` before the first public Host. */
export function defaultPreviewHost(labels: Record<string, string> | undefined): string | undefined {
  const host = publicRules(labels).find((r) => r.host)?.host;
  return host ? `preview.${host}` : undefined;
}

/** Labels that take a copy out of Traefik (the standby blue), remembering what `traefik.enable` was. */
export function withoutTraffic(labels: Record<string, string>): Record<string, string> {
  return { ...labels, "traefik.enable": "false", [TRAEFIK_ENABLE_WAS_LABEL]: labels["traefik.enable"] ?? "" };
}

/** Labels that put a standby copy back into Traefik as it was before {@link withoutTraffic}. */
export function withTrafficAgain(labels: Record<string, string>): Record<string, string> {
  const out = { ...labels };
  const was = out[TRAEFIK_ENABLE_WAS_LABEL];
  delete out[TRAEFIK_ENABLE_WAS_LABEL];
  if (was) out["traefik.enable"] = was;
  else delete out["traefik.enable"];
  return out;
}

/** Where a standby copy keeps the `traefik.enable` value it had while it served. */
const TRAEFIK_ENABLE_WAS_LABEL = "MDEPLOY_TRAEFIK_ENABLE_WAS";
