/** How resource amounts read in plans and shortfalls: "300 MB", "0.5 CPUs", "2 ports". */

/** The resource kinds the planner tracks. */
export type ResourceKind = "cpus" | "mem" | "disk" | "ports";

/** Formats one amount with its unit. */
export function formatAmount(kind: ResourceKind, value: number): string {
  const shown = Number.isInteger(value) ? String(value) : String(Math.round(value * 100) / 100);
  switch (kind) {
    case "mem":
      return `${shown} MB`;
    case "disk":
      return `${shown} MB of disk`;
    case "cpus":
      return `${shown} CPU${value === 1 ? "" : "s"}`;
    case "ports":
      return `${shown} host port${value === 1 ? "" : "s"}`;
  }
}
