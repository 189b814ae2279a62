/**
 * @module bench/load.svg: the backlog and the p99 pickup latency over time at 1,000 messages/s,
 * one line per mode, as plain SVG (no chart library).
 */
import { MODE_NAMES } from "./plan";
import type { LoadResults } from "./report";
import type { LoadRun } from "./run";

const W = 960;
const PANEL_H = 260;
const M = { left: 80, right: 260, top: 40, bottom: 40 };
const GAP = 70;
const COLORS = ["#d62728", "#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e"];
/** The rate plotted. */
export const PLOT_RATE = 1000;

type Line = { label: string; color: string; dashed: boolean; points: { t: number; v: number }[] };
type Scale = { x: (t: number) => number; y: (v: number) => number };

const esc = (s: string) => s.replaceAll("&", "&amp;").replaceAll("<", "&lt;");
const fmt = (n: number) => (n >= 1000 ? `${n / 1000}k` : String(n));

function label(r: LoadRun): string {
  return r.case.source === "publish" ? "fan-out, POST /publish" : MODE_NAMES[r.case.mode];
}

function polyline(line: Line, s: Scale): string {
  const pts = line.points.map((p) => `${s.x(p.t).toFixed(1)},${s.y(p.v).toFixed(1)}`).join(" ");
  const dash = line.dashed ? ' stroke-dasharray="6 4"' : "";
  return `<polyline fill="none" stroke="${line.color}" stroke-width="2"${dash} points="${pts}"/>`;
}

/** Axes, grid lines at `ticks`, the title, and the lines of one panel starting at `top`. */
function panel(
  top: number,
  title: string,
  lines: Line[],
  tMax: number,
  ticks: { v: number; text: string }[],
  y: (v: number) => number,
): string {
  const plotW = W - M.left - M.right;
  const x = (t: number) => M.left + (Math.min(t, tMax) / tMax) * plotW;
  const s: Scale = { x, y: (v) => top + y(v) * PANEL_H };
  const out = [
    `<text x="${M.left}" y="${top - 12}" font-size="14" font-weight="bold">${esc(title)}</text>`,
    `<rect x="${M.left}" y="${top}" width="${plotW}" height="${PANEL_H}" fill="none" stroke="#999"/>`,
  ];
  for (const tick of ticks) {
    const ty = s.y(tick.v);
    out.push(
      `<line x1="${M.left}" x2="${M.left + plotW}" y1="${ty}" y2="${ty}" stroke="#eee"/>`,
      `<text x="${M.left - 6}" y="${ty + 4}" font-size="11" text-anchor="end">${tick.text}</text>`,
    );
  }
  for (let t = 0; t <= tMax; t += 10) {
    out.push(
      `<text x="${x(t)}" y="${top + PANEL_H + 16}" font-size="11" text-anchor="middle">${t}</text>`,
    );
  }
  out.push(
    `<text x="${M.left + plotW / 2}" y="${top + PANEL_H + 32}" font-size="11" text-anchor="middle">seconds since production started</text>`,
  );
  out.push(...lines.map((l) => polyline(l, s)));
  return out.join("\n");
}

/** Under the legend: how to read the latency panel. */
const NOTE = [
  "Where a second's p99 fell on a",
  "message still waiting when the",
  "run ended, the line shows its",
  "age then: a lower bound.",
];

function legend(lines: Line[]): string {
  const x = W - M.right + 20;
  const noteTop = M.top + PANEL_H + GAP + 10;
  const note = NOTE.map(
    (text, i) =>
      `<text x="${x}" y="${noteTop + i * 15}" font-size="11" fill="#555">${esc(text)}</text>`,
  );
  return lines
    .map((l, i) => {
      const y = M.top + 10 + i * 22;
      const dash = l.dashed ? ' stroke-dasharray="6 4"' : "";
      return `<line x1="${x}" x2="${x + 24}" y1="${y}" y2="${y}" stroke="${l.color}" stroke-width="2"${dash}/><text x="${x + 30}" y="${y + 4}" font-size="12">${esc(l.label)}</text>`;
    })
    .concat(note)
    .join("\n");
}

/** "Nice" upper bound for a linear axis: 1, 2 or 5 × a power of ten at or above `max`. */
function niceMax(max: number): number {
  const p = 10 ** Math.floor(Math.log10(Math.max(1, max)));
  return [1, 2, 5, 10].map((m) => m * p).find((v) => v >= max) ?? 10 * p;
}

export function renderLoadSvg(results: LoadResults): string {
  const runs = results.runs.filter((r) => r.case.rate === PLOT_RATE && !r.case.overrides);
  const tMax = Math.max(10, ...runs.map((r) => r.samples.at(-1)?.t ?? 0));
  const backlog: Line[] = runs.map((r, i) => ({
    label: label(r),
    color: COLORS[i % COLORS.length] as string,
    dashed: r.case.source === "publish",
    points: r.samples.map((s) => ({ t: s.t, v: s.backlog })),
  }));
  const latency: Line[] = runs.map((r, i) => ({
    ...(backlog[i] as Line),
    points: r.p99BySecond.map((p) => ({ t: p.t, v: p.ms })),
  }));
  const bMax = niceMax(Math.max(1, ...backlog.flatMap((l) => l.points.map((p) => p.v))));
  const linear = (v: number) => 1 - v / bMax;
  const bTicks = [0, 0.25, 0.5, 0.75, 1].map((f) => ({ v: f * bMax, text: fmt(f * bMax) }));
  // Latency on a log axis, 10 ms to 100 s: a tick's wait and a poll's differ by 1,000×.
  const lo = 10;
  const hi = 100_000;
  const log = (v: number) =>
    1 - Math.log10(Math.min(hi, Math.max(lo, v)) / lo) / Math.log10(hi / lo);
  const lTicks = [10, 100, 1000, 10_000, 100_000].map((v) => ({
    v,
    text: v >= 1000 ? `${v / 1000} s` : `${v} ms`,
  }));
  const top2 = M.top + PANEL_H + GAP;
  const height = top2 + PANEL_H + M.bottom + 10;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${height}" viewBox="0 0 ${W} ${height}" font-family="sans-serif" role="img" aria-labelledby="title">`,
    '<title id="title">Backlog and p99 pickup latency over time, per drain mode</title>',
    `<rect width="${W}" height="${height}" fill="white"/>`,
    panel(
      M.top,
      `Backlog (produced − handled) at ${fmt(PLOT_RATE)} messages/s`,
      backlog,
      tMax,
      bTicks,
      linear,
    ),
    panel(
      top2,
      "p99 pickup latency of the messages produced in each second (log scale)",
      latency,
      tMax,
      lTicks,
      log,
    ),
    legend(backlog),
    "</svg>",
    "",
  ].join("\n");
}
