/**
 * The `.docker/config.json` Docker reads pull credentials from, and the `docker.tar.gz`
 * that carries it to Mesos agents: Marathon's fetcher unpacks it into the task sandbox,
 * which is `$HOME` for the docker CLI (mesosphere/marathon docs, "native docker private
 * registry"). Pure.
 */
import { createTarGz } from "./tar-gz.js";

export interface DockerAuthEntry {
  /** Registry host[:port], e.g. `registry.gitlab.com`. */
  registry: string;
  username: string;
  password: string;
}

/** Docker keys Docker Hub credentials by its legacy index URL, not by host. */
function authKey(registry: string): string {
  return registry === "docker.io" ? "https://index.docker.io/v1/" : registry;
}

/** `{"auths":{"<registry>":{"auth":"base64(user:password)"}}}` as text. */
export function buildDockerConfigJson(entries: DockerAuthEntry[]): string {
  const auths: Record<string, { auth: string }> = {};
  for (const entry of entries) auths[authKey(entry.registry)] = { auth: Buffer.from(`${entry.username}:${entry.password}`).toString("base64") };
  return `${JSON.stringify({ auths }, null, 2)}\n`;
}

/**
 * `docker.tar.gz` holding `.docker/config.json` (mode 0600 in a 0700 directory). `mtime`
 * is passed in so the archive is reproducible.
 */
export function buildDockerAuthArchive(entries: DockerAuthEntry[], mtime: Date): Buffer {
  return createTarGz(
    [
      { path: ".docker/", type: "directory", mode: 0o700 },
      { path: ".docker/config.json", type: "file", mode: 0o600, content: Buffer.from(buildDockerConfigJson(entries)) },
    ],
    mtime,
  );
}
