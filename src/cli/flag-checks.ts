/**
 * Checks on flag values that commander runs as it parses, so bad input is one
 * line naming the flag (exit 2) before any command code runs: an environment
 * name, a timeout, a registry host, zk-id's data directory and peer list.
 */
import { statSync } from "node:fs";
import path from "node:path";
import { InvalidArgumentError } from "commander";
import { environmentNameProblem } from "./environment-name.js";

export { MAX_ENVIRONMENT_NAME_LENGTH } from "./environment-name.js";

/** Longest timeout a flag takes: a day. Node's timers overflow past ~24.8 days, and no deploy should wait longer. */
export const MAX_TIMEOUT_SECONDS = 86_400;

/** An environment name as the config allows it (letters, digits, `_ . -`), of a sane length. */
export function environmentName(value: string): string {
  const problem = environmentNameProblem(value);
  if (problem) throw new InvalidArgumentError(problem);
  return value;
}

/** `render <env...>`: each name checked, all collected. */
export function environmentNames(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), environmentName(value)];
}

/** A positive number of seconds up to MAX_TIMEOUT_SECONDS. */
export function timeoutSeconds(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError("must be a positive number of seconds");
  if (n > MAX_TIMEOUT_SECONDS) throw new InvalidArgumentError(`at most ${MAX_TIMEOUT_SECONDS} seconds (24 h)`);
  return n;
}

/** `registry-auth --registry`: a host with an optional port, as Docker names registries (no scheme, no spaces). */
export function registryHost(value: string): string {
  if (!/^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:\d{1,5})?$/.test(value)) {
    throw new InvalidArgumentError(`expected host[:port], such as registry.gitlab.example.com:5050 (no scheme, no path), got ${JSON.stringify(value)}`);
  }
  return value;
}

/** `zk-id --data-dir`: a directory (or not there yet); a `myid` in it must be a file. */
export function zkDataDir(value: string): string {
  const kind = pathKind(value);
  if (kind !== "missing" && kind !== "directory") throw new InvalidArgumentError(`${value} is not a directory`);
  const myid = path.join(value, "myid");
  if (pathKind(myid) === "directory") throw new InvalidArgumentError(`${myid} is a directory; ZooKeeper's myid is a file holding the server ID`);
  return value;
}

/** `zk-id --peers`: a comma list with at least one host and no empty entries. */
export function zkPeers(value: string): string {
  const entries = value.split(",").map((e) => e.trim());
  if (entries.every((e) => e === "")) throw new InvalidArgumentError("expected a comma-separated list of host[:client[:quorum[:election]]], got no hosts");
  if (entries.some((e) => e === "")) throw new InvalidArgumentError(`an empty entry in ${JSON.stringify(value)}`);
  return value;
}

function pathKind(file: string): "missing" | "directory" | "other" {
  try {
    return statSync(file).isDirectory() ? "directory" : "other";
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return "missing";
    throw error;
  }
}
