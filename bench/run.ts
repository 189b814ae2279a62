/**
 * @module `npm run bench`: every scenario in one process, against the real Redis
 * (REDIS_URL, default redis://127.0.0.1:6379) through an in-process bridge whose injected
 * latency stands in for the edge→Upstash round trip. Writes bench/results.json and
 * bench/RESULTS.md; progress goes to stderr. Keys live under a random `rsw-bench:<uuid>:`
 * prefix and are deleted at the end (never FLUSH anything: the server is shared).
 *
 * BENCH_RUNS (default 3) and BENCH_SCALE (default 1; e.g. 0.05 for a smoke run, which does
 * not overwrite the result files) exist for developing the benchmark itself.
 */

import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { medianOrNull, progress } from "./common";
import { openBench } from "./context";
import { type DrainCase, type DrainRun, drainOnce, NAIVE_B, QUEUE_B } from "./drain";
import { type LimitCase, type LimitRun, limitOnce } from "./limits";
import { gitCommit, machineInfo, versionOf } from "./machine";
import { type MemoryCase, type MemoryRun, memoryOnce } from "./memory";
import { naiveLoopWithin } from "./naive-loop";
import { type Results, renderMarkdown, type Summary } from "./report";
import { type SweepCase, type SweepRun, sweepOnce } from "./sweep-bench";

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const SCALE = Number(process.env.BENCH_SCALE ?? 1);
const N = 5000;
const RTTS = [0, 5, 20];
const HANDLER_MS = [0, 20];
const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));
const scaled = (n: number) => Math.max(20, Math.round(n * SCALE));

/**
 * The slow baselines are sequential, so their time per message does not depend on N: they
 * run on fewer messages (said in RESULTS.md) to keep the whole benchmark under 10 minutes.
 */
function baselineN(impl: "naive-loop" | "upstash-queue", rttMs: number): number {
  if (impl === "naive-loop") {
    return rttMs >= 20 ? 150 : 300;
  }
  return rttMs >= 20 ? 50 : rttMs >= 5 ? 100 : 200;
}

function drainPlan(): DrainCase[] {
  const cases: DrainCase[] = [];
  for (const rttMs of RTTS) {
    for (const handlerMs of HANDLER_MS) {
      const common = { rttMs, handlerMs };
      cases.push(
        {
          impl: "naive-loop",
          batchSize: NAIVE_B,
          concurrency: 1,
          n: scaled(baselineN("naive-loop", rttMs)),
          ...common,
        },
        {
          impl: "upstash-queue",
          batchSize: QUEUE_B,
          concurrency: 1,
          n: scaled(baselineN("upstash-queue", rttMs)),
          ...common,
        },
        { impl: "drain", batchSize: 50, concurrency: 10, n: scaled(N), ...common },
        { impl: "drain", batchSize: 100, concurrency: 50, n: scaled(N), ...common },
      );
    }
  }
  return cases;
}

const sweepPlan: SweepCase[] = [0, 5].flatMap((rttMs) =>
  (
    ["sweep-exponential", "sweep-fixed", "sweep-exponential-count100", "naive-recovery"] as const
  ).map((impl) => ({ impl, rttMs, k: scaled(1000), deadShare: 0.2 })),
);

const limitPlan: LimitCase[] = [50, 1000].flatMap((maxRequests) => [
  { maxRequests, batchSize: 50, concurrency: 10, rttMs: 5 },
  { maxRequests, batchSize: 100, concurrency: 50, rttMs: 5 },
]);

const memoryCase: MemoryCase = {
  n: scaled(10_000),
  bytes: 1024,
  batchSize: 50,
  concurrency: 10,
  rttMs: 5,
};

function summarize<C, R extends Record<string, unknown>>(c: C, runs: R[]): Summary<C, R> {
  const first = runs[0] ?? ({} as R);
  const med: Record<string, number | string | null> = {};
  for (const key of Object.keys(first)) {
    const values = runs.map((r) => r[key]);
    if (values.every((v) => typeof v === "number" || v === null)) {
      med[key] = medianOrNull(values as (number | null)[]);
    } else {
      med[key] = [...new Set(values.map(String))].join(",");
    }
  }
  return { case: c, runs, median: med };
}

async function repeat<C, R extends Record<string, unknown>>(
  label: string,
  c: C,
  once: (run: number) => Promise<R>,
  describe: (r: R) => string,
): Promise<Summary<C, R>> {
  const runs: R[] = [];
  for (let run = 0; run < RUNS; run++) {
    const r = await once(run);
    progress(`${label} run ${run + 1}/${RUNS}: ${describe(r)}`);
    runs.push(r);
  }
  return summarize(c, runs);
}

