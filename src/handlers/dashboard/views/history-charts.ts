/** @module The stream page's charts: backlog and pending, and throughput, over 1 h and 24 h. */
import { html } from "hono/html";
import type { Snapshot } from "../../../lib/index";
import { lineChart, type Series } from "./charts";
import type { View } from "./layout";

const MINUTE = 60_000;

/**
 * Snapshots summed into buckets of `size` ms: gauges (length, backlog, pending, dlq) keep
 * the bucket's last value, counters (read, acked, failed, dead-lettered) add up.
 */
export function bucketed(snapshots: Snapshot[], size: number): Snapshot[] {
  const out: Snapshot[] = [];
  // Oldest first whatever the order recorded: two Workers' clocks may disagree a little.
  for (const s of [...snapshots].sort((a, b) => a.t - b.t)) {
    const t = Math.floor(s.t / size) * size;
    const last = out[out.length - 1];
    if (last !== undefined && last.t === t) {
      out[out.length - 1] = {
        ...s,
        t,
        read: last.read + s.read,
        acked: last.acked + s.acked,
        failed: last.failed + s.failed,
        deadLettered: last.deadLettered + s.deadLettered,
        jobs: last.jobs + s.jobs,
      };
    } else {
      out.push({ ...s, t });
    }
  }
  return out;
}

/** One bucket of a chart: gauges `null` before the first snapshot, counters 0 when idle. */
export type ChartPoint = Pick<Snapshot, "t" | "acked" | "failed"> & {
  backlog: number | null;
  pending: number | null;
  dlq: number | null;
};

/**
 * Every bucket of [from, to], oldest first. A bucket without a snapshot is one where no job
 * did anything (an idle job records no snapshot): its counters are 0 and its gauges those of
 * the bucket before, which no job changed since.
 */
export function onGrid(
  snapshots: Snapshot[],
  from: number,
  to: number,
  size: number,
): ChartPoint[] {
  const known = new Map(bucketed(snapshots, size).map((s) => [s.t, s]));
  const start = Math.ceil(from / size) * size;
  const before = [...known.values()].filter((s) => s.t < start).pop();
  let gauges = {
    backlog: before?.backlog ?? null,
    pending: before?.pending ?? null,
    dlq: before?.dlq ?? null,
  };
  const points: ChartPoint[] = [];
  for (let t = start; t <= to; t += size) {
    const s = known.get(t);
    if (s !== undefined) {
      gauges = { backlog: s.backlog, pending: s.pending, dlq: s.dlq };
    }
    points.push({ t, ...gauges, acked: s?.acked ?? 0, failed: s?.failed ?? 0 });
  }
  return points;
}

/** The two charts of one window: gauges, then what the jobs did per bucket. */
function windowCharts(snapshots: Snapshot[], now: number, span: number, size: number): View[] {
  const from = now - span;
  const points = onGrid(snapshots, from, now, size);
  const of = (pick: (s: ChartPoint) => number | null): [number, number | null][] =>
    points.map((s) => [s.t, pick(s)]);
  const gauges: Series[] = [
    { name: "backlog", className: "s-backlog", points: of((s) => s.backlog) },
    { name: "pending", className: "s-pending", points: of((s) => s.pending) },
    { name: "dlq", className: "s-dlq", points: of((s) => s.dlq) },
  ];
  const per = size === MINUTE ? "per minute" : `per ${size / MINUTE} min`;
  const flow: Series[] = [
    { name: "acked", className: "s-acked", points: of((s) => s.acked) },
    { name: "failed", className: "s-failed", points: of((s) => s.failed) },
  ];
  const label = span > 60 * MINUTE ? "24 h" : "1 h";
  return [
    lineChart({ title: `Backlog, pending, DLQ · ${label}`, series: gauges, from, to: now }),
    lineChart({ title: `Throughput ${per} · ${label}`, series: flow, from, to: now }),
  ];
}

/** Charts of the last hour (per minute) and the last 24 h (per 10 minutes). */
export function historyCharts(snapshots: Snapshot[], now: number): View {
  if (snapshots.length === 0) {
    return html`<p class="muted">No history yet: every drain and sweep records a snapshot (HISTORY_MINUTES).</p>`;
  }
  return html`<div class="charts">${windowCharts(snapshots, now, 60 * MINUTE, MINUTE)}${windowCharts(snapshots, now, 1440 * MINUTE, 10 * MINUTE)}</div>`;
}
