/**
 * The static zoo.cfg that `zk-id` writes. Membership lives in the dynamic file
 * (`dynamicConfigFile`), which ZooKeeper renames and rewrites on each reconfig;
 * ZooKeeper also rewrites this file then (keys reordered), which is expected.
 */
import { createHash } from "node:crypto";

export interface StaticConfigInput {
  dataDir: string;
  dynamicConfigFile: string;
  tickTimeMs: number;
  /**
   * `DigestAuthenticationProvider.superDigest` value (`super:<base64 sha1>`) that
   * lets `zk-id` reconfig as super user; without it the ensemble runs with
   * skipACL=yes so that reconfig is allowed at all.
   */
  superDigest: string | null;
}

/**
 * Renders zoo.cfg. Why each guard-rail key is there:
 * - standaloneEnabled=false: a lone first member must not run standalone, or it
 *   could not be reconfigured into an ensemble later.
 * - reconfigEnabled=true: joiners add themselves with `reconfig`.
 * - db.autocreate=false (ZooKeeper turns unknown keys into `zookeeper.*` system
 *   properties): a wiped server stays out of elections instead of electing a
 *   leader that lacks committed data (ZOOKEEPER-261); `zk-id` writes the
 *   `initialize` marker only at first bootstrap.
 * - 4lw whitelist: `zk-id` probes peers with `srvr` even when they have no quorum.
 */
export function renderStaticConfig(input: StaticConfigInput): string {
  const lines = [
    "# Written by mdeploy zk-id. ZooKeeper rewrites this file after a reconfig.",
    `tickTime=${input.tickTimeMs}`,
    "initLimit=10",
    "syncLimit=5",
    `dataDir=${input.dataDir}`,
    `dynamicConfigFile=${input.dynamicConfigFile}`,
    "standaloneEnabled=false",
    "reconfigEnabled=true",
    "db.autocreate=false",
    "4lw.commands.whitelist=srvr,mntr,ruok,conf",
    "admin.enableServer=false",
    input.superDigest ? `DigestAuthenticationProvider.superDigest=${input.superDigest}` : "skipACL=yes",
  ];
  return `${lines.join("\n")}\n`;
}

/** Parses `key=value` lines (zoo.cfg is a Java properties file; comments and blanks skipped). */
export function parseStaticConfig(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#") || line.startsWith("!")) continue;
    const i = line.search(/[=:]/);
    if (i < 0) continue;
    out[line.slice(0, i).trim()] = line.slice(i + 1).trim();
  }
  return out;
}

/**
 * The `superDigest` value for a super-user password: `super:` + base64(sha1("super:" + password)),
 * the form ZooKeeper's DigestAuthenticationProvider compares against.
 */
export function superDigestFor(password: string): string {
  return `super:${createHash("sha1").update(`super:${password}`).digest("base64")}`;
}
