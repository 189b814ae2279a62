/** @module Turns the results into bench/RESULTS.md: the method, the tables, and the notes. */
import type { DrainCase, DrainRun } from "./drain";
import type { LimitCase, LimitRun } from "./limits";
import type { MemoryCase, MemoryRun } from "./memory";
import type { SweepCase, SweepRun } from "./sweep-bench";

export type Summary<C, R> = { case: C; runs: R[]; median: Record<string, number | string | null> };

export type Results = {
  meta: {
    date: string;
    commit: string;
    machine: { cpu: string; cores: number; memoryGiB: number; freeMemoryGiB: number; os: string };
    node: string;
    redis: string;
    versions: Record<string, string>;
    runs: number;
    scale: number;
    totalSeconds: number;
  };
  drain: Summary<DrainCase, DrainRun>[];
  sweep: Summary<SweepCase, SweepRun>[];
  limits: Summary<LimitCase, LimitRun>[];
  /** Computed from the baselines' request patterns, not run. */
  limitsBaselines: { maxRequests: number; naiveLoop: number; upstashQueue: number }[];
  memory: Summary<MemoryCase, MemoryRun>;
};

const FULL_N = 5000;

function num(s: { median: Record<string, number | string | null> }, key: string): number {
  const v = s.median[key];
  return typeof v === "number" ? v : Number.NaN;
}

function maybe(s: { median: Record<string, number | string | null> }, key: string): number | null {
  const v = s.median[key];
  return typeof v === "number" ? v : null;
}

const f0 = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString("en-US") : "—");
const f1 = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : "—");
const f2 = (n: number) => (Number.isFinite(n) ? n.toFixed(2) : "—");
const f3 = (n: number) => (Number.isFinite(n) ? n.toFixed(3) : "—");
const ratio = (n: number | null) => (n === null ? "— (bound 0)" : `${n.toFixed(2)}×`);

export function implName(c: Pick<DrainCase, "impl" | "batchSize" | "concurrency">): string {
  if (c.impl === "naive-loop") {
    return "naive loop";
  }
  if (c.impl === "upstash-queue") {
    return "@upstash/queue";
  }
  return `drain ${c.batchSize}/${c.concurrency}`;
}

function find(
  r: Results,
  impl: DrainCase["impl"],
  rttMs: number,
  handlerMs: number,
  batchSize?: number,
): Summary<DrainCase, DrainRun> | undefined {
  return r.drain.find(
    (s) =>
      s.case.impl === impl &&
      s.case.rttMs === rttMs &&
      s.case.handlerMs === handlerMs &&
      (batchSize === undefined || s.case.batchSize === batchSize),
  );
}

/**
 * HTTP requests for N messages from each baseline's request pattern: the naive loop acks each
 * message and reads 10 at a time (plus the empty read that ends it); @upstash/queue makes one
 * XGROUP CREATE, 4 requests per message, and 3 for the receive that finds nothing.
 */
export function baselineRequests(impl: DrainCase["impl"], n: number): number | null {
  if (impl === "naive-loop") {
    return n + Math.ceil(n / 10) + 1;
  }
  if (impl === "upstash-queue") {
    return 1 + 4 * n + 3;
  }
  return null;
}

/** Requests for 5,000 messages: measured, or the pattern's count checked against the run. */
function requestsFor5000(s: Summary<DrainCase, DrainRun>): string {
  if (s.case.n === FULL_N) {
    return f0(num(s, "requests"));
  }
  const atRun = baselineRequests(s.case.impl, s.case.n);
  const at5000 = baselineRequests(s.case.impl, FULL_N);
  return atRun === num(s, "requests") && at5000 !== null
    ? `${f0(at5000)} (pattern, matches the ${f0(atRun)} measured at N = ${s.case.n})`
    : `${f0(num(s, "requests"))} at N = ${s.case.n}`;
}

