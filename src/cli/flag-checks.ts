/**
 * Checks on flag values that commander runs as it parses, so bad input is one
 * line naming the flag (exit 2) before any command code runs: an environment
 * name, a positive number such as a timeout, a registry host, zk-id's data directory and peer list.
 */
import { statSync } from "node:fs";
import path from "node:path";
import { InvalidArgumentError } from "commander";
import { positiveNumberRequirement, readPositiveNumber, TIMEOUT_SECONDS_RULE, type PositiveNumberRule } from "../core/positive-number.js";
import { environmentNameProblem } from "./environment-name.js";

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

/** A commander parser for a positive number (commander names the flag and the value; this says what it must be). */
export function positiveNumber(rule: PositiveNumberRule = {}): (value: string) => number {
  return (value) => {
    const n = readPositiveNumber(value, rule);
    if (n === undefined) throw new InvalidArgumentError(positiveNumberRequirement(rule));
    return n;
  };
}

/** A positive number of seconds up to a day. */
export const timeoutSeconds = positiveNumber(TIMEOUT_SECONDS_RULE);

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
