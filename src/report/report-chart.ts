/**
 * The report's timeline chart as static SVG, drawn at write time so it reads
 * without JavaScript: per version, healthy (solid), running (dashed) and staged
 * (dotted) instances as step lines; the plan's floor of healthy instances; the
 * moments the healthy total fell under it (hatched, labelled); the rollback
 * (shaded, labelled). A version is told by a letter on its lines as well as
 * its colour, so colour is never the only signal. Pure.
 */
import type { CountSample, ReportData, VersionCounts } from "./report-data.js";
import { escapeHtml, formatSeconds } from "./html-text.js";

const WIDTH = 960;
const HEIGHT = 340;
const MARGIN = { left: 52, right: 150, top: 24, bottom: 44 };
const METRICS = ["healthy", "running", "staged"] as const;
type Metric = (typeof METRICS)[number];

/** A stretch of time, in epoch ms. */
export interface Interval {
  from: number;
  until: number;
}

/** Letters that name versions in the chart, the legend and the table (A, B, ..., Z, AA, ...). */
export function versionLetter(index: number): string {
  let n = index;
  let letter = "";
  do {
    letter = String.fromCharCode(65 + (n % 26)) + letter;
    n = Math.floor(n / 26) - 1;
  } while (n >= 0);
  return letter;
}

/** Where the total of healthy instances was under the floor, within the floor's stretch (a count holds until the next sample). */
export function underFloorIntervals(data: Pick<ReportData, "samples" | "floor">): Interval[] {
  const floor = data.floor;
  if (!floor || floor.value <= 0) return [];
  const out: Interval[] = [];
  const push = (from: number, until: number) => {
    if (until > from) out.push({ from, until });
  };
  let i = 0;
  let atStart: number | undefined;
  for (; i < data.samples.length && (data.samples[i] as CountSample).t <= floor.from; i++) atStart = healthyTotal(data.samples[i] as CountSample);
  let open = atStart !== undefined && atStart < floor.value ? floor.from : undefined;
  for (; i < data.samples.length && (data.samples[i] as CountSample).t <= floor.until; i++) {
    const sample = data.samples[i] as CountSample;
    if (healthyTotal(sample) < floor.value) open ??= sample.t;
    else if (open !== undefined) {
      push(open, sample.t);
      open = undefined;
    }
  }
  if (open !== undefined) push(open, floor.until);
  return out;
}

/** Healthy instances of every version together. */
export function healthyTotal(sample: CountSample): number {
  let total = 0;
  for (const counts of Object.values(sample.byVersion)) total += counts.healthy;
  return total;
}

