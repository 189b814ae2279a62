import { fillStream, pendingCount, runJsonChild } from "./common";
import type { BenchContext } from "./context";

export type MemoryCase = {
  n: number;
  bytes: number;
  batchSize: number;
  concurrency: number;
  rttMs: number;
};

export type MemoryRun = {
  acked: number;
  requests: number;
  durationMs: number;
  baselineRssMiB: number;
  baselineHeapMiB: number;
  peakRssMiB: number;
  peakHeapMiB: number;
  /** Peak minus baseline: what the drain itself added. */
  drainRssMiB: number;
  drainHeapMiB: number;
  /** Heap still used once the drain returned and gc ran: what it retains. */
  afterGcHeapMiB: number;
  /** Second child, gc forced every GC_EVERY messages: the most heap left after one (live set). */
  liveHeapMiB: number;
  /** The kernel's high-water mark for the whole child (tsx loader included). */
  maxRssLifetimeMiB: number;
};

type ChildReport = {
  acked: number;
  requests: number;
  durationMs: number;
  gcExposed: boolean;
  baseline: { rss: number; heapUsed: number };
  peak: { rss: number; heapUsed: number };
  afterGc: { rss: number; heapUsed: number };
  liveHeap: number;
  maxRssLifetime: number;
};

const MiB = 1024 * 1024;

function runChild(env: Record<string, string>): Promise<ChildReport> {
  return runJsonChild<ChildReport>(
    ["--expose-gc", "--import", "tsx", "bench/memory-child.ts"],
    env,
    "memory child",
  );
}

export const GC_EVERY = 1000;

/** Fills a fresh stream and drains it in a child; `gcEvery` > 0 measures the live set instead. */
async function drainInChild(
  ctx: BenchContext,
  c: MemoryCase,
  name: string,
  gcEvery: number,
): Promise<ChildReport> {
  const stream = ctx.key(name);
  await fillStream(ctx.d, stream, "g", c.n, c.bytes);
  ctx.bridge.knobs.latencyMs = c.rttMs;
  const r = await runChild({
    BENCH_URL: ctx.bridge.url,
    BENCH_TOKEN: ctx.token,
    BENCH_STREAM: stream,
    BENCH_N: String(c.n),
    BENCH_BATCH: String(c.batchSize),
    BENCH_CONCURRENCY: String(c.concurrency),
    BENCH_GC_EVERY: String(gcEvery),
  });
  ctx.bridge.knobs.latencyMs = 0;
  const pending = await pendingCount(ctx.d, stream, "g");
  if (r.acked !== c.n || pending !== 0 || !r.gcExposed) {
    throw new Error(`memory: acked ${r.acked} of ${c.n}, ${pending} pending, gc ${r.gcExposed}`);
  }
  await ctx.d.sendCommand(["UNLINK", stream]);
  return r;
}

export async function memoryOnce(
  ctx: BenchContext,
  c: MemoryCase,
  run: number,
): Promise<MemoryRun> {
  const r = await drainInChild(ctx, c, `memory:${run}`, 0);
  const live = await drainInChild(ctx, c, `memory-live:${run}`, GC_EVERY);
  return {
    acked: r.acked,
    requests: r.requests,
    durationMs: r.durationMs,
    baselineRssMiB: r.baseline.rss / MiB,
    baselineHeapMiB: r.baseline.heapUsed / MiB,
    peakRssMiB: r.peak.rss / MiB,
    peakHeapMiB: r.peak.heapUsed / MiB,
    drainRssMiB: (r.peak.rss - r.baseline.rss) / MiB,
    drainHeapMiB: (r.peak.heapUsed - r.baseline.heapUsed) / MiB,
    afterGcHeapMiB: r.afterGc.heapUsed / MiB,
    liveHeapMiB: live.liveHeap / MiB,
    maxRssLifetimeMiB: r.maxRssLifetime / MiB,
  };
}
