/**
 * One deploy or rollback as a self-contained HTML page: styles, the chart (as
 * SVG) and every table are written into the page, so it reads from a file://
 * URL, from GitLab's artifact browser, and with JavaScript off; the small
 * inline script only makes the events table filterable. A Content-Security-
 * Policy forbids any network request. Light and dark themes follow the
 * reader's preference. Pure: the data is already redacted by the caller.
 */
import { escapeHtml, formatSeconds, safeHref } from "./html-text.js";
import { healthyTotal, renderChart, underFloorIntervals, versionLetter } from "./report-chart.js";
import { EVENT_KINDS, type ReportData, type ReportEvent, type ReportVersion } from "./report-data.js";

/** Past this many rows the table keeps the first and last halves (a 1,000-instance restart stays under 1 MB). */
const MAX_EVENT_ROWS = 4_000;
/** Observed moments shown beside the plan's steps. */
const MAX_OBSERVED_ROWS = 60;

/** Renders the report page. */
export function renderReport(data: ReportData): string {
  const letters = new Map(data.versions.map((v, i) => [v.version, versionLetter(i)]));
  const title = `mdeploy ${data.command} ${data.environment} ${data.appId}: ${data.verdict.ok ? "verified" : "failed"} (exit ${data.verdict.exitCode})`;
  return [
    "<!doctype html>",
    `<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">`,
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">`,
    `<title>${escapeHtml(title)}</title><style>${STYLE}</style></head><body>`,
    renderHeader(data, letters),
    "<main>",
    renderTimeline(data, letters),
    renderSteps(data),
    renderEvents(data, letters),
    renderDiff(data),
    "</main>",
    `<footer><p>Written by mdeploy at ${escapeHtml(new Date(data.endedAt).toISOString())}. This page is self-contained: it makes no network request.</p></footer>`,
    `<script>${SCRIPT}</script></body></html>`,
  ].join("\n");
}

function renderHeader(data: ReportData, letters: Map<string, string>): string {
  const { verdict, ci } = data;
  const facts: [string, string][] = [
    ["Environment", escapeHtml(data.environment)],
    ["App", `<code>${escapeHtml(data.appId)}</code>`],
    ["From", data.from ? versionText(data.from, letters) : data.command === "deploy" ? "nothing (a new app)" : "unknown"],
    ["To", data.to ? versionText(data.to, letters) : "no version was put in place"],
  ];
  if (ci.commit) facts.push(["Commit", link(ci.commitUrl, `<code>${escapeHtml(ci.commit.slice(0, 12))}</code>`) + (ci.ref ? ` on ${escapeHtml(ci.ref)}` : "")]);
  if (ci.pipelineUrl) facts.push(["Pipeline", link(ci.pipelineUrl, escapeHtml(ci.pipelineUrl))]);
  if (ci.jobUrl) facts.push(["Job", link(ci.jobUrl, escapeHtml(ci.jobUrl))]);
  facts.push(["Started", `<time datetime="${iso(data.startedAt)}">${escapeHtml(iso(data.startedAt))}</time>`]);
  facts.push(["Duration", escapeHtml(formatSeconds(data.endedAt - data.startedAt))]);
  const details = verdict.details.length > 0 ? `<ul class="details">${verdict.details.map((d) => `<li>${escapeHtml(d)}</li>`).join("")}</ul>` : "";
  return `<header>
<p class="kicker">mdeploy ${escapeHtml(data.command)} &middot; ${escapeHtml(data.environment)}</p>
<h1>${escapeHtml(data.appId)}</h1>
<p class="verdict ${verdict.ok ? "ok" : "bad"}"><strong>${verdict.ok ? "&#10004; Verified" : "&#10008; Failed"}</strong>, exit code <strong class="exit-code">${verdict.exitCode}</strong>: ${escapeHtml(verdict.message)}</p>
${details}
<dl class="facts">${facts.map(([k, v]) => `<div${k === "From" || k === "To" ? ` class="wide"` : ""}><dt>${k}</dt><dd>${v}</dd></div>`).join("")}</dl>
</header>`;
}

