/**
 * @module Child process of the memory scenario: one `drain()` call and nothing else, so the
 * figures are the drain's own. Run as `node --expose-gc --import tsx bench/memory-child.ts`
 * with BENCH_URL, BENCH_TOKEN, BENCH_STREAM, BENCH_N, BENCH_BATCH, BENCH_CONCURRENCY set;
 * prints one JSON line on stdout. With BENCH_GC_EVERY=k it forces a gc every k messages and
 * reports the highest heap left after one (the live set), instead of a peak worth measuring.
 */
import { drain } from "../src/lib/index";
import { workerClient } from "./common";

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) {
    throw new Error(`${name} is not set`);
  }
  return value;
};

const gc = (globalThis as { gc?: () => void }).gc;
const redis = workerClient(env("BENCH_URL"), env("BENCH_TOKEN"));
gc?.();
const baseline = process.memoryUsage();
let peakRss = baseline.rss;
let peakHeap = baseline.heapUsed;
const sample = () => {
  const now = process.memoryUsage();
  peakRss = Math.max(peakRss, now.rss);
  peakHeap = Math.max(peakHeap, now.heapUsed);
};
const gcEvery = Number(process.env.BENCH_GC_EVERY ?? 0);
let handled = 0;
let liveHeap = 0;
const sampler = setInterval(sample, 2);
const report = await drain({
  redis,
  stream: env("BENCH_STREAM"),
  group: "g",
  consumer: "bench-memory",
  handler: async (m) => {
    // Touch the body, as a real handler would.
    JSON.parse(m.fields.messageBody ?? "{}");
    sample();
    handled++;
    if (gcEvery > 0 && handled % gcEvery === 0) {
      gc?.();
      liveHeap = Math.max(liveHeap, process.memoryUsage().heapUsed);
    }
  },
  batchSize: Number(env("BENCH_BATCH")),
  concurrency: Number(env("BENCH_CONCURRENCY")),
  maxMessages: Number(env("BENCH_N")),
  timeBudgetMs: 900_000,
});
sample();
clearInterval(sampler);
gc?.();
const after = process.memoryUsage();
process.stdout.write(
  `${JSON.stringify({
    acked: report.acked,
    requests: report.requests,
    durationMs: report.durationMs,
    gcExposed: gc !== undefined,
    baseline: { rss: baseline.rss, heapUsed: baseline.heapUsed },
    peak: { rss: peakRss, heapUsed: peakHeap },
    liveHeap,
    afterGc: { rss: after.rss, heapUsed: after.heapUsed },
    maxRssLifetime: process.resourceUsage().maxRSS * 1024,
  })}\n`,
);
