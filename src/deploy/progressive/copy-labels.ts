/**
 * Labels mdeploy stamps on the copies it makes, so `mdeploy status` and
 * `mdeploy rollback` (another process, maybe another CI job) can tell what a
 * copy is and how to undo it. They are set when the copy is created and
 * never changed by a step: a label change makes Marathon restart every task.
 */

/** On a canary: the app id of the stable app it belongs to. */
export const CANARY_OF_LABEL = "MDEPLOY_CANARY_OF";
/** On a canary: the stable app's instances before the canary began (what an abort scales it back to). */
export const CANARY_STABLE_INSTANCES_LABEL = "MDEPLOY_CANARY_STABLE_INSTANCES";
/** On a canary: its steps, `<asked>=<canary>/<stable>` joined by commas ("10%=1/3,50%=2/2"). */
export const CANARY_STEPS_LABEL = "MDEPLOY_CANARY_STEPS";
/** On a canary or a green copy: the gates in words, joined by "; ". */
export const GATES_LABEL = "MDEPLOY_GATES";

/** On both blue/green copies: the copy's part ("preview", "live" on green; "standby" on blue). */
export const BLUE_GREEN_LABEL = "MDEPLOY_BLUE_GREEN";
/** On the standby blue copy: when it is due to go (ISO time). */
export const STANDBY_UNTIL_LABEL = "MDEPLOY_STANDBY_UNTIL";

/** Parses {@link CANARY_STEPS_LABEL}; entries that do not parse are left out. */
export function parseStepsLabel(text: string | undefined): { asked: string; canary: number; stable: number }[] {
  const steps: { asked: string; canary: number; stable: number }[] = [];
  for (const part of (text ?? "").split(",")) {
    const m = /^(.+)=(\d+)\/(\d+)$/.exec(part.trim());
    if (m) steps.push({ asked: m[1] as string, canary: Number(m[2]), stable: Number(m[3]) });
  }
  return steps;
}

/**
 * The canary and green copies of `appId` among apps found under their names, or
 * undefined where the app is not mdeploy's copy: an app merely named
 * `<id>-canary` or `<id>-green` may be someone's own, never to be undone or shown as a copy.
 */
export function ownCopies<T extends { labels?: Record<string, string> }>(appId: string, canary: T | undefined, green: T | undefined): [T | undefined, T | undefined] {
  const part = green?.labels?.[BLUE_GREEN_LABEL];
  return [canary?.labels?.[CANARY_OF_LABEL] === appId ? canary : undefined, part === "preview" || part === "live" ? green : undefined];
}