function renderTimeline(data: ReportData, letters: Map<string, string>): string {
  const under = underFloorIntervals(data);
  const start = data.startedAt;
  const floorText = data.floor
    ? under.length === 0
      ? `<p>Healthy instances never fell under the plan's floor of ${data.floor.value}.</p>`
      : `<p class="warning"><strong>&#9888; Under the floor:</strong> healthy instances fell under the plan's floor of ${data.floor.value} ${under.length === 1 ? "once" : `${under.length} times`}: ${under.map((u) => `${escapeHtml(formatSeconds(u.from - start))} to ${escapeHtml(formatSeconds(u.until - start))}`).join("; ")}.</p>`
    : "";
  const rows = data.versions
    .map((v, i) => {
      const peak = data.samples.reduce((m, s) => Math.max(m, s.byVersion[v.version]?.healthy ?? 0), 0);
      return `<tr><td><span class="swatch v${i % 8}" aria-hidden="true"></span> <strong>${letters.get(v.version)}</strong></td><td>${escapeHtml(roleWords(v))}</td><td><code>${escapeHtml(v.version)}</code></td><td>${v.image ? `<code>${escapeHtml(v.image)}</code>` : "unknown"}</td><td>${peak}</td></tr>`;
    })
    .join("");
  const lowest = fewestHealthy(data);
  return `<section id="timeline" aria-labelledby="timeline-h"><h2 id="timeline-h">Instances over time</h2>
<figure>${renderChart(data)}
<figcaption>Solid: healthy; dashed: running; dotted: staged. Each version's lines carry its letter.${data.floor ? ` The floor line is the plan's fewest healthy instances (${data.floor.value}).` : ""}</figcaption></figure>
${floorText}${lowest !== undefined && data.floor ? `<p>Fewest healthy instances seen during the deployment: ${lowest}.</p>` : ""}
<table class="versions"><caption>Versions</caption><thead><tr><th scope="col">Line</th><th scope="col">Role</th><th scope="col">Version</th><th scope="col">Image</th><th scope="col">Most healthy</th></tr></thead><tbody>${rows}</tbody></table>
</section>`;
}

/** The fewest healthy instances (all versions) while the floor applied, counting the state it started in. */
function fewestHealthy(data: ReportData): number | undefined {
  const floor = data.floor;
  if (!floor) return undefined;
  const before = data.samples.filter((s) => s.t < floor.from).at(-1);
  const during = data.samples.filter((s) => s.t >= floor.from && s.t <= floor.until);
  const totals = [...(before ? [before] : []), ...during].map(healthyTotal);
  return totals.length > 0 ? Math.min(...totals) : undefined;
}

function renderSteps(data: ReportData): string {
  const plan = data.plan;
  const predicted = plan
    ? `<p>${escapeHtml(plan.verdict)}</p>
<p>instances ${plan.instances.from} &rarr; ${plan.instances.to}; upgradeStrategy minimumHealthCapacity ${plan.strategy.minimumHealthCapacity}, maximumOverCapacity ${plan.strategy.maximumOverCapacity} (${escapeHtml(plan.strategySource)}); fewest healthy: ${plan.minHealthy}</p>
${plan.reasons.length + plan.warnings.length > 0 ? `<ul>${[...plan.reasons, ...plan.warnings.map((w) => `warning: ${w}`)].map((r) => `<li>${escapeHtml(r)}</li>`).join("")}</ul>` : ""}
<table><caption>Predicted by the plan</caption><thead><tr><th scope="col">#</th><th scope="col">Action</th><th scope="col">Old running</th><th scope="col">New running</th><th scope="col">Healthy</th></tr></thead><tbody>${
        plan.steps.length > 0
          ? plan.steps.map((s, i) => `<tr><td>${i + 1}</td><td>${escapeHtml(s.action)}</td><td>${s.oldRunning}</td><td>${s.newRunning}</td><td>${s.healthy}</td></tr>`).join("")
          : `<tr><td colspan="5">no steps (${escapeHtml(plan.kind)})</td></tr>`
      }</tbody></table>`
    : `<p>No plan: ${data.command === "rollback" ? "a rollback puts an earlier definition back as it was" : "the run ended before planning"}.</p>`;
  const observed = observedMoments(data);
  const shown = observed.length > MAX_OBSERVED_ROWS ? [...observed.slice(0, MAX_OBSERVED_ROWS / 2), undefined, ...observed.slice(-MAX_OBSERVED_ROWS / 2)] : observed;
  const observedRows = shown
    .map((m) => (m ? `<tr><td>${escapeHtml(formatSeconds(m.t - data.startedAt))}</td><td>${m.old}</td><td>${m.target}</td><td>${m.healthy}</td></tr>` : `<tr><td colspan="4">&hellip; ${observed.length - MAX_OBSERVED_ROWS} more moments &hellip;</td></tr>`))
    .join("");
  return `<section id="steps" aria-labelledby="steps-h"><h2 id="steps-h">The plan beside what happened</h2>
