/**
 * The `zk-id` protocol: one entry that runs the asked-for action. The command
 * (src/commands/zk-id.ts) only prints what this returns.
 */
import { leave, printZkUrl } from "./leave.js";
import { prepare } from "./prepare.js";
import { promote } from "./promote.js";
import type { ZkIdAction, ZkIdDeps, ZkIdOptions, ZkIdResult } from "./zk-id-types.js";

/** Runs one zk-id action. Throws PreflightRefusedError when this server must not start, EnsembleWithoutQuorumError (exit 7) when an ensemble exists without a quorum. */
export function decideZkId(options: ZkIdOptions, deps: ZkIdDeps): Promise<ZkIdResult> {
  if (options.superPassword) deps.log.redactor.add(options.superPassword);
  const actions: Record<ZkIdAction, () => Promise<ZkIdResult>> = {
    prepare: () => prepare(options, deps),
    promote: () => promote(options, deps),
    leave: () => leave(options, deps),
    "print-zk-url": () => printZkUrl(options, deps),
  };
  return actions[options.action]();
}
