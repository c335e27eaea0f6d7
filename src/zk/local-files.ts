/**
 * This node's ZooKeeper files: dataDir/myid, dataDir/version-2 (data),
 * dataDir/initialize (the marker `db.autocreate=false` looks for), confDir/zoo.cfg
 * and the dynamic membership file it points to. Every write is atomic
 * (temporary file, then rename), so a failed run leaves the old file whole.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { ConfigError } from "../errors.js";
import { parseMembership, type Membership } from "./members.js";
import type { LocalState } from "./plan.js";
import { parseStaticConfig } from "./static-config.js";

export interface ZkPaths {
  dataDir: string;
  confDir: string;
}

/** What `zk-id` reads from disk before deciding. */
export interface LocalFiles {
  state: LocalState;
  /** The dynamic file the current zoo.cfg points to, when it exists (ZooKeeper renames it to `.dynamic.<version>`). */
  dynamicFile: string | null;
  /** Its membership, when it exists. */
  dynamicMembership: Membership | null;
}

const zooCfgPath = (paths: ZkPaths) => join(paths.confDir, "zoo.cfg");
export const defaultDynamicPath = (paths: ZkPaths) => join(paths.confDir, "zoo.cfg.dynamic");

/** Reads myid, whether data exists, and the current dynamic membership. Bad content is a ConfigError naming the file. */
export function readLocalFiles(paths: ZkPaths): LocalFiles {
  const myidFile = join(paths.dataDir, "myid");
  let myid: number | null = null;
  if (existsSync(myidFile)) {
    const text = readFileSync(myidFile, "utf8").trim();
    if (!/^\d+$/.test(text)) throw new ConfigError(`${myidFile}: expected a server ID, found "${text.slice(0, 40)}"`);
    myid = Number(text);
  }
  const logDir = join(paths.dataDir, "version-2");
  const hasData = existsSync(logDir) && readdirSync(logDir).some((f) => /^(snapshot|log)\./.test(f));

  let dynamicFile: string | null = null;
  const cfgFile = zooCfgPath(paths);
  if (existsSync(cfgFile)) {
    const ref = parseStaticConfig(readFileSync(cfgFile, "utf8")).dynamicConfigFile;
    if (ref) {
      const full = isAbsolute(ref) ? ref : resolve(paths.confDir, ref);
      if (existsSync(full)) dynamicFile = full;
    }
  }
  let dynamicMembership: Membership | null = null;
  if (dynamicFile) {
    try {
      dynamicMembership = parseMembership(readFileSync(dynamicFile, "utf8"));
    } catch (error) {
      throw new ConfigError(`${dynamicFile}: ${(error as Error).message}`);
    }
  }
  return { state: { myid, hasData }, dynamicFile, dynamicMembership };
}

/** The files one run writes; a null entry is left as it is. */
export interface ZkFileWrites {
  myid: number;
  zooCfg: string;
  dynamic: { file: string; text: string } | null;
  initialize: boolean;
}

function writeAtomic(file: string, text: string): void {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.mdeploy-tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, file);
}

/** Writes membership first and myid last, so a half-run never leaves an ID without its config. */
export function writeZkFiles(paths: ZkPaths, writes: ZkFileWrites): string[] {
  const written: string[] = [];
  mkdirSync(paths.dataDir, { recursive: true });
  if (writes.dynamic) {
    writeAtomic(writes.dynamic.file, writes.dynamic.text);
    written.push(writes.dynamic.file);
  }
  writeAtomic(zooCfgPath(paths), writes.zooCfg);
  written.push(zooCfgPath(paths));
  if (writes.initialize) {
    writeAtomic(join(paths.dataDir, "initialize"), "");
    written.push(join(paths.dataDir, "initialize"));
  }
  writeAtomic(join(paths.dataDir, "myid"), `${writes.myid}\n`);
  written.push(join(paths.dataDir, "myid"));
  return written;
}
