import { describe, expect, it } from "vitest";
import type { AppDefinition, AppStatus } from "../marathon/types.js";
import { driftChanges, isUnchangedRedeploy, previousHealthyLabel, withCiProvenance } from "./app-provenance.js";
import { formatVersion, summarizeVersion } from "./version-display.js";
import { buildHistory, chooseRollbackVersion, formatHistory, nearestVersions, type StoredVersion } from "./version-history.js";

const T = (minute: number) => `2026-01-01T00:${String(minute).padStart(2, "0")}:00.000Z`;

function def(image: string, labels: Record<string, string> = {}, extra: Partial<AppDefinition> = {}): AppDefinition {
  return { id: "/a", instances: 1, mem: 300, container: { type: "DOCKER", docker: { image } }, labels, ...extra };
}

function running(version: string, definition: AppDefinition, extra: Partial<AppStatus> = {}): AppStatus {
  return { ...definition, version, versionInfo: { lastScalingAt: version, lastConfigChangeAt: version }, tasksStaged: 0, tasksRunning: 1, tasksHealthy: 1, tasksUnhealthy: 0, deployments: [], ...extra };
}

/** The README tour: 1.0.0, 1.1.0, broken (rolled back automatically to 1.1.0). */
const tour: StoredVersion[] = [
  { version: T(1), definition: def("click-count:1.0.0") },
  { version: T(2), definition: def("click-count:1.1.0", { MDEPLOY_PREVIOUS_HEALTHY: T(1) }) },
  { version: T(3), definition: def("click-count:broken", { MDEPLOY_PREVIOUS_HEALTHY: T(2) }) },
  { version: T(4), definition: def("click-count:1.1.0", { MDEPLOY_PREVIOUS_HEALTHY: T(1), MDEPLOY_ROLLBACK_OF: T(3) }) },
];
const afterManualRollback: StoredVersion[] = [...tour, { version: T(5), definition: def("click-count:1.0.0", { MDEPLOY_ROLLBACK_OF: T(4), MDEPLOY_PREVIOUS_HEALTHY: T(4) }) }];

describe("chooseRollbackVersion: the last version that runs something else, never back to what a rollback left", () => {
  const cases: { name: string; current: AppStatus; stored: StoredVersion[]; expected: string | undefined; reason: RegExp }[] = [
    { name: "after an automatic rollback: skips the broken build and the older copy of what runs", current: running(T(4), tour[3]!.definition), stored: tour, expected: T(1), reason: /click-count:1\.0\.0.*skipped .*rolled back from.*runs the same as now/ },
    { name: "a plain upgrade: the version before it", current: running(T(2), tour[1]!.definition), stored: tour.slice(0, 2), expected: T(1), reason: /newest earlier version that runs something else \(container\.docker\.image\)/ },
    {
      name: "an upgradeStrategy-only version is not a version to go back to",
      current: running(T(3), def("b:2", {}, { upgradeStrategy: { minimumHealthCapacity: 0, maximumOverCapacity: 1 } })),
      stored: [{ version: T(1), definition: def("b:1") }, { version: T(2), definition: def("b:2") }, { version: T(3), definition: def("b:2", {}, { upgradeStrategy: { minimumHealthCapacity: 0, maximumOverCapacity: 1 } }) }],
      expected: T(1),
      reason: /runs the same as now/,
    },
    { name: "scale-only and label-only versions are skipped", current: running(T(3), def("b:2", { MDEPLOY_PIPELINE_URL: "p3" }, { instances: 3 })), stored: [{ version: T(1), definition: def("b:1") }, { version: T(2), definition: def("b:2", { MDEPLOY_PIPELINE_URL: "p2" }) }], expected: T(1), reason: /T?/ },
    { name: "a second plain rollback does not flip forward", current: running(T(5), afterManualRollback[4]!.definition), stored: afterManualRollback, expected: undefined, reason: /no earlier version.*--to/ },
    { name: "a first version has nothing before it", current: running(T(1), tour[0]!.definition), stored: tour.slice(0, 1), expected: undefined, reason: /name one with --to/ },
    { name: "a label the user changed counts as a change", current: running(T(2), def("b:1", { team: "x" })), stored: [{ version: T(1), definition: def("b:1", { team: "y" }) }], expected: T(1), reason: /labels\.team/ },
  ];
  it.each(cases)("$name", ({ current, stored, expected, reason }) => {
    const choice = chooseRollbackVersion(current, stored);
    expect(choice.version).toBe(expected);
    expect(choice.reason).toMatch(reason);
  });
});

