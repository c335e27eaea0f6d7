/**
 * Splits a Docker image reference the way the Docker CLI does: the first path component is
 * a registry host only if it has a dot or a port or is `localhost`; otherwise the image lives
 * on Docker Hub, whose one-word images are under `library/`. Pure.
 */

export interface ImageReference {
  /** Host[:port] as written (`docker.io` for Docker Hub). */
  registry: string;
  /** Repository path inside the registry, e.g. `group/project/app`. */
  repository: string;
  /** Tag, or digest when `byDigest`. */
  reference: string;
  byDigest: boolean;
}

/** Docker Hub's registry API host: `docker.io` itself serves no /v2/. */
const DOCKER_HUB_API_HOST = "registry-1.docker.io";

const REPOSITORY = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[A-Fa-f0-9]{32,}$/;

/** Parses an image reference; returns the problem as a string when it is not one. */
export function parseImageReference(image: string): ImageReference | string {
  const text = image.trim();
  if (text === "") return "image is empty";
  let rest = text;
  let digest: string | undefined;
  const at = rest.indexOf("@");
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) return `"${image}": "${digest}" is not a digest`;
  }
  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf("/");
  const colon = rest.lastIndexOf(":");
  if (colon > lastSlash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) return `"${image}": "${tag}" is not a valid tag`;
  }
  const parts = rest.split("/");
  const first = parts[0] ?? "";
  const hasRegistry = parts.length > 1 && (first.includes(".") || first.includes(":") || first === "localhost");
  let registry = hasRegistry ? first : "docker.io";
  let repository = hasRegistry ? parts.slice(1).join("/") : rest;
  if (registry === "index.docker.io" || registry === "registry-1.docker.io") registry = "docker.io";
  if (registry === "docker.io" && !repository.includes("/")) repository = `library/${repository}`;
  if (!REPOSITORY.test(repository)) return `"${image}": "${repository}" is not a valid repository name (lower case letters, digits, separators)`;
  if (digest) return { registry, repository, reference: digest, byDigest: true };
  return { registry, repository, reference: tag ?? "latest", byDigest: false };
}

/** The host to talk the registry API to. */
export function registryApiHost(registry: string): string {
  return registry === "docker.io" ? DOCKER_HUB_API_HOST : registry;
}
