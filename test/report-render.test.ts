/**
 * The page renderer on its own (it is pure), and the size of a real
 * 100-instance deploy's page: what a reader would notice — a moment under the
 * floor is marked and said in words, text from Marathon or CI cannot inject
 * markup or links, secrets are hidden, the page stays small.
 */
import { describe, expect, it, afterEach } from "vitest";
import { createRedactor } from "../src/core/redact.js";
import { renderReport } from "../src/report/render-report.js";
import type { ReportData } from "../src/report/report-data.js";
import { reportPathFor } from "../src/report/write-report.js";
import { defaultCluster } from "../src/sim/index.js";
import { DB_PASSWORD, readReport, startReportProject, type ReportProject } from "./report-runs.js";

const T0 = Date.UTC(2026, 0, 1);

/** Two instances, version A replaced by B; between 30 s and 40 s only one is healthy while the plan promised two. */
function dipUnderFloor(): ReportData {
  const sample = (s: number, a: [number, number], b: [number, number]) => ({
    t: T0 + s * 1000,
    byVersion: { va: { healthy: a[0], running: a[1], staged: 0 }, vb: { healthy: b[0], running: b[1], staged: 0 } },
  });
  return {
    command: "deploy",
    environment: "production",
    appId: "/production/shop",
    startedAt: T0,
    endedAt: T0 + 60_000,
    from: { version: "va", role: "previous", image: "shop:1" },
    to: { version: "vb", role: "target", image: "shop:2" },
    versions: [
      { version: "va", role: "previous", image: "shop:1" },
      { version: "vb", role: "target", image: "shop:2" },
    ],
    ci: {},
    verdict: { ok: true, exitCode: 0, message: "verified", details: [] },
    plan: { kind: "restart", verdict: "rolling upgrade", minHealthy: 2, zeroDowntime: true, instances: { from: 2, to: 2 }, strategy: { minimumHealthCapacity: 1, maximumOverCapacity: 0.5 }, strategySource: "auto", reasons: [], warnings: [], steps: [] },
    diff: ["~ container.docker.image: \"shop:1\" -> \"shop:2\""],
    samples: [sample(0, [2, 2], [0, 0]), sample(20, [2, 2], [0, 1]), sample(30, [1, 1], [0, 1]), sample(40, [1, 1], [1, 1]), sample(50, [0, 0], [2, 2])],
    floor: { value: 2, from: T0 + 10_000, until: T0 + 55_000 },
    phases: [],
    events: [],
  };
}

describe("renderReport", () => {
  it("marks a moment under the floor in the chart and says when, in words", () => {
    const html = renderReport(dipUnderFloor());
    expect(html.match(/<g class="under-floor">/g)).toHaveLength(1);
    expect(html).toContain("healthy instances fell under the plan's floor of 2 once: 30 s to 40 s");
    expect(html).toContain("Fewest healthy instances seen during the deployment: 1.");
  });

  it("says the floor held when it did", () => {
    const data = dipUnderFloor();
    data.samples = data.samples.filter((s) => s.t !== T0 + 30_000);
    const html = renderReport(data);
    expect(html).not.toContain('<g class="under-floor">');
    expect(html).toContain("never fell under the plan's floor of 2");
  });

  it("escapes text from Marathon and CI, links only http(s) URLs, and has a single script of its own", () => {
    const data = dipUnderFloor();
    data.events = [{ t: T0 + 1000, kind: "failure", text: 'task x: TASK_FAILED (<img src=x onerror="alert(1)"> </script><script>alert(2)</script>)' }];
    data.ci = { pipelineUrl: "javascript:alert(3)", jobUrl: "https://gitlab.example.com/j/1" };
    const html = renderReport(data);
    expect(html).toContain("&lt;img src=x onerror=&quot;alert(1)&quot;&gt; &lt;/script&gt;&lt;script&gt;alert(2)&lt;/script&gt;");
    expect(html.match(/<script>/g)).toHaveLength(1);
    expect(html).not.toContain('href="javascript:');
    expect(html).toContain('<a href="https://gitlab.example.com/j/1">');
  });

  it("forbids network requests and keeps the filters hidden until the script shows them", () => {
    const html = renderReport(dipUnderFloor());
    expect(html).toContain("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none';");
    expect(html).toMatch(/<fieldset id="event-filter" hidden>/);
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
  });

  it("keeps the first and last events when there are too many, saying how many are left out", () => {
    const data = dipUnderFloor();
    data.events = Array.from({ length: 5_000 }, (_, i) => ({ t: T0 + i, kind: "launch" as const, text: `event ${i}` }));
    const html = renderReport(data);
    expect(html).toContain(">event 0<");
    expect(html).toContain(">event 4999<");
    expect(html).not.toContain(">event 2500<");
    expect(html).toContain("1000 events in the middle are not shown");
  });
});

describe("reportPathFor", () => {
  it.each([
    [undefined, {}, undefined],
    [undefined, { CI: "true" }, "mdeploy-report.html"],
    ["out/r.html", {}, "out/r.html"],
    ["out/r.html", { CI: "true" }, "out/r.html"],
    [false, { CI: "true" }, undefined],
    ["", { CI: "true" }, undefined],
  ] as const)("--report %s with %j: %s", (option, env, expected) => {
    expect(reportPathFor(option, env)).toBe(expected);
  });
});

describe("a 100-instance deploy's report", () => {
  let project: ReportProject | undefined;
  afterEach(async () => {
    await project?.close();
    project = undefined;
  });

  it("is under 200 kB, has every instance's launch and kill, and no secret", { timeout: 120_000 }, async () => {
    const cluster = defaultCluster();
    for (let i = 0; i < 10; i++) cluster.agents.push({ hostname: `staging-big-${i}`, cpus: 8, mem: 8_000, disk: 40_000, ports: "[31000-32000]", attributes: { type: "staging" } });
    project = await startReportProject(cluster, 1000);
    expect((await project.deploy("1.0.0", { instances: 100 })).exitCode).toBe(0);
    expect((await project.deploy("1.1.0", { instances: 100, report: "big.html" })).exitCode).toBe(0);
    const html = await readReport(project, "big.html");
    expect(Buffer.byteLength(html)).toBeLessThan(200_000);
    expect(html.match(/<tr data-kind="launch">/g)?.length).toBe(100);
    expect(html.match(/<tr data-kind="kill">/g)?.length).toBe(100);
    expect(html).not.toContain(DB_PASSWORD);
    expect(createRedactor([DB_PASSWORD]).redact(html)).toBe(html);
  });
});
