import type { AppChange } from "../plan/diff-app.js";
import type { UpgradePlan } from "../plan/types.js";
import type { VersionSummary } from "./version-display.js";

/** What a verified deploy returns (and `--json` prints). */
export interface DeployResult {
  environment: string;
  appId: string;
  version: string;
  previousVersion?: string;
  deploymentId: string;
  verifiedBy: "event" | "state";
  plan: UpgradePlan;
  changes: AppChange[];
  url?: string;
  instances: { healthy: number; total: number };
  /** What the version runs and where it came from, and the same for the previous one. */
  runs: VersionSummary;
  previousRuns?: VersionSummary;
  /** True when nothing but mdeploy's labels or the strategy differed, so nothing was sent. */
  unchanged?: boolean;
}
