/**
 * Builds the Marathon and Mesos adapters a deploy-family command uses from the
 * resolved settings of one environment. Wiring only.
 */
import type { MarathonSettings, MdeployConfig, MesosSettings } from "../config/types.js";
import type { Clock } from "../core/ports/clock.js";
import { createMarathonClient, type MarathonClient } from "../marathon/client.js";
import { createMesosClient, type MesosClient } from "../mesos/client.js";
import type { TlsOptions } from "../http/transport.js";

/** The settings for `environment`, or the file-wide ones when it is not configured (deploying an --artifact). */
export function settingsFor(config: MdeployConfig, environment: string): { marathon: MarathonSettings; mesos: MesosSettings } {
  const env = Object.hasOwn(config.environments, environment) ? config.environments[environment] : undefined;
  return { marathon: env?.marathon ?? config.marathon, mesos: env?.mesos ?? config.mesos };
}

/** The TLS options and per-request timeout the Marathon settings carry, in the shape both HTTP adapters take. */
function transportOptions(settings: MarathonSettings): { tls: TlsOptions; timeoutMs?: number } {
  return {
    tls: { ...(settings.caFile ? { caFile: settings.caFile } : {}), insecure: settings.insecure },
    ...(settings.timeoutSeconds ? { timeoutMs: settings.timeoutSeconds * 1000 } : {}),
  };
}

/**
 * A Marathon client for the settings. Throws ConfigError (exit 2) when no URL is
 * configured or the CA file cannot be read; nothing is contacted here.
 */
export function marathonClientFor(settings: MarathonSettings, clock: Clock): MarathonClient {
  const auth = settings.token ? { token: settings.token } : settings.username !== undefined && settings.password !== undefined ? { username: settings.username, password: settings.password } : undefined;
  return createMarathonClient({ urls: settings.urls, ...(auth ? { auth } : {}), ...transportOptions(settings), clock });
}

/**
 * A Mesos client, or undefined when no Mesos URL is configured (plans then say
 * capacity was not checked). The master sits in the same cluster as Marathon,
 * behind the same CA, so it gets Marathon's `caFile`, `insecure` and per-request
 * timeout.
 */
export function mesosClientFor(settings: { marathon: MarathonSettings; mesos: MesosSettings }, clock: Clock): MesosClient | undefined {
  if (!settings.mesos.url) return undefined;
  return createMesosClient({ url: settings.mesos.url, ...transportOptions(settings.marathon), clock });
}