<div class="side-by-side"><div>${predicted}</div>
<div><table><caption>Observed (each change of the counts${data.to ? `; new = version ${escapeHtml(data.to.version)}` : ""})</caption><thead><tr><th scope="col">Time</th><th scope="col">Old running</th><th scope="col">New running</th><th scope="col">Healthy</th></tr></thead><tbody>${observedRows || `<tr><td colspan="4">nothing observed</td></tr>`}</tbody></table></div></div>
</section>`;
}

interface Moment {
  t: number;
  old: number;
  target: number;
  healthy: number;
}

/** The counts in the plan's terms (old and new running, healthy in total), each time they change, until the rollback starts. */
function observedMoments(data: ReportData): Moment[] {
  const target = data.to?.version;
  const until = data.floor?.until ?? data.endedAt;
  const out: Moment[] = [];
  for (const sample of data.samples) {
    if (sample.t > until) break;
    let old = 0;
    let fresh = 0;
    for (const [version, c] of Object.entries(sample.byVersion)) {
      if (version === target) fresh += c.running + c.staged;
      else old += c.running + c.staged;
    }
    const moment = { t: sample.t, old, target: fresh, healthy: healthyTotal(sample) };
    const last = out.at(-1);
    if (!last || last.old !== old || last.target !== fresh || last.healthy !== moment.healthy) out.push(moment);
  }
  return out;
}

function renderEvents(data: ReportData, letters: Map<string, string>): string {
  const counts = new Map<string, number>();
  for (const e of data.events) counts.set(e.kind, (counts.get(e.kind) ?? 0) + 1);
  const events = data.events;
  const shown: (ReportEvent | undefined)[] = events.length > MAX_EVENT_ROWS ? [...events.slice(0, MAX_EVENT_ROWS / 2), undefined, ...events.slice(-MAX_EVENT_ROWS / 2)] : events;
  const rows = shown
    .map((e) => {
      if (!e) return `<tr class="gap"><td colspan="4">&hellip; ${events.length - MAX_EVENT_ROWS} events in the middle are not shown &hellip;</td></tr>`;
      // Rows are kept lean (a 1,000-instance restart has thousands): the letter stands for the version, the Versions table says which.
      const letter = e.version ? (letters.get(e.version) ?? "") : "";
      return `<tr data-kind="${e.kind}"><td>${formatSeconds(Math.max(0, e.t - data.startedAt))}</td><td class="k">${e.kind}</td><td>${letter}</td><td>${escapeHtml(e.text)}</td></tr>`;
    })
    .join("\n");
  const radios = [["all", events.length] as const, ...EVENT_KINDS.map((k) => [k, counts.get(k) ?? 0] as const)]
    .map(([kind, n]) => `<label><input type="radio" name="kind" value="${kind}"${kind === "all" ? " checked" : ""}> ${kind} <span class="count">(${n})</span></label>`)
    .join("");
  return `<section id="events" aria-labelledby="events-h"><h2 id="events-h">Events</h2>
