/**
 * @module Line charts as inline SVG: no script, no library, a few kilobytes each, readable
 * without JavaScript and scaled to any width.
 */
import { html } from "hono/html";
import type { HtmlEscapedString } from "hono/utils/html";

/** One line of a chart: `[t, value]` points, oldest first; `null` values leave a gap. */
export type Series = { name: string; className: string; points: [number, number | null][] };

export type ChartInput = {
  title: string;
  series: Series[];
  /** The window shown: [from, to] in ms since epoch. */
  from: number;
  to: number;
};

const W = 600;
const H = 160;
const PAD = { left: 44, right: 8, top: 10, bottom: 20 };

/** A "nice" top of the y axis: 1, 2 or 5 times a power of ten, at least `max`. */
export function niceCeiling(max: number): number {
  if (max <= 0) {
    return 1;
  }
  const power = 10 ** Math.floor(Math.log10(max));
  const step = [1, 2, 5, 10].find((m) => m * power >= max) ?? 10;
  return step * power;
}

/** The SVG path of one series, broken where a value is missing. */
export function pathOf(
  points: [number, number | null][],
  x: (t: number) => number,
  y: (v: number) => number,
): string {
  let d = "";
  let pen = false;
  for (const [t, v] of points) {
    if (v === null) {
      pen = false;
      continue;
    }
    d += `${pen ? "L" : "M"}${x(t).toFixed(1)} ${y(v).toFixed(1)}`;
    pen = true;
  }
  return d;
}

const clock = (t: number): string => new Date(t).toISOString().slice(11, 16);

/** The left end of the time axis: `1 h ago`, `24 h ago`. */
const ago = (span: number): string => `${Math.round(span / 3_600_000)} h ago`;

/**
 * A line chart of `series` over [from, to], with its y axis from 0 to a round maximum and
 * a legend. The newest value of each series is in the legend, so the chart's text says
 * what its lines show.
 */
export function lineChart(input: ChartInput): HtmlEscapedString | Promise<HtmlEscapedString> {
  const { from, to, series } = input;
  const values = series.flatMap((s) => s.points.map(([, v]) => v ?? 0));
  const top = niceCeiling(Math.max(0, ...values));
  const span = Math.max(1, to - from);
  const x = (t: number) => PAD.left + ((t - from) / span) * (W - PAD.left - PAD.right);
  const y = (v: number) => H - PAD.bottom - (v / top) * (H - PAD.top - PAD.bottom);
  const lines = series.map(
    (s) => html`<path class="${s.className}" d="${pathOf(s.points, x, y)}"></path>`,
  );
  const legend = series.map((s) => {
    const last = [...s.points].reverse().find(([, v]) => v !== null)?.[1];
    return html`<span class="key ${s.className}">${s.name}: ${last ?? "–"}</span>`;
  });
  const grid = [0, top / 2, top].map(
    (v) =>
      html`<line class="grid" x1="${PAD.left}" x2="${W - PAD.right}" y1="${y(v)}" y2="${y(v)}"></line><text x="${PAD.left - 4}" y="${y(v) + 4}" text-anchor="end">${v}</text>`,
  );
  return html`<figure class="chart">
<figcaption>${input.title} ${legend}</figcaption>
<svg viewBox="0 0 ${W} ${H}" role="img" aria-label="${input.title}">${grid}${lines}
<text x="${PAD.left}" y="${H - 4}">${ago(to - from)}</text><text x="${W - PAD.right}" y="${H - 4}" text-anchor="end">now, ${clock(to)} UTC</text>
</svg></figure>`;
}
