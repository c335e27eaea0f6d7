/**
 * Runs `mdeploy zk-id` for a loopback test node the way the Ansible role runs
 * it on a host, with short waits so a failing test fails fast.
 */
import { runCli, type CliRun } from "./run-cli.js";
import type { TestNode } from "./zk-nodes.js";

export interface ZkIdRun extends CliRun {
  /** The --json result, when the command printed one. */
  json: { id: number | null; outcome: string; reason: string; files: string[]; promoteAfterStart: boolean; zkUrl?: string } | null;
}

/** Fast timings for tests; production defaults are minutes. */
export const TEST_TIMINGS = ["--tick-time", "500", "--poll-interval", "200", "--wait-timeout", "30", "--sync-timeout", "20", "--settle-timeout", "10", "--dead-voter-grace", "3"];

export async function zkId(node: TestNode, peers: readonly TestNode[], extra: string[] = [], timeoutMs = 60_000, env: Record<string, string> = {}): Promise<ZkIdRun> {
  const args = [
    "--json",
    "zk-id",
    "--data-dir",
    node.dataDir,
    "--conf-dir",
    node.confDir,
    "--address",
    node.peerSpec,
    "--peers",
    peers.map((p) => p.peerSpec).join(","),
    ...TEST_TIMINGS,
    ...extra,
  ];
  const run = await runCli(args, { timeoutMs, env });
  let json: ZkIdRun["json"] = null;
  try {
    json = run.stdout.trim() ? (JSON.parse(run.stdout) as ZkIdRun["json"]) : null;
  } catch {
    json = null;
  }
  return { ...run, json };
}

/** A one-line summary for assertion messages. */
export function describeRun(run: CliRun): string {
  return `exit ${run.code}; stdout: ${run.stdout.trim()}; stderr: ${run.stderr.trim()}`;
}
