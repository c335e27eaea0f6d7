/**
 * `mdeploy zk-id`: this ZooKeeper server's ID, decided before ZooKeeper starts
 * (and `--promote` after it started). The protocol lives in src/zk/zk-id.ts;
 * this prints its verdict.
 */
import type { Output } from "../core/ports/output.js";
import { decideZkId } from "../zk/zk-id.js";
import type { ZkIdDeps, ZkIdOptions, ZkIdResult } from "../zk/zk-id-types.js";

export type { ZkIdOptions, ZkIdResult } from "../zk/zk-id-types.js";

/** The protocol's adapters, and where the command prints. */
export type ZkIdCommandDeps = Omit<ZkIdDeps, "log"> & { output: Output };

/** Runs one `zk-id` action and prints the result: one line, and the JSON document under --json. */
export async function runZkId(options: ZkIdOptions, deps: ZkIdCommandDeps): Promise<ZkIdResult> {
  const result = await decideZkId(options, { ...deps, log: deps.output });
  if (result.zkUrl) deps.output.info(result.zkUrl);
  else deps.output.info(`ZooKeeper server ID ${result.id ?? "-"} (${result.outcome}): ${result.reason}`);
  deps.output.result(result);
  return result;
}