function headline(r: Results): string[] {
  const lines = [
    "| at 5 ms RTT, h = 20 ms | msg/s | × naive loop | requests for 5,000 | requests/msg | wall / lower bound |",
    "|---|---:|---:|---:|---:|---:|",
  ];
  const naive = find(r, "naive-loop", 5, 20);
  const naiveRate = naive ? num(naive, "messagesPerS") : Number.NaN;
  for (const s of [
    naive,
    find(r, "upstash-queue", 5, 20),
    find(r, "drain", 5, 20, 50),
    find(r, "drain", 5, 20, 100),
  ]) {
    if (!s) {
      continue;
    }
    const rate = num(s, "messagesPerS");
    lines.push(
      `| ${implName(s.case)} | ${f0(rate)} | ${f1(rate / naiveRate)}× | ${requestsFor5000(s)} | ${f3(num(s, "requestsPerMessage"))} | ${ratio(maybe(s, "ratio"))} |`,
    );
  }
  return lines;
}

function drainTable(r: Results): string[] {
  const lines = [
    "| implementation | B | C | RTT ms | h ms | N run | wall s | wall s per 5,000 | msg/s | requests | req/msg | lower bound s | wall / bound |",
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
  ];
  for (const s of r.drain) {
    const c = s.case;
    const wall = num(s, "wallMs") / 1000;
    const per5000 = c.n === FULL_N ? f2(wall) : `${f1((wall * FULL_N) / c.n)} (extrapolated)`;
    lines.push(
      `| ${implName(c)} | ${c.batchSize} | ${c.concurrency} | ${c.rttMs} | ${c.handlerMs} | ${f0(c.n)} | ${f2(wall)} | ${per5000} | ${f0(num(s, "messagesPerS"))} | ${f0(num(s, "requests"))} | ${f3(num(s, "requestsPerMessage"))} | ${f2(num(s, "lowerBoundMs") / 1000)} | ${ratio(maybe(s, "ratio"))} |`,
    );
  }
  return lines;
}

function sweepName(impl: SweepCase["impl"]): string {
  switch (impl) {
    case "sweep-exponential":
      return "sweep, exponential, count 1000 (one invocation)";
    case "sweep-fixed":
      return "sweep, fixed, count 1000 (one invocation)";
    case "sweep-exponential-count100":
      return "sweep, exponential, defaults (count 100 per invocation)";
    case "naive-recovery":
      return "naive recovery";
  }
}

function sweepTable(r: Results): string[] {
  const lines = [
    "| implementation | RTT ms | k | invocations | requests | req/msg | wall s | dead-lettered | retried |",
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
  ];
  for (const s of r.sweep) {
    const c = s.case;
    lines.push(
      `| ${sweepName(c.impl)} | ${c.rttMs} | ${f0(c.k)} | ${f0(num(s, "invocations"))} | ${f0(num(s, "requests"))} | ${f3(num(s, "requestsPerMessage"))} | ${f2(num(s, "wallMs") / 1000)} | ${f0(num(s, "deadLettered"))} | ${f0(num(s, "retried"))} |`,
    );
  }
  return lines;
}

function limitTable(r: Results): string[] {
  const lines = [
    "| subrequest cap | naive loop (computed) | @upstash/queue (computed) | drain 50/10 | drain 100/50 |",
    "|---:|---:|---:|---:|---:|",
  ];
  for (const b of r.limitsBaselines) {
    const cell = (batchSize: number) => {
      const s = r.limits.find(
        (l) => l.case.maxRequests === b.maxRequests && l.case.batchSize === batchSize,
      );
      return s
        ? `${f0(num(s, "drained"))} (${f0(num(s, "requests"))} requests, ${f2(num(s, "wallMs") / 1000)} s, ${s.median.stoppedBy})`
        : "—";
    };
    lines.push(
      `| ${f0(b.maxRequests)} | ${f0(b.naiveLoop)} | ${f0(b.upstashQueue)} | ${cell(50)} | ${cell(100)} |`,
    );
  }
  return lines;
}

function memoryTable(r: Results): string[] {
  const m = r.memory;
  return [
    "| figure | MiB |",
    "|---|---:|",
    `| heap used before the drain (after gc) | ${f1(num(m, "baselineHeapMiB"))} |`,
    `| peak heap used during the drain | ${f1(num(m, "peakHeapMiB"))} |`,
    `| **heap added by the drain** | **${f1(num(m, "drainHeapMiB"))}** |`,
    `| heap after the drain returned, after gc (retained) | ${f1(num(m, "afterGcHeapMiB"))} |`,
    `| **live heap during the drain** (second child, gc forced every 1,000 messages; most left after one) | **${f1(num(m, "liveHeapMiB"))}** |`,
    `| RSS before the drain | ${f1(num(m, "baselineRssMiB"))} |`,
    `| peak RSS during the drain | ${f1(num(m, "peakRssMiB"))} |`,
    `| RSS added by the drain | ${f1(num(m, "drainRssMiB"))} |`,
    `| max RSS of the whole child (kernel high-water mark, tsx loader included) | ${f1(num(m, "maxRssLifetimeMiB"))} |`,
  ];
}

