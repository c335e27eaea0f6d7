/**
 * `mdeploy status` while a canary or blue/green runs: which step, how much of
 * the public traffic reaches the new version (healthy instances of each copy
 * in the shared Traefik service), what the gates are and how the new copy's
 * health looks right now. Read from the copies' labels and tasks, so any
 * process can tell, not only the deploy that runs it.
 */
import type { MarathonClient } from "../../marathon/client.js";
import type { AppStatus } from "../../marathon/types.js";
import { countTasks } from "../verify-app.js";
import { BLUE_GREEN_LABEL, CANARY_STEPS_LABEL, GATES_LABEL, ownCopies, parseStepsLabel, STANDBY_UNTIL_LABEL } from "./copy-labels.js";
import { CANARY_SUFFIX, GREEN_SUFFIX } from "./progressive-plan.js";

/** A canary or blue/green in progress, as `status --json` shows it. */
export type ProgressiveStatus =
  | {
      strategy: "canary";
      canaryId: string;
      image?: string;
      /** "2/3 (50%)", or "between steps" while counts move. */
      step: string;
      canary: { healthy: number; total: number };
      stable: { healthy: number; total: number };
      /** Percent of the healthy backends of the shared service that run the new version. */
      share: number;
      gates: string;
      /** The health part of the gate, judged now. */
      healthNow: string;
    }
  | {
      strategy: "blue-green";
      greenId: string;
      image?: string;
      /** preview: green is checked on the preview Host; live: green serves the public rule and blue is on standby. */
      phase: "preview" | "live";
      green: { healthy: number; total: number };
      standbyUntil?: string;
      gates: string;
    };

/** The canary and green copies of `appId` that mdeploy made, as Marathon has them now (read beside the app itself: one round trip). */
export async function findProgressiveCopies(appId: string, marathon: Pick<MarathonClient, "findApp">): Promise<ProgressiveCopies> {
  const embed = { embed: ["app.tasks", "app.readiness"] as const };
  return ownCopies(appId, ...(await Promise.all([marathon.findApp(`${appId}${CANARY_SUFFIX}`, embed), marathon.findApp(`${appId}${GREEN_SUFFIX}`, embed)])));
}

/** What {@link findProgressiveCopies} found: the canary, the green copy, either undefined. */
export type ProgressiveCopies = [canary: AppStatus | undefined, green: AppStatus | undefined];

/** The progressive deploy of `appId` in progress (and lines for a person), or undefined when there is none. */
export function describeProgressive(appId: string, stable: AppStatus, [canary, green]: ProgressiveCopies): { status: ProgressiveStatus; lines: string[] } | undefined {
  const healthOf = (app: AppStatus) => {
    const counts = countTasks(app, app.version);
    return { healthy: counts.healthyNew, total: counts.instances };
  };
  const image = (app: AppStatus) => app.container?.docker?.image;
  if (canary) {
    const c = healthOf(canary);
    const s = healthOf(stable);
    const steps = parseStepsLabel(canary.labels?.[CANARY_STEPS_LABEL]);
    const index = steps.findIndex((step) => step.canary === c.total && step.stable === s.total);
    const step = index >= 0 ? `${index + 1}/${steps.length} (${steps[index]?.asked})` : "between steps";
    const serving = c.healthy + s.healthy;
    const share = serving === 0 ? 0 : Math.round((100 * c.healthy) / serving);
    const healthNow = c.healthy === c.total ? `${c.healthy}/${c.total} canary tasks healthy` : `${c.healthy}/${c.total} canary tasks healthy: the next gate would fail now`;
    const gates = canary.labels?.[GATES_LABEL] ?? "";
    const imageText = image(canary);
    return {
      status: { strategy: "canary", canaryId: canary.id, ...(imageText ? { image: imageText } : {}), step, canary: c, stable: s, share, gates, healthNow },
      lines: [
        `canary in progress: ${canary.id}${imageText ? ` (${imageText})` : ""}, step ${step}`,
        `  traffic: ${share}% on the new version (${c.healthy} healthy canary, ${s.healthy} healthy stable instances in the shared service)`,
        `  gate: ${gates || "(not recorded)"}; now: ${healthNow}`,
      ],
    };
  }
  if (green) {
    const g = healthOf(green);
    const phase = green.labels?.[BLUE_GREEN_LABEL] === "live" ? "live" : "preview";
    const standbyUntil = stable.labels?.[STANDBY_UNTIL_LABEL];
    const gates = green.labels?.[GATES_LABEL] ?? "";
    const imageText = image(green);
    return {
      status: { strategy: "blue-green", greenId: green.id, ...(imageText ? { image: imageText } : {}), phase, green: g, ...(standbyUntil ? { standbyUntil } : {}), gates },
      lines: [
        `blue/green in progress: ${green.id}${imageText ? ` (${imageText})` : ""}, ${g.healthy}/${g.total} healthy`,
        phase === "live" ? `  ${green.id} serves the public rule; ${appId} is on standby${standbyUntil ? ` until ${standbyUntil}` : ""} (mdeploy rollback switches back)` : `  ${green.id} is on its preview Host only; gate: ${gates || "(not recorded)"}`,
      ],
    };
  }
  return undefined;
}