const started = Date.now();
const commit = gitCommit();
const { ctx, redisUrl, cleanup } = await openBench("rsw-bench", (prefix) => [
  `UpstashMQ:${prefix}*`,
]);
const { bridge, d, prefix } = ctx;

try {
  const info = String(await d.sendCommand(["INFO", "server"]));
  const redisVersion = /redis_version:(\S+)/.exec(info)?.[1] ?? "unknown";
  progress(
    `Redis ${redisVersion} at ${redisUrl.replace(/\/\/[^@]*@/, "//***@")}, prefix ${prefix}`,
  );
  progress(`${RUNS} runs per figure${SCALE !== 1 ? `, scale ${SCALE}` : ""}`);

  const drains: Summary<DrainCase, DrainRun>[] = [];
  for (const c of drainPlan()) {
    const label = `drain ${c.impl} B=${c.batchSize} C=${c.concurrency} rtt=${c.rttMs} h=${c.handlerMs} N=${c.n}`;
    drains.push(
      await repeat(
        label,
        c,
        (run) => drainOnce(ctx, c, run),
        (r) =>
          `${(r.wallMs / 1000).toFixed(2)} s, ${r.messagesPerS.toFixed(0)} msg/s, ${r.requests} requests, ratio ${r.ratio?.toFixed(2) ?? "—"}`,
      ),
    );
  }

  const sweeps: Summary<SweepCase, SweepRun>[] = [];
  for (const c of sweepPlan) {
    const label = `sweep ${c.impl} rtt=${c.rttMs} k=${c.k}`;
    sweeps.push(
      await repeat(
        label,
        c,
        (run) => sweepOnce(ctx, c, run),
        (r) =>
          `${(r.wallMs / 1000).toFixed(2)} s, ${r.requests} requests in ${r.invocations} invocation(s)`,
      ),
    );
  }

  const limits: Summary<LimitCase, LimitRun>[] = [];
  for (const c of limitPlan) {
    const label = `limit maxRequests=${c.maxRequests} B=${c.batchSize} C=${c.concurrency} rtt=${c.rttMs}`;
    limits.push(
      await repeat(
        label,
        c,
        (run) => limitOnce(ctx, c, run),
        (r) =>
          `${r.drained} messages in ${r.requests} requests, ${(r.wallMs / 1000).toFixed(2)} s, stopped by ${r.stoppedBy}`,
      ),
    );
  }

  const memory: Summary<MemoryCase, MemoryRun> = await repeat(
    `memory N=${memoryCase.n} x ${memoryCase.bytes} B`,
    memoryCase,
    (run) => memoryOnce(ctx, memoryCase, run),
    (r) =>
      `peak heap ${r.peakHeapMiB.toFixed(1)} MiB (+${r.drainHeapMiB.toFixed(1)}), peak RSS ${r.peakRssMiB.toFixed(1)} MiB (+${r.drainRssMiB.toFixed(1)})`,
  );

  const results: Results = {
    meta: {
      date: new Date().toISOString(),
      commit,
      machine: machineInfo(),
      node: process.version,
      redis: redisVersion,
      versions: {
        "@upstash/redis": versionOf("@upstash/redis"),
        "@upstash/queue": versionOf("@upstash/queue"),
        "@upstash/redis (nested in @upstash/queue)": versionOf(
          "@upstash/queue/node_modules/@upstash/redis",
        ),
        redis: versionOf("redis"),
        tsx: versionOf("tsx"),
      },
      runs: RUNS,
      scale: SCALE,
      totalSeconds: 0,
    },
    drain: drains,
    sweep: sweeps,
    limits,
    /** Computed from the baselines' request patterns (see naive-loop.ts), not run. */
    limitsBaselines: [50, 1000].map((maxRequests) => ({
      maxRequests,
      naiveLoop: naiveLoopWithin(maxRequests),
      // One XGROUP CREATE on the first call, then 4 requests per message.
      upstashQueue: Math.max(0, Math.floor((maxRequests - 1) / 4)),
    })),
    memory,
  };
  results.meta.totalSeconds = Math.round((Date.now() - started) / 1000);
  if (SCALE === 1 && RUNS >= 3) {
    writeFileSync(here("results.json"), `${JSON.stringify(results, null, 2)}\n`);
    writeFileSync(here("RESULTS.md"), renderMarkdown(results));
    progress(`wrote bench/results.json and bench/RESULTS.md in ${results.meta.totalSeconds} s`);
  } else {
    writeFileSync(join(tmpdir(), "rsw-bench-smoke.json"), `${JSON.stringify(results, null, 2)}\n`);
    process.stdout.write(renderMarkdown(results));
    progress(`smoke run (scale ${SCALE}, ${RUNS} runs): result files left alone`);
  }
} finally {
  await cleanup();
  await d.quit();
  await bridge.close();
}
