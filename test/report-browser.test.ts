/**
 * The deployment report as a person sees it: real deploys against the
 * simulator write their reports, and each page is opened in headless Chromium
 * (Debian's `chromium`, installed by scripts/test-prerequisites.mjs) from a
 * file:// URL. Checked against the simulator's own timeline, which knows nothing
 * of mdeploy: one series per version that ran, the floor where the plan put it,
 * the "health" filter showing exactly the health changes and kills, no console
 * errors, no network request, no secret. Screenshots go to test-output/report-browser/.
 */
import { mkdir } from "node:fs/promises";
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Simulator } from "../src/sim/index.js";
import { APP_ID, clusterWithSpareStagingAgent, DB_PASSWORD, MARATHON_PASSWORD, readReport, startReportProject, type ReportProject } from "./report-runs.js";

const CHROMIUM = "/usr/bin/chromium";
const SCREENSHOTS = fileURLToPath(new URL("../test-output/report-browser/", import.meta.url));

let browser: Browser | undefined;
let project: ReportProject | undefined;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run node scripts/test-prerequisites.mjs (installs Debian's chromium)`);
  await mkdir(SCREENSHOTS, { recursive: true });
  // --no-sandbox: the suite runs as root in CI containers, where Chromium's sandbox refuses to start.
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"], timeout: 30_000 });
}, 60_000);

afterAll(async () => {
  await browser?.close();
});

afterEach(async () => {
  await project?.close();
  project = undefined;
});

/** What the simulator says happened to the app between two moments. */
function truth(sim: Simulator, from: number, until: number) {
  const samples = sim.timeline.samples(APP_ID);
  const before = samples.filter((s) => s.t < from).at(-1);
  const versions = new Set<string>();
  for (const s of [...(before ? [before] : []), ...samples.filter((x) => x.t >= from && x.t <= until)]) {
    for (const [version, n] of Object.entries(s.activeByVersion)) if (n > 0) versions.add(version);
  }
  const inWindow = sim.timeline.forApp(APP_ID).filter((e) => e.t >= from && e.t <= until);
  const healthEvents = inWindow.filter((e) => e.kind === "health" || (e.kind === "kill" && e.detail === "FailedHealthChecks")).length;
  return { versions, healthEvents };
}

interface Opened {
  page: Page;
  consoleErrors: string[];
  requests: string[];
}

async function open(file: string, options: { javaScript?: boolean; dark?: boolean } = {}): Promise<Opened> {
  if (!browser) throw new Error("no browser");
  const context = await browser.newContext({ javaScriptEnabled: options.javaScript ?? true, colorScheme: options.dark ? "dark" : "light", viewport: { width: 1200, height: 1100 } });
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  const consoleErrors: string[] = [];
  const requests: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error") consoleErrors.push(message.text());
  });
  page.on("pageerror", (error) => consoleErrors.push(error.message));
  page.on("request", (request) => {
    if (!request.url().startsWith("file:")) requests.push(request.url());
  });
  await page.goto(pathToFileURL(file).href);
  return { page, consoleErrors, requests };
}

/** Chooses the "health" filter the way a keyboard user does: Tab to the radio group, arrows to "health". */
async function filterWithKeyboard(page: Page, kind: string): Promise<void> {
  for (let i = 0; i < 60; i++) {
    if ((await page.evaluate("document.activeElement && document.activeElement.name")) === "kind") break;
    await page.keyboard.press("Tab");
  }
  for (let i = 0; i < 10; i++) {
    const checked = await page.locator('input[name="kind"]:checked').getAttribute("value");
    if (checked === kind) return;
    await page.keyboard.press("ArrowRight");
  }
  throw new Error(`could not reach the "${kind}" filter with the keyboard`);
}

