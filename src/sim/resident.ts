import type { AppDefinition, UpgradeStrategy } from "../marathon/types.js";
import type { ErrorDetail } from "./api-types.js";

/**
 * Resident apps (local persistent volumes) as Marathon 1.10/1.11 treats them:
 * `RunSpec.isResident`, the defaults of `AppConversion` (upgradeStrategy 0.5/0 with
 * persistent or external volumes, unreachableStrategy disabled) and the rules of
 * `AppDefinition.complyWithUpgradeStrategyRules` / `residentUpdateIsValid`. Pure.
 */

interface VolumeLike {
  persistent?: unknown;
  external?: unknown;
}

function volumesOf(def: AppDefinition): VolumeLike[] {
  const volumes = def.container?.volumes;
  return Array.isArray(volumes) ? (volumes.filter((v) => typeof v === "object" && v !== null) as VolumeLike[]) : [];
}

/** Has a local persistent volume: Marathon keeps its reservation across restarts. */
export function isResident(def: AppDefinition): boolean {
  return volumesOf(def).some((v) => v.persistent !== undefined && v.persistent !== null);
}

function hasExternalVolumes(def: AppDefinition): boolean {
  return volumesOf(def).some((v) => v.external !== undefined && v.external !== null);
}

/** UpgradeStrategy.forResidentTasks. */
const RESIDENT_UPGRADE_STRATEGY: UpgradeStrategy = { minimumHealthCapacity: 0.5, maximumOverCapacity: 0 };

/** The defaults Marathon gives apps with volumes it must not run twice, for fields the user left out. */
export function residentDefaults(input: AppDefinition): Partial<AppDefinition> {
  const out: Partial<AppDefinition> = {};
  if (input.upgradeStrategy === undefined && (isResident(input) || hasExternalVolumes(input))) out.upgradeStrategy = { ...RESIDENT_UPGRADE_STRATEGY };
  if (input.unreachableStrategy === undefined && isResident(input)) out.unreachableStrategy = "disabled";
  return out;
}

/** Scala prints doubles with a decimal point. */
function double(n: number): string {
  return Number.isInteger(n) ? n.toFixed(1) : String(n);
}

const RESOURCES_CHANGED = "Services with persistent volumes configured may not change resource requirements. If you need to make this change, please create a new service.";

/**
 * 422 details for a resident app (after defaults): maximumOverCapacity must be 0,
 * unreachableStrategy disabled, and an update may not change cpus, mem, disk or gpus.
 */
export function residentErrors(app: AppDefinition, previous: AppDefinition | undefined): ErrorDetail[] {
  const resident = isResident(app) || (previous !== undefined && isResident(previous));
  if (!resident) return [];
  const details: ErrorDetail[] = [];
  const moc = app.upgradeStrategy?.maximumOverCapacity;
  if (moc !== undefined && moc !== 0) details.push({ path: "/upgradeStrategy/maximumOverCapacity", errors: [`got ${double(moc)}, expected 0.0`] });
  if (isResident(app) && app.unreachableStrategy !== undefined && app.unreachableStrategy !== "disabled") {
    details.push({ path: "/", errors: ["unreachableStrategy must be disabled for resident tasks"] });
  }
  if (previous) {
    for (const field of ["cpus", "mem", "disk", "gpus"] as const) {
      if ((app[field] ?? 0) !== (previous[field] ?? 0)) details.push({ path: `/${field}`, errors: [RESOURCES_CHANGED] });
    }
  }
  return details;
}
