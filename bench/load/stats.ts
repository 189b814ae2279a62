/** @module Figures of a load run from its raw samples: percentiles, rates, the backlog's trend. */

/** The ms part of a stream id: when Redis added the entry. `"1718000000123-4"` → 1718000000123. */
export function idMs(id: string): number {
  return Number(id.slice(0, id.indexOf("-")));
}

/**
 * A percentile of latencies some of which are only known to be at least a value (messages not
 * picked up by the end of the run, counted at their age then). `atLeast` says the percentile
 * fell on such a message: the true figure is higher.
 */
export type Percentile = { ms: number; atLeast: boolean };

type Latency = { ms: number; censored: boolean };

/** The p-th percentile (0–100, nearest rank) of `values`; null when there are none. */
export function percentile(values: Latency[], p: number): Percentile | null {
  if (values.length === 0) {
    return null;
  }
  const sorted = [...values].sort((a, b) => a.ms - b.ms);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  const v = sorted[rank] as Latency;
  return { ms: v.ms, atLeast: v.censored };
}

/**
 * Latency of each produced message: from its id's time to its first handler start, or, for one
 * never picked up, its age at `endMs` (a lower bound).
 */
export function latencies(
  ids: string[],
  started: Map<string, number>,
  endMs: number,
): (Latency & { producedMs: number })[] {
  return ids.map((id) => {
    const producedMs = idMs(id);
    const start = started.get(id);
    return start === undefined
      ? { producedMs, ms: Math.max(0, endMs - producedMs), censored: true }
      : { producedMs, ms: Math.max(0, start - producedMs), censored: false };
  });
}

/** Least-squares slope of y over x (per unit of x); 0 for fewer than two points. */
export function slope(points: { x: number; y: number }[]): number {
  const n = points.length;
  if (n < 2) {
    return 0;
  }
  const mx = points.reduce((s, p) => s + p.x, 0) / n;
  const my = points.reduce((s, p) => s + p.y, 0) / n;
  let num = 0;
  let den = 0;
  for (const p of points) {
    num += (p.x - mx) * (p.y - my);
    den += (p.x - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

/** A one-second sample of a run: seconds since production started, and the counts then. */
export type Sample = {
  t: number;
  produced: number;
  handled: number;
  backlog: number;
  /** Live drain slots (ZCOUNT of the slot table, read straight from Redis). */
  slots: number;
  /** Cores busy since the previous sample: workerd (all invocations), the benchmark process. */
  workerdCores: number | null;
  benchCores: number;
};

/** Per second of production: the p99 latency of the messages produced in it. */
export function p99BySecond(
  values: (Latency & { producedMs: number })[],
  startMs: number,
  seconds: number,
): (Percentile | null)[] {
  const buckets: Latency[][] = Array.from({ length: seconds }, () => []);
  for (const v of values) {
    const s = Math.floor((v.producedMs - startMs) / 1000);
    buckets[Math.min(seconds - 1, Math.max(0, s))]?.push(v);
  }
  return buckets.map((b) => percentile(b, 99));
}