/** The checks every report must pass; returns the page for scenario-specific ones. */
async function checkReport(name: string, file: string, expected: { exitCode: number; minHealthy: number; versions: Set<string>; healthEvents: number }): Promise<Opened> {
  const html = await readReport(project as ReportProject, path.basename(file));
  for (const secret of [MARATHON_PASSWORD, DB_PASSWORD, Buffer.from(DB_PASSWORD).toString("base64")]) expect(html).not.toContain(secret);
  expect(Buffer.byteLength(html)).toBeLessThan(200_000);

  const opened = await open(file);
  const { page } = opened;
  expect(await page.locator(".exit-code").textContent()).toBe(String(expected.exitCode));

  const series = await page.locator("svg.chart g.series").evaluateAll((groups) => groups.map((g) => g.getAttribute("data-version")));
  expect(new Set(series)).toEqual(expected.versions);
  expect(series).toHaveLength(expected.versions.size);

  // The floor is drawn at the height of the y-axis tick for the plan's number.
  expect(Number(await page.locator("svg.chart g.floor").getAttribute("data-value"))).toBe(expected.minHealthy);
  const floorY = await page.locator("svg.chart g.floor line").getAttribute("y1");
  expect(floorY).not.toBeNull();
  expect(floorY).toBe(await page.locator(`svg.chart g.y-axis g.tick[data-tick="${expected.minHealthy}"] line`).getAttribute("y1"));

  await filterWithKeyboard(page, "health");
  const visible = await page.locator("table.events tbody tr[data-kind]:visible").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-kind")));
  expect(visible.length).toBe(expected.healthEvents);
  expect(visible.every((kind) => kind === "health")).toBe(true);
  expect(await page.locator("#event-count").textContent()).toContain(`Showing ${expected.healthEvents} health event`);
  await filterWithKeyboard(page, "all");
  await page.evaluate("window.scrollTo(0, 0)");

  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`) });
  expect(opened.consoleErrors).toEqual([]);
  expect(opened.requests).toEqual([]);
  return opened;
}

/** Deploys `tag` over 1.0.0 with a report; what the page must show, from the planner and the simulator. */
async function deployWithReport(p: ReportProject, tag: string, report: string) {
  expect((await p.deploy("1.0.0")).exitCode).toBe(0);
  const minHealthy = await p.plan(tag);
  const from = p.sim.clock.now();
  const run = await p.deploy(tag, { report });
  return { exitCode: run.exitCode, minHealthy, ...truth(p.sim, from, p.sim.clock.now()) };
}

describe("the deployment report in a browser", () => {
  it("a good upgrade: two versions, a floor of one healthy instance kept, verified", { timeout: 90_000 }, async () => {
    project = await startReportProject(clusterWithSpareStagingAgent());
    const expected = await deployWithReport(project, "1.1.0", "good.html");
    expect(expected.minHealthy).toBe(1);
    expect(expected.exitCode).toBe(0);
    expect(expected.versions.size).toBe(2);
    const { page } = await checkReport("good-upgrade", path.join(project.dir, "good.html"), expected);
    expect(await page.locator(".verdict").textContent()).toContain("Verified");
    expect(await page.locator("#timeline").textContent()).toContain("never fell under the plan's floor of 1");
    await page.context().close();
  });

  it("the 497 MB trap: planned downtime, the floor at zero, the plan's reason shown", { timeout: 90_000 }, async () => {
    project = await startReportProject();
    const expected = await deployWithReport(project, "1.1.0", "trap.html");
    expect(expected.exitCode).toBe(0);
    expect(expected.minHealthy).toBe(0);
    const { page } = await checkReport("trap-planned-downtime", path.join(project.dir, "trap.html"), expected);
    expect(await page.locator("#steps").textContent()).toContain("zero-downtime was not possible");
    expect(await page.locator("#timeline").textContent()).toContain("Fewest healthy instances seen during the deployment: 0");
    await page.context().close();
  });

  it("a broken build rolled back: three versions, health failures with their message, rollback start and end; readable without JavaScript and in dark mode", { timeout: 90_000 }, async () => {
    project = await startReportProject();
    const expected = await deployWithReport(project, "broken", "broken.html");
    expect(expected.exitCode).toBe(1);
    expect(expected.versions.size).toBe(3);
    const file = path.join(project.dir, "broken.html");
    const { page } = await checkReport("broken-build", file, expected);
    expect(await page.locator(".verdict").textContent()).toMatch(/Failed.*never became healthy.*rolled back/);
    const rollbackRows = await page.locator('table.events tr[data-kind="rollback"]').allTextContents();
    expect(rollbackRows.some((r) => r.includes("rollback started"))).toBe(true);
    expect(rollbackRows.at(-1)).toContain("rollback ended");
    const healthRows = await page.locator('table.events tr[data-kind="health"]').allTextContents();
    expect(healthRows.some((r) => r.includes("killed as unhealthy: 500 Internal Server Error"))).toBe(true);
    await page.context().close();

    const plain = await open(file, { javaScript: false });
    expect(await plain.page.locator("svg.chart g.series").count()).toBe(3);
    expect(await plain.page.locator("table.events tbody tr[data-kind]:visible").count()).toBeGreaterThan(expected.healthEvents);
    expect(await plain.page.locator("#event-filter").isVisible()).toBe(false);
    await plain.page.context().close();

    const dark = await open(file, { dark: true });
    const background = await dark.page.evaluate("getComputedStyle(document.body).backgroundColor");
    expect(background).not.toBe("rgb(255, 255, 255)");
    await dark.page.screenshot({ path: path.join(SCREENSHOTS, "broken-build-dark.png") });
    expect(dark.consoleErrors).toEqual([]);
    await dark.page.context().close();
  });
});