/** Local cost of one request (HTTP, bridge, Redis, parsing) beyond the injected latency. */
function perRequestMs(r: Results, batchSize: number): number {
  const base = find(r, "drain", 0, 0, batchSize);
  return base ? num(base, "wallMs") / num(base, "requests") : Number.NaN;
}

/** Where drain() is below 10× the naive loop at 5 ms / 20 ms, or above 1.5× the bound. */
function shortfalls(r: Results): string[] {
  const out: string[] = [];
  const naive = find(r, "naive-loop", 5, 20);
  for (const batchSize of [50, 100]) {
    const ours = find(r, "drain", 5, 20, batchSize);
    if (naive && ours) {
      const x = num(ours, "messagesPerS") / num(naive, "messagesPerS");
      if (x < 10) {
        out.push(
          `- drain ${ours.case.batchSize}/${ours.case.concurrency} is ${f1(x)}× the naive loop at 5 ms RTT, h = 20 ms (target ≥ 10×): with h = 20 ms the gain comes from running C handlers at once and dropping the per-message ack, so it is capped near C.`,
        );
      }
    }
  }
  for (const s of r.drain) {
    const q = maybe(s, "ratio");
    if (s.case.impl !== "drain" || q === null || q <= 1.5) {
      continue;
    }
    const local = perRequestMs(r, s.case.batchSize);
    const reads = Math.ceil(s.case.n / s.case.batchSize);
    const bound =
      reads * (s.case.rttMs + local) + (s.case.n * s.case.handlerMs) / s.case.concurrency;
    out.push(
      `- ${implName(s.case)} at RTT ${s.case.rttMs} ms, h = ${s.case.handlerMs} ms: ${q.toFixed(2)}× the lower bound (${f2(num(s, "wallMs") / 1000)} s vs ${f2(num(s, "lowerBoundMs") / 1000)} s; ${f0(num(s, "requests"))} requests for ${f0(reads)} batches). Local cost per request measured at RTT 0: ${f2(local)} ms; with it counted as part of the RTT the ratio is ${f2(num(s, "wallMs") / bound)}×.`,
    );
  }
  if (out.some((line) => line.includes("the lower bound"))) {
    const worst20 = Math.max(
      ...[50, 100].map((b) => maybe(find(r, "drain", 20, 0, b) ?? { median: {} }, "ratio") ?? 0),
    );
    out.push(
      "",
      `Why: the bound counts only the injected latency, but every request also costs the local stack — HTTP on 127.0.0.1, the in-process bridge's reply encoding, Redis, the client's decoding, all on the one event loop of this process — plus the timer's overshoot of the injected sleep. With h = 0 there is no handler time to dilute that, and next to a 5 ms sleep it is a large share of each round trip; at RTT 20 ms the same runs are within ${f2(worst20)}× of the bound. The drain's own excess is one request, the empty read that finds the end and carries the last acks (ceil(N/B) + 1 requests in all). What would close it: nothing in the drain's request pattern; a larger BATCH_SIZE cuts the number of round trips, and on Upstash the local share is part of the real round trip anyway (running the bridge in its own process would shrink it here).`,
    );
  }
  return out;
}

