/**
 * Marathon's group tree as the simulator keeps it, and the dependency arithmetic of
 * `DeploymentPlan.runSpecsGroupedByLongestPath` (core/deployment/DeploymentPlan.scala,
 * Marathon 1.10/1.11). Pure.
 */

/** One group of the tree (GroupInfo without its apps and subgroups, which are derived from ids). */
export interface GroupRecord {
  id: string;
  /** Absolute ids of apps or groups every app of this group waits for. */
  dependencies: string[];
  enforceRole: boolean;
  version: string;
}

/** What the dependency graph needs of an app. */
export interface DependentApp {
  id: string;
  /** Absolute ids (apps or groups). */
  dependencies: string[];
}

/**
 * Resolves `path` against `base` as Marathon's `PathId.canonicalPath` does: absolute
 * paths stay, relative ones hang under `base`, `.` and `..` are followed.
 */
export function canonicalPath(path: string, base: string): string {
  const start = path.startsWith("/") ? [] : base.split("/").filter((s) => s !== "");
  const out = [...start];
  for (const segment of path.split("/")) {
    if (segment === "" || segment === ".") continue;
    if (segment === "..") out.pop();
    else out.push(segment);
  }
  return `/${out.join("/")}`;
}

/** The parent group of an app or group id ("/" for top-level ones). */
export function parentOf(id: string): string {
  const segments = id.split("/").filter((s) => s !== "");
  segments.pop();
  return `/${segments.join("/")}`;
}

/** Whether `id` lies in the subtree of `groupId` (the group itself included). */
export function isUnder(id: string, groupId: string): boolean {
  return groupId === "/" || id === groupId || id.startsWith(`${groupId}/`);
}

/** Every group on the way from the root to `id`'s parent, root first. */
export function ancestorsOf(id: string): string[] {
  const segments = id.split("/").filter((s) => s !== "");
  const out = ["/"];
  for (let i = 1; i < segments.length; i++) out.push(`/${segments.slice(0, i).join("/")}`);
  return out;
}

/**
 * Edges app -> app of Marathon's dependency graph (RootGroup.applicationDependencies):
 * a group's dependencies make each of its apps (transitively) wait for every app of the
 * group it names; an app's dependency names an app or, failing that, a group.
 */
export function dependencyEdges(apps: DependentApp[], groups: GroupRecord[]): Map<string, Set<string>> {
  const edges = new Map<string, Set<string>>(apps.map((a) => [a.id, new Set<string>()]));
  const appsUnder = (groupId: string) => apps.filter((a) => isUnder(a.id, groupId) && a.id !== groupId).map((a) => a.id);
  const appIds = new Set(apps.map((a) => a.id));
  const groupIds = new Set(groups.map((g) => g.id));
  for (const group of groups) {
    for (const dependency of group.dependencies) {
      if (!groupIds.has(dependency)) continue;
      for (const app of appsUnder(group.id)) for (const target of appsUnder(dependency)) edges.get(app)?.add(target);
    }
  }
  for (const app of apps) {
    for (const dependency of app.dependencies) {
      const targets = appIds.has(dependency) ? [dependency] : groupIds.has(dependency) ? appsUnder(dependency) : [];
      for (const target of targets) edges.get(app.id)?.add(target);
    }
  }
  return edges;
}

/** Apps on a dependency cycle (Marathon refuses such a root group: "Dependency graph has cyclic dependencies."). */
export function hasDependencyCycle(edges: Map<string, Set<string>>): boolean {
  const state = new Map<string, "visiting" | "done">();
  const visit = (id: string): boolean => {
    const s = state.get(id);
    if (s === "done") return false;
    if (s === "visiting") return true;
    state.set(id, "visiting");
    for (const next of edges.get(id) ?? []) if (visit(next)) return true;
    state.set(id, "done");
    return false;
  };
  return [...edges.keys()].some((id) => visit(id));
}

/**
 * The number of apps on the longest dependency path starting at each app (1 for an
 * app that needs nothing), over the whole target tree: Marathon groups affected apps by
 * this length and runs one step per length, shortest first, so every app starts only
 * after the step of each app it needs, even when an app in between did not change.
 */
export function longestPathLengths(edges: Map<string, Set<string>>): Map<string, number> {
  const lengths = new Map<string, number>();
  const lengthOf = (id: string, seen: Set<string>): number => {
    const known = lengths.get(id);
    if (known !== undefined) return known;
    if (seen.has(id)) return 1;
    seen.add(id);
    let longest = 1;
    for (const next of edges.get(id) ?? []) longest = Math.max(longest, 1 + lengthOf(next, seen));
    seen.delete(id);
    lengths.set(id, longest);
    return longest;
  };
  for (const id of edges.keys()) lengthOf(id, new Set());
  return lengths;
}