/** The chart's SVG element. */
export function renderChart(data: ReportData): string {
  const start = data.startedAt;
  const end = Math.max(data.endedAt, start + 1);
  const plotWidth = WIDTH - MARGIN.left - MARGIN.right;
  const plotHeight = HEIGHT - MARGIN.top - MARGIN.bottom;
  let peak = Math.max(1, data.floor?.value ?? 0, data.plan?.instances.to ?? 0);
  for (const sample of data.samples) for (const c of Object.values(sample.byVersion)) peak = Math.max(peak, c.running + c.staged);
  const yTicks = niceTicks(peak);
  const yMax = yTicks.at(-1) ?? peak;
  const x = (t: number) => round(MARGIN.left + ((Math.min(Math.max(t, start), end) - start) / (end - start)) * plotWidth);
  const y = (v: number) => round(MARGIN.top + plotHeight - (v / yMax) * plotHeight);
  const parts: string[] = [];

  parts.push(
    `<defs><pattern id="hatch" width="8" height="8" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="8" height="8" class="hatch-bg"/><line x1="0" y1="0" x2="0" y2="8" class="hatch-line"/></pattern></defs>`,
  );
  for (const phase of data.phases.filter((p) => p.id === "rollback")) {
    const x1 = x(phase.start);
    const x2 = x(phase.end ?? end);
    parts.push(
      `<g class="phase rollback"><rect x="${x1}" y="${MARGIN.top}" width="${round(Math.max(1, x2 - x1))}" height="${plotHeight}"><title>rollback: ${escapeHtml(formatSeconds(phase.start - start))} to ${escapeHtml(formatSeconds((phase.end ?? end) - start))}</title></rect><text x="${x1 + 4}" y="${MARGIN.top + 12}">rollback</text></g>`,
    );
  }
  const under = underFloorIntervals(data);
  for (const interval of under) {
    const x1 = x(interval.from);
    const x2 = x(interval.until);
    parts.push(
      `<g class="under-floor"><rect x="${x1}" y="${MARGIN.top}" width="${round(Math.max(2, x2 - x1))}" height="${plotHeight}" fill="url(#hatch)"><title>healthy instances under the floor from ${escapeHtml(formatSeconds(interval.from - start))} to ${escapeHtml(formatSeconds(interval.until - start))}</title></rect><text x="${x1 + 2}" y="${HEIGHT - MARGIN.bottom - 4}">under floor</text></g>`,
    );
  }

  parts.push(`<g class="axis y-axis">`);
  for (const tick of yTicks) {
    parts.push(`<g class="tick" data-tick="${tick}"><line x1="${MARGIN.left}" x2="${MARGIN.left + plotWidth}" y1="${y(tick)}" y2="${y(tick)}"/><text x="${MARGIN.left - 8}" y="${y(tick) + 4}" text-anchor="end">${tick}</text></g>`);
  }
  parts.push(`<text class="axis-title" transform="translate(14 ${MARGIN.top + plotHeight / 2}) rotate(-90)" text-anchor="middle">instances</text></g>`);
  parts.push(`<g class="axis x-axis">`);
  // Time ticks stop at the end of the run (the value axis may end on a round number above its peak).
  for (const tick of niceTicks((end - start) / 1000).filter((t) => t * 1000 <= end - start)) {
    const tx = x(start + tick * 1000);
    parts.push(`<g class="tick"><line x1="${tx}" x2="${tx}" y1="${MARGIN.top + plotHeight}" y2="${MARGIN.top + plotHeight + 5}"/><text x="${tx}" y="${MARGIN.top + plotHeight + 18}" text-anchor="middle">${tick} s</text></g>`);
  }
  parts.push(`<text class="axis-title" x="${MARGIN.left + plotWidth / 2}" y="${HEIGHT - 6}" text-anchor="middle">time since the ${data.command} started</text></g>`);

  data.versions.forEach((version, index) => {
    const letter = versionLetter(index);
    const lines: string[] = [];
    let labelAt: { x: number; y: number } | undefined;
    let best = -1;
    for (const metric of METRICS) {
      const d = stepPath(data.samples, version.version, metric, x, y, end);
      if (d) lines.push(`<path class="${metric}" d="${d}"/>`);
    }
    for (const sample of data.samples) {
      const c = sample.byVersion[version.version];
      if (c && c.running + c.staged > best) {
        best = c.running + c.staged;
        labelAt = { x: x(sample.t), y: y(Math.max(c.running, c.healthy, c.staged)) };
      }
    }
    const label = labelAt ? `<g class="label"><rect x="${labelAt.x + 2}" y="${labelAt.y - 20}" width="${12 + 8 * letter.length}" height="16" rx="3"/><text x="${labelAt.x + 8}" y="${labelAt.y - 8}">${letter}</text></g>` : "";
    parts.push(
      `<g class="series v${index % 8}" data-version="${escapeHtml(version.version)}" data-letter="${letter}"><title>${letter}: ${escapeHtml(version.role)} version ${escapeHtml(version.version)}${version.image ? ` (${escapeHtml(version.image)})` : ""}</title>${lines.join("")}${label}</g>`,
    );
  });

  // Over the lines, dashed, so a healthy line at the floor still shows through.
  if (data.floor) {
    const fy = y(data.floor.value);
    const x1 = x(data.floor.from);
    const x2 = x(data.floor.until);
    parts.push(
      `<g class="floor" data-value="${data.floor.value}"><line x1="${x1}" x2="${Math.max(x2, x1 + 1)}" y1="${fy}" y2="${fy}"><title>floor: the plan keeps at least ${data.floor.value} healthy</title></line><text x="${Math.max(x2, x1 + 1) + 4}" y="${fy - 4}">floor ${data.floor.value} (plan)</text></g>`,
    );
  }

  const legendX = WIDTH - MARGIN.right + 16;
  const legend = METRICS.map(
    (metric, i) => `<g class="key ${metric}"><line x1="${legendX}" x2="${legendX + 28}" y1="${MARGIN.top + 40 + i * 20}" y2="${MARGIN.top + 40 + i * 20}"/><text x="${legendX + 34}" y="${MARGIN.top + 44 + i * 20}">${metric}</text></g>`,
  );
  parts.push(`<g class="legend">${legend.join("")}</g>`);

  const summary = `Instances per version over ${formatSeconds(end - start)}: ${data.versions.length} version${data.versions.length === 1 ? "" : "s"}${data.floor ? `, floor of ${data.floor.value} healthy` : ""}${under.length > 0 ? `, under the floor ${under.length} time${under.length === 1 ? "" : "s"}` : ""}.`;
  return `<svg class="chart" viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-labelledby="chart-title"><title id="chart-title">${escapeHtml(summary)}</title>${parts.join("")}</svg>`;
}

/**
 * A step line of one metric of one version: it holds its value until the next
 * sample changes it. Stretches at zero are left out (a healthy line stays while
 * its version still has instances), so versions that are gone do not pile up
 * on the axis; rises and drops are drawn from and to zero.
 */
function stepPath(samples: readonly CountSample[], version: string, metric: Metric, x: (t: number) => number, y: (v: number) => number, end: number): string {
  let d = "";
  let drawing = false;
  let last = 0;
  samples.forEach((sample, index) => {
    const c: VersionCounts | undefined = sample.byVersion[version];
    const value = c ? c[metric] : 0;
    const visible = value > 0 || (metric === "healthy" && c !== undefined && c.running + c.staged > 0);
    const sx = x(sample.t);
    if (drawing) {
      if (value !== last || !visible) d += `H${sx}V${y(value)}`;
      drawing = visible;
    } else if (visible) {
      // The first sample is the state found at the start, not a rise.
      d += index === 0 ? `M${sx} ${y(value)}` : `M${sx} ${y(0)}V${y(value)}`;
      drawing = true;
    }
    last = value;
  });
  return drawing ? `${d}H${x(end)}` : d;
}

/** Round tick values from 0 to at least `max`, at most 7 of them. */
function niceTicks(max: number): number[] {
  const top = Math.max(max, 1);
  const rough = top / 5;
  const magnitude = 10 ** Math.floor(Math.log10(rough));
  const step = Math.max(1, [1, 2, 5, 10].map((m) => m * magnitude).find((s) => top / s <= 6) ?? 10 * magnitude);
  const ticks: number[] = [];
  for (let v = 0; v < top + step && ticks.length < 8; v += step) ticks.push(round(v));
  return ticks;
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}