function notes(r: Results): string[] {
  const out: string[] = [];
  const naive = find(r, "naive-loop", 5, 20);
  const ours = find(r, "drain", 5, 20, 50);
  const queue = find(r, "upstash-queue", 5, 20);
  const naive0 = find(r, "naive-loop", 5, 0);
  const ours0 = find(r, "drain", 5, 0, 50);
  if (naive && ours && naive0 && ours0) {
    out.push(
      `- **Where the gain comes from.** With h = 20 ms the naive loop spends h + one XACK round trip + a tenth of a read on every message, one message at a time; \`drain()\` runs C = 10 handlers at once and sends each batch's XACK in the same /pipeline request as the next XREADGROUP, so at 5 ms RTT it is ${f1(num(ours, "messagesPerS") / num(naive, "messagesPerS"))}× the naive loop (concurrency alone would give ≤ 10×; dropping the per-message ack gives the rest), and ${f1(num(find(r, "drain", 5, 20, 100) ?? ours, "messagesPerS") / num(naive, "messagesPerS"))}× at 100/50. With h = 0 the drains are round-trip bound and the gap is the request count: ${f0(num(ours0, "messagesPerS"))} vs ${f0(num(naive0, "messagesPerS"))} msg/s (${f1(num(ours0, "messagesPerS") / num(naive0, "messagesPerS"))}×), ${f3(num(ours0, "requestsPerMessage"))} vs ${f3(num(naive0, "requestsPerMessage"))} requests per message.`,
    );
  }
  const slow = find(r, "drain", 20, 20, 50);
  if (slow) {
    const readsMs = Math.ceil(slow.case.n / slow.case.batchSize) * slow.case.rttMs;
    out.push(
      `- **Below the bound is possible.** The drain does not overlap reads with handler work: the next XREADGROUP goes out once every message of the batch has started and the running ones finished (or a grace of 2× the mean handler time passed). Reading one batch ahead while the last wave runs would hide the reads behind the handlers — at RTT 20 ms, h = 20 ms, 50/10 that is ${f2(readsMs / 1000)} s of ${f2(num(slow, "wallMs") / 1000)} s — at the price of holding 2 batches in the PEL and in memory.`,
    );
  }
  if (queue) {
    out.push(
      `- **@upstash/queue** costs ${f3(num(queue, "requestsPerMessage"))} requests per message: each \`receiveMessage\` runs \`XAUTOCLAIM … 0-0 COUNT 1\` under a fresh random consumer name (restarting from 0-0 every time), \`XGROUP DELCONSUMER\` for it when nothing was claimed, then \`XREADGROUP COUNT 1\` under another fresh name, and \`verifyMessage\` is one \`XACK\`. The read consumers are never deleted: each run left ${f0(num(queue, "consumersLeft"))} consumers in the group, one per message (the naive loop and \`drain()\` left 1). Its \`concurrencyLimit\` (≤ 5) would overlap receives but not change the requests per message; the runs use the default (one at a time), hence C = 1 in its bound.`,
    );
  }
  const within50 = r.limits.find((l) => l.case.maxRequests === 50 && l.case.batchSize === 50);
  if (within50) {
    out.push(
      `- **Subrequest caps.** At a cap of 50 \`drain()\` sends ${f0(num(within50, "requests"))} requests: it holds 2 back from the start for a final ack flush and a dead-letter call, and keeps the second even when nothing needs dead-lettering, so one batch (${within50.case.batchSize} messages, 2%) is left on the table. Sending the final XACK and the dead-letter EVALSHA in one /pipeline request would need a reserve of 1. At the 1,000 cap the drain ran ${f2(num(r.limits.find((l) => l.case.maxRequests === 1000 && l.case.batchSize === 50) ?? within50, "wallMs") / 1000)} s at 5 ms RTT; at a real 20–50 ms edge→Upstash RTT, 999 requests take 20–50 s, so above ~25 ms the default TIME_BUDGET_MS (25 s) stops the drain before the cap does.`,
    );
  }
  const sw = r.sweep.find((s) => s.case.impl === "sweep-exponential" && s.case.rttMs === 5);
  const naiveSw = r.sweep.find((s) => s.case.impl === "naive-recovery" && s.case.rttMs === 5);
  if (sw && naiveSw) {
    const pages = Math.ceil(sw.case.k / 100);
    out.push(
      `- **Sweep.** ${f0(num(sw, "requests"))} requests for k = ${f0(sw.case.k)} = GET cursor + ${pages} pages × (XPENDING, XCLAIM with the counters and failed-run records read back, dead-letter script, XACK+SET of the cursor) + the consumer-hygiene and resume-point scripts; fixed backoff has the same count (XAUTOCLAIM, then one pipeline for the counters and records). The naive recovery needs ${f0(num(naiveSw, "requests"))} (3 per dead letter, 2 per retry, ${pages + 1} XPENDING pages): ${f1(num(naiveSw, "requests") / num(sw, "requests"))}× the requests and ${f1(num(naiveSw, "wallMs") / num(sw, "wallMs"))}× the time at 5 ms RTT. With the defaults (count 100 per run) clearing the same PEL takes 10 invocations, one per SWEEP_CRON tick. Room left: the dead-letter script call and the XACK+SET pipeline go out back to back at the end of every page and could share one /pipeline request (3 per page: ${1 + pages * 3 + 2} instead of ${f0(num(sw, "requests"))} here). The dead-letter script copies entries inside Redis, so its request carries ids and error texts only, whatever the messages weigh.`,
    );
  }
  const m = r.memory;
  out.push(
    `- **Memory.** The peak heap (${f1(num(m, "peakHeapMiB"))} MiB) is mostly garbage V8 has not collected yet: it grows with N (about 1.4 MiB per 1,000 messages of 1 KiB in a manual check at 1k–20k), while the live heap, with gc forced every 1,000 messages, stays at ${f1(num(m, "liveHeapMiB"))} MiB, ${f1(num(m, "liveHeapMiB") - num(m, "baselineHeapMiB"))} MiB above the heap before the drain, and the heap after the drain is back to ${f1(num(m, "afterGcHeapMiB"))} MiB: nothing per message is retained beyond a few bytes. A Worker's 128 MB isolate limit is far away. RSS figures include Node and the tsx/esbuild loader, which a Worker does not have.`,
  );
  out.push(
    "- **Left out.** Failures and retries in the drain (every handler succeeds here), the idempotency guard (one MGET per batch and a SET per message in the ack pipeline), the lease (no handler runs near MIN_IDLE_MS/2), RTT 20 ms for the sweep, and the baselines at N = 5,000 (see Method). The bridge shares its process with the consumer, so CPU-heavy paths (rtt 0) measure the whole local stack, not the drain alone.",
  );
  return out;
}