describe("buildHistory", () => {
  it("the tour: newest first, the broken build never healthy, which runs now", () => {
    const entries = buildHistory(running(T(5), afterManualRollback[4]!.definition), afterManualRollback);
    expect(entries.map((e) => [e.version, e.image, e.healthy, e.runsNow])).toEqual([
      [T(5), "click-count:1.0.0", "yes", true],
      [T(4), "click-count:1.1.0", "yes", false],
      [T(3), "click-count:broken", "never", false],
      [T(2), "click-count:1.1.0", "yes", false],
      [T(1), "click-count:1.0.0", "yes", false],
    ]);
    const lines = formatHistory(entries);
    expect(lines[0]).toMatch(/^\* .*click-count:1\.0\.0, 1 instance, rollback from .*became healthy {2}<- runs now$/);
    expect(lines[2]).toMatch(/click-count:broken.*never healthy/);
  });
  it("a running version still deploying or short of instances is not known healthy", () => {
    const entries = buildHistory(running(T(1), def("a:1"), { tasksHealthy: 0 }), [{ version: T(1), definition: def("a:1") }]);
    expect(entries[0]?.healthy).toBe("unknown");
  });
});

describe("version display", () => {
  it("shows image, instances and the pipeline/commit labels", () => {
    const app = withCiProvenance(def("reg/app:1.2.0", {}, { instances: 2 }), { CI_PIPELINE_URL: "https://gitlab/p/-/pipelines/7", CI_COMMIT_SHA: "0123456789abcdef", CI_COMMIT_REF_NAME: "main", CI_JOB_URL: "https://gitlab/p/-/jobs/9" });
    expect(formatVersion(summarizeVersion(T(1), app))).toBe(`${T(1)} (reg/app:1.2.0, 2 instances; pipeline https://gitlab/p/-/pipelines/7, commit 01234567 (main))`);
  });
  it("a command app shows a digest of its command, equal for equal commands", () => {
    const a = summarizeVersion(T(1), { id: "/c", cmd: "python3 -m http.server" });
    expect(a.cmdDigest).toMatch(/^[0-9a-f]{12}$/);
    expect(summarizeVersion(T(2), { id: "/c", cmd: "python3 -m http.server" }).cmdDigest).toBe(a.cmdDigest);
    expect(formatVersion(a)).toBe(`${T(1)} (cmd ${a.cmdDigest}, 1 instance)`);
  });
  it("no CI variables, no labels", () => {
    expect(withCiProvenance(def("a:1"), {}).labels).toEqual({});
  });
});

describe("unchanged redeploys and drift", () => {
  const base = running(T(1), def("a:1", { MDEPLOY_PIPELINE_URL: "p1", team: "x" }));
  const cases: { name: string; target: AppDefinition; unchanged: boolean; drift: string[] }[] = [
    { name: "only the pipeline labels differ (a retried job)", target: def("a:1", { MDEPLOY_PIPELINE_URL: "p2", MDEPLOY_PREVIOUS_HEALTHY: T(1), team: "x" }), unchanged: true, drift: [] },
    { name: "only the upgradeStrategy differs", target: def("a:1", { team: "x" }, { upgradeStrategy: { minimumHealthCapacity: 0, maximumOverCapacity: 0 } }), unchanged: true, drift: [] },
    { name: "a new image", target: def("a:2", { team: "x" }), unchanged: false, drift: ["container.docker.image"] },
    { name: "scaled", target: def("a:1", { team: "x" }, { instances: 2 }), unchanged: false, drift: ["instances"] },
    { name: "a user label", target: def("a:1", { team: "y" }), unchanged: false, drift: ["labels.team"] },
  ];
  it.each(cases)("$name", ({ target, unchanged, drift }) => {
    expect(isUnchangedRedeploy(base, target)).toBe(unchanged);
    expect(driftChanges(base, target).map((c) => c.path)).toEqual(drift);
  });
  it("a new app is never unchanged, and all drift", () => {
    expect(isUnchangedRedeploy(undefined, def("a:1"))).toBe(false);
    expect(driftChanges(undefined, def("a:1")).length).toBeGreaterThan(0);
  });
  it("previousHealthyLabel only for a settled, fully healthy app", () => {
    expect(previousHealthyLabel(base)).toEqual({ MDEPLOY_PREVIOUS_HEALTHY: T(1) });
    expect(previousHealthyLabel({ ...base, deployments: [{ id: "d" }] })).toEqual({});
    expect(previousHealthyLabel({ ...base, tasksHealthy: 0 })).toEqual({});
  });
});

describe("nearestVersions", () => {
  it("nearest in time first", () => {
    expect(nearestVersions([T(1), T(5), T(9), T(20)], T(6), 2)).toEqual([T(5), T(9)]);
  });
  it("not a timestamp: the newest", () => {
    expect(nearestVersions([T(1), T(5), T(9)], "1.1.0", 2)).toEqual([T(9), T(5)]);
  });
});