<fieldset id="event-filter" hidden><legend>Show events of kind</legend>${radios}</fieldset>
<p id="event-count" role="status">${events.length} events.</p>
<div class="table-wrap"><table class="events"><thead><tr><th scope="col">Time</th><th scope="col">Kind</th><th scope="col">Version <span class="hint">(letter, see Versions)</span></th><th scope="col">What happened</th></tr></thead>
<tbody>
${rows || `<tr><td colspan="4">no events</td></tr>`}
</tbody></table></div></section>`;
}

function renderDiff(data: ReportData): string {
  const lines = data.diff.length > 0 ? data.diff : ["no diff (nothing was planned)"];
  const cls = (line: string) => (line.startsWith("+ ") ? "add" : line.startsWith("- ") ? "remove" : line.startsWith("~ ") ? "change" : "note");
  return `<section id="diff" aria-labelledby="diff-h"><h2 id="diff-h">The plan's diff</h2>
<p>+ added, - removed, ~ changed; secret values are hidden.</p>
<pre class="diff">${lines.map((l) => `<span class="${cls(l)}">${escapeHtml(l)}</span>`).join("\n")}</pre></section>`;
}

function versionText(v: ReportVersion, letters: Map<string, string>): string {
  const letter = letters.get(v.version);
  return `${letter ? `<strong>${letter}</strong> ` : ""}<code>${escapeHtml(v.version)}</code>${v.image ? ` <span class="image">${escapeHtml(v.image)}</span>` : ""}`;
}

function roleWords(v: ReportVersion): string {
  return { previous: "running before", target: "deployed", restored: "restored (rollback)", other: "other" }[v.role];
}

function link(url: string | undefined, html: string): string {
  const href = safeHref(url);
  return href ? `<a href="${escapeHtml(href)}">${html}</a>` : html;
}

function iso(t: number): string {
  return new Date(t).toISOString();
}

const STYLE = `
:root{color-scheme:light dark;--bg:#fff;--fg:#1f2328;--muted:#59636e;--border:#d1d9e0;--panel:#f6f8fa;--ok:#1a7f37;--bad:#cf222e;--warn:#9a6700;--floor:#6639ba;--under:#cf222e;--rollback:#fff1c2;
--v0:#0b6fb0;--v1:#c44d00;--v2:#00855f;--v3:#b3378f;--v4:#8a6d00;--v5:#3a7dbb;--v6:#6a4c93;--v7:#555}
@media (prefers-color-scheme:dark){:root{--bg:#0d1117;--fg:#e6edf3;--muted:#9198a1;--border:#3d444d;--panel:#151b23;--ok:#3fb950;--bad:#f85149;--warn:#d29922;--floor:#bc8cff;--under:#f85149;--rollback:#3a2f0b;
--v0:#58a6ff;--v1:#ff9b5c;--v2:#3fd69a;--v3:#f584cf;--v4:#e3b341;--v5:#8fc9ff;--v6:#c5a3ff;--v7:#b0b0b0}}
*{box-sizing:border-box}
body{margin:0 auto;max-width:1100px;padding:1rem 1.25rem 3rem;background:var(--bg);color:var(--fg);font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
h1{margin:.1rem 0 .4rem;font-size:1.6rem}h2{margin-top:2rem;border-bottom:1px solid var(--border);padding-bottom:.3rem;font-size:1.2rem}
.kicker{margin:0;color:var(--muted);text-transform:uppercase;letter-spacing:.05em;font-size:.8rem}
.verdict{padding:.5rem .75rem;border-left:6px solid;background:var(--panel)}.verdict.ok{border-color:var(--ok)}.verdict.bad{border-color:var(--bad)}
.verdict.ok strong:first-child{color:var(--ok)}.verdict.bad strong:first-child{color:var(--bad)}
.details{margin:.25rem 0 0;color:var(--muted)}
.facts{display:grid;grid-template-columns:repeat(auto-fit,minmax(280px,1fr));gap:.25rem 1.5rem;margin:1rem 0 0}.facts div{display:flex;gap:.5rem}.facts dt{min-width:6.5rem;color:var(--muted)}.facts dd{margin:0;overflow-wrap:anywhere}.facts .wide{grid-column:1/-1}
code,pre{font:13px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}.image{color:var(--muted)}
a{color:var(--v0)}
figure{margin:0}figcaption{color:var(--muted);font-size:.9rem}
.chart{width:100%;height:auto;display:block}
.chart text{fill:var(--fg);font-size:12px}.chart .axis-title{fill:var(--muted)}
.chart .tick line{stroke:var(--border)}
.chart path{fill:none;stroke-linejoin:round}
.chart .healthy{stroke-width:3}.chart .running{stroke-width:1.6;stroke-dasharray:8 4}.chart .staged{stroke-width:1.8;stroke-dasharray:1 4;stroke-linecap:round}
${[0, 1, 2, 3, 4, 5, 6, 7].map((i) => `.v${i} path,.v${i} .label rect{stroke:var(--v${i})}.v${i} .label text{fill:var(--v${i})}.swatch.v${i}{background:var(--v${i})}`).join("")}
.chart .label rect{fill:var(--bg);stroke-width:1.5}.chart .label text{font-weight:700}
.chart .legend line{stroke:var(--fg)}.chart .legend .healthy line{stroke-width:3}.chart .legend .running line{stroke-width:1.6;stroke-dasharray:8 4}.chart .legend .staged line{stroke-width:1.8;stroke-dasharray:1 4;stroke-linecap:round}
.chart .floor line{stroke:var(--floor);stroke-width:2.5;stroke-dasharray:14 4 3 4}.chart .floor text{fill:var(--floor);font-weight:700}
.chart .hatch-bg{fill:none}.chart .hatch-line{stroke:var(--under);stroke-width:3;opacity:.45}.chart .under-floor text{fill:var(--under);font-weight:700}
.chart .phase.rollback rect{fill:var(--rollback)}.chart .phase text{fill:var(--warn);font-weight:700}
.swatch{display:inline-block;width:.9rem;height:.9rem;border-radius:2px;vertical-align:-2px}
.warning{color:var(--bad)}
table{border-collapse:collapse;width:100%;margin:.5rem 0}caption{text-align:left;font-weight:600;padding:.25rem 0}
th,td{border-bottom:1px solid var(--border);padding:.3rem .5rem;text-align:left;vertical-align:top}th{background:var(--panel)}
.side-by-side{display:grid;grid-template-columns:repeat(auto-fit,minmax(380px,1fr));gap:1.5rem}
fieldset{border:1px solid var(--border);border-radius:6px;display:flex;flex-wrap:wrap;gap:.25rem 1rem;padding:.5rem .75rem}
fieldset label{cursor:pointer;padding:.1rem .3rem;border-radius:4px}fieldset label:has(input:checked){background:var(--panel);font-weight:700;text-decoration:underline}
input:focus-visible,a:focus-visible{outline:3px solid var(--v0);outline-offset:2px}
.count{color:var(--muted)}
.table-wrap{max-height:36rem;overflow:auto;border:1px solid var(--border);border-radius:6px}.table-wrap table{margin:0}.table-wrap thead th{position:sticky;top:0}
.events td:first-child{white-space:nowrap}.events td:last-child{overflow-wrap:anywhere}
.events .k{font:12px ui-monospace,monospace}.hint{font-weight:400;color:var(--muted)}
tr[data-kind=health] .k,tr[data-kind=failure] .k{color:var(--bad);font-weight:700}tr[data-kind=rollback] .k{color:var(--warn);font-weight:700}
[hidden]{display:none!important}
.diff{background:var(--panel);padding:.75rem;border-radius:6px;overflow:auto}.diff .add{color:var(--ok)}.diff .remove{color:var(--bad)}.diff .change{color:var(--warn)}
footer{margin-top:2rem;color:var(--muted);font-size:.85rem}
`;

/** Filtering only: everything the script touches is already on the page. */
const SCRIPT = `
(function () {
  var box = document.getElementById("event-filter");
  var status = document.getElementById("event-count");
  var rows = Array.prototype.slice.call(document.querySelectorAll("table.events tbody tr[data-kind]"));
  box.hidden = false;
  box.addEventListener("change", function (event) {
    var kind = event.target.value;
    var shown = 0;
    rows.forEach(function (row) {
      var show = kind === "all" || row.getAttribute("data-kind") === kind;
      row.hidden = !show;
      if (show) shown++;
    });
    status.textContent = kind === "all" ? rows.length + " events." : "Showing " + shown + " " + kind + " event" + (shown === 1 ? "" : "s") + " of " + rows.length + ".";
  });
})();
`;