export function renderMarkdown(r: Results): string {
  const m = r.meta;
  const v = m.versions;
  const baselineNs = (impl: DrainCase["impl"]) =>
    [
      ...new Set(
        r.drain.filter((s) => s.case.impl === impl).map((s) => `${s.case.n} at ${s.case.rttMs} ms`),
      ),
    ].join(", ");
  const gaps = shortfalls(r);
  return [
    "# Benchmarks",
    "",
    "Generated by `npm run bench` (`bench/run.ts`); raw figures of every run in `bench/results.json`.",
    "",
    "## Machine and versions",
    "",
    "| | |",
    "|---|---|",
    `| date | ${m.date} (commit ${m.commit}) |`,
    `| machine | ${m.machine.cpu}, ${m.machine.cores} cores, ${m.machine.memoryGiB} GiB, ${m.machine.os} |`,
    `| runtime | Node ${m.node}, tsx ${v.tsx} |`,
    `| Redis | ${m.redis} (local, shared; reached by the bridge over node-redis ${v.redis}, pool of 4) |`,
    `| clients | @upstash/redis ${v["@upstash/redis"]}; @upstash/queue ${v["@upstash/queue"]} with its own @upstash/redis ${v["@upstash/redis (nested in @upstash/queue)"]} |`,
    `| runs | each figure is the median of ${m.runs} runs; ratios are computed within a run, then the median taken |`,
    `| total time | ${m.totalSeconds} s |`,
    "",
    "## Method",
    "",
    "- Everything runs in one Node process: the bridge (`dev/bridge/server.ts`, `startBridge`) in",
    "  front of the real Redis, and the consumers talking HTTP to it on 127.0.0.1. The bridge's",
    "  `knobs.latencyMs` adds 0, 5 or 20 ms to every HTTP request, standing in for the",
    "  edge→Upstash round trip (RTT below). HTTP requests are the bridge's own counter (delta).",
    "- The project's code and the naive loop use the client the Worker uses, made by its own factory",
    "  (`createStreamsRedis`: `automaticDeserialization: false`, no auto-pipelining, plain-JSON replies).",
    "  @upstash/queue gets its",
    "  own nested @upstash/redis, configured as its README shows, pointed at the same bridge.",
    "- Every drained message is one entry `messageBody=<~70-byte JSON>` (the field @upstash/queue",
    "  reads), written straight into Redis (not counted), group created at `0`. Each run drains a",
    "  fresh stream until an empty read, then checks that every message was handled once and",
    "  nothing is pending. Handler latency h is a `setTimeout`; h = 0 resolves at once.",
    "- `drain()` runs with `maxMessages` 1,000,000 and `timeBudgetMs` 900,000 so it drains",
    "  until empty like the others; B = BATCH_SIZE, C = CONCURRENCY (defaults 50/10, and 100/50).",
    "- Lower bound: `ceil(N/B)·rtt + N·h/C`, the unavoidable reads plus handler time spread over",
    "  C. The naive loop uses its own B = 10, C = 1; @upstash/queue its B = 1 (COUNT 1), C = 1",
    "  (sequential receive→handle→verify). With RTT = h = 0 the bound is 0 and no ratio is given.",
    `- The baselines are sequential, so their time per message does not depend on N; to stay under`,
    `  10 minutes they drain fewer messages: the naive loop ${baselineNs("naive-loop")}; @upstash/queue ${baselineNs("upstash-queue")}.`,
    '  Their "wall s per 5,000" is extrapolated linearly (marked); msg/s, req/msg and the ratio are',
    "  measured. `drain()` always drains N = 5,000.",
    "- Sweep: k entries read by a drain and never acked, aged with `XCLAIM … IDLE 3600000 RETRYCOUNT d",
    "  JUSTID` (no waiting): every 5th at d = MAX_DELIVERIES (3), the rest at d = 1;",
    "  MIN_IDLE_MS = 60,000 (default), handler h = 0. Done when the PEL is empty, with exactly the",
    "  20% in the dead-letter stream and the 80% retried once. The naive recovery",
    "  (`bench/naive-recovery.ts`): `XPENDING - + 100` pages, then per message `XCLAIM` + handler +",
    "  `XACK`, or `XRANGE` + `XADD` + `XACK` for the exhausted ones, sequentially.",
    "- Subrequest caps: `drain()` with `maxRequests` 50 or 1,000, h = 0, RTT 5 ms, default",
    "  `timeBudgetMs` (25 s), on a stream longer than the cap can carry. The baselines' figures are",
    "  computed from their request patterns (naive loop: 1 read + 10 acks per 10 messages;",
    "  @upstash/queue: 1 XGROUP CREATE, then 4 requests per message), not run.",
    "- Memory: a child process (`node --expose-gc --import tsx bench/memory-child.ts`) runs one",
    `  \`drain()\` (B = ${r.memory.case.batchSize}, C = ${r.memory.case.concurrency}, RTT ${r.memory.case.rttMs} ms) over ${f0(r.memory.case.n)} messages of ${r.memory.case.bytes} B, the handler`,
    "  JSON-parsing each body; `process.memoryUsage()` sampled every 2 ms and in every handler call,",
    "  baseline taken after `gc()` once the client exists. The bridge stays in the parent.",
    "- The machine and the Redis are shared: other test suites may run at the same time (the last",
    "  run saw a load average of ~3.5 on 2 cores). Figures at RTT 0 are the most sensitive to that.",
    "",
    "## Headline",
    "",
    ...headline(r),
    "",
    "## Drain",
    "",
    ...drainTable(r),
    "",
    "## Sweep: clearing a PEL of stuck messages (20% at MAX_DELIVERIES)",
    "",
    ...sweepTable(r),
    "",
    "## Messages one invocation drains within a subrequest cap",
    "",
    ...limitTable(r),
    "",
    `## Memory: one drain of ${f0(r.memory.case.n)} messages of ${r.memory.case.bytes} B`,
    "",
    ...memoryTable(r),
    "",
    "## Notes",
    "",
    ...(gaps.length === 0
      ? [
          "`drain()` is at least 10× the naive loop at 5 ms RTT with h = 20 ms, and within 1.5× of the lower bound wherever the bound is not 0.",
        ]
      : [
          "Where `drain()` misses a target (≥ 10× the naive loop at 5 ms RTT with h = 20 ms; within 1.5× of the lower bound):",
          "",
          ...gaps,
        ]),
    "",
    ...notes(r),
    "",
  ].join("\n");
}
