/**
 * @module Runs several drains and sweeps at once against one stream until it is drained, with
 * aborts, and lets a scenario inject its faults on the side.
 */
import type { Redis } from "@upstash/redis/cloudflare";
import { type DrainReport, drain, sweep } from "../../src/lib/index";
import { drained, type Ledger, prng } from "./ledger";
import type { Direct } from "./redis";
import { sleep } from "./sleep";

export type RunOptions = {
  d: Direct;
  /** A client per call; scenarios may hand out clients with or without retries. */
  redis: () => Redis;
  ledger: Ledger;
  stream: string;
  group: string;
  dlqStream: string;
  drains: number;
  sweeps: number;
  minIdleMs: number;
  maxDeliveries: number;
  /** Probability that a drain is aborted after a random 0–30 ms. */
  abortRate: number;
  /** Whether production is over (the run ends only after it). */
  producing: () => boolean;
  /** Wall-clock cap; the run fails with what it saw when it is reached. */
  deadlineMs: number;
  prngStart: number;
  batchSize?: number;
  /**
   * Where a drain creates a missing group. `$` as deployed: a harness that creates at `0`
   * would redeliver whatever a lost group skipped and hide the loss. @default "$"
   */
  groupStartId?: string;
};

export type RunStats = {
  drains: number;
  sweeps: number;
  drainErrors: number;
  sweepErrors: number;
  aborted: number;
  timedOut: boolean;
};

/**
 * `drains` drain loops and `sweeps` sweep loops (half fixed, half exponential backoff, every
 * invocation under a new consumer name, consumer hygiene with a 200 ms retention), until
 * production is over, the group has read everything and the PEL is empty.
 */
export async function runUntilDrained(o: RunOptions): Promise<RunStats> {
  const stats: RunStats = {
    drains: 0,
    sweeps: 0,
    drainErrors: 0,
    sweepErrors: 0,
    aborted: 0,
    timedOut: false,
  };
  const random = prng(o.prngStart);
  let stop = false;
  let invocation = 0;

  async function drainLoop(w: number): Promise<void> {
    while (!stop) {
      const n = ++invocation;
      const abort = new AbortController();
      let timer: ReturnType<typeof setTimeout> | undefined;
      if (random() < o.abortRate) {
        timer = setTimeout(() => abort.abort(new Error("invocation cut short")), random() * 30);
      }
      let report: DrainReport | undefined;
      try {
        report = await drain({
          redis: o.redis(),
          stream: o.stream,
          group: o.group,
          consumer: `drain-${w}-${n}`,
          handler: o.ledger.handler,
          batchSize: o.batchSize ?? 50,
          maxMessages: 1000,
          timeBudgetMs: 5000,
          concurrency: 16,
          minIdleMs: o.minIdleMs,
          groupStartId: o.groupStartId ?? "$",
          dlqStream: o.dlqStream,
          signal: abort.signal,
        });
      } catch {
        stats.drainErrors++;
      } finally {
        clearTimeout(timer);
      }
      stats.drains++;
      if (report?.error) {
        stats.drainErrors++;
      }
      if (report?.stoppedBy === "aborted") {
        stats.aborted++;
        o.ledger.count("abortedDrain");
      }
      if (!report || report.read === 0 || report.error) {
        await sleep(10 + random() * 20);
      }
    }
  }

  async function sweepLoop(w: number): Promise<void> {
    while (!stop) {
      const n = ++invocation;
      try {
        await sweep({
          redis: o.redis(),
          stream: o.stream,
          group: o.group,
          consumer: `sweep-${w}-${n}`,
          handler: o.ledger.handler,
          minIdleMs: o.minIdleMs,
          maxDeliveries: o.maxDeliveries,
          count: 1000,
          pageSize: 100,
          timeBudgetMs: 5000,
          dlqStream: o.dlqStream,
          consumerRetentionMs: 200,
          retryBackoff: w % 2 === 0 ? "exponential" : "fixed",
          maxBackoffMs: 4 * o.minIdleMs,
          concurrency: 16,
        });
      } catch {
        stats.sweepErrors++;
      }
      stats.sweeps++;
      await sleep(o.minIdleMs / 2 + random() * 20);
    }
  }

  const loops = [
    ...Array.from({ length: o.drains }, (_, w) => drainLoop(w)),
    ...Array.from({ length: o.sweeps }, (_, w) => sweepLoop(w)),
  ];
  const deadline = Date.now() + o.deadlineMs;
  let quiet = 0;
  while (Date.now() < deadline) {
    await sleep(100);
    let done = false;
    try {
      done = !o.producing() && (await drained(o.d, o.stream, o.group));
    } catch {
      // Redis may be restarting; look again.
    }
    // Twice in a row: a drain may hold entries it read but whose XREADGROUP reply is late.
    quiet = done ? quiet + 1 : 0;
    if (quiet >= 2) {
      break;
    }
  }
  stats.timedOut = quiet < 2;
  stop = true;
  await Promise.all(loops);
  return stats;
}
