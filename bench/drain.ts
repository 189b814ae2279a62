/** @module Drain scenarios: the naive loop, @upstash/queue and `drain()` on the same messages. */
import { drain } from "../src/lib/index";
import { fillStream, handlerOf, pendingCount } from "./common";
import { type BenchContext, measured } from "./context";
import { NAIVE_BATCH, naiveLoop } from "./naive-loop";
import { queueKey, queueLoop } from "./queue-loop";

export type DrainImpl = "naive-loop" | "upstash-queue" | "drain";

export type DrainCase = {
  impl: DrainImpl;
  /** Reads per request (COUNT) as used in the lower bound. */
  batchSize: number;
  /** Handlers in flight as used in the lower bound. */
  concurrency: number;
  rttMs: number;
  handlerMs: number;
  /** Messages drained in this case (5,000, or fewer for the slow baselines). */
  n: number;
};

export type DrainRun = {
  wallMs: number;
  requests: number;
  messagesPerS: number;
  requestsPerMessage: number;
  lowerBoundMs: number;
  /** wall / lower bound; null when the bound is 0 (rtt = h = 0). */
  ratio: number | null;
  /** What the implementation itself reported (`drain()`: its own request counter). */
  reportedRequests: number | null;
  /** Consumers left in the group afterwards. */
  consumersLeft: number;
};

/** `ceil(N/B)·rtt + N·h/C`: the reads that cannot be avoided, handler time spread over C. */
export function lowerBoundMs(
  c: Pick<DrainCase, "n" | "batchSize" | "concurrency" | "rttMs" | "handlerMs">,
): number {
  return Math.ceil(c.n / c.batchSize) * c.rttMs + (c.n * c.handlerMs) / c.concurrency;
}

export const NAIVE_B = NAIVE_BATCH;
export const QUEUE_B = 1;

/** One run of one case on a fresh stream; checks every message was handled and acked. */
export async function drainOnce(ctx: BenchContext, c: DrainCase, run: number): Promise<DrainRun> {
  const group = "g";
  const name = ctx.key(
    `drain:${c.impl}:${c.batchSize}x${c.concurrency}:${c.rttMs}:${c.handlerMs}:${run}`,
  );
  const stream = c.impl === "upstash-queue" ? queueKey(name) : name;
  await fillStream(ctx.d, stream, group, c.n);
  ctx.bridge.knobs.latencyMs = c.rttMs;
  const handler = handlerOf(c.handlerMs);
  let handled = 0;
  const counting = async () => {
    await handler();
    handled++;
  };
  let reportedRequests: number | null = null;
  const m = await measured(ctx, async () => {
    if (c.impl === "naive-loop") {
      return naiveLoop({
        redis: ctx.redis,
        stream,
        group,
        consumer: "naive-worker",
        handler: counting,
      });
    }
    if (c.impl === "upstash-queue") {
      const url = ctx.bridge.url;
      return queueLoop({ url, token: ctx.token, queueName: name, group, handler: counting });
    }
    const report = await drain({
      redis: ctx.redis,
      stream,
      group,
      consumer: `bench-${run}`,
      handler: counting,
      batchSize: c.batchSize,
      concurrency: c.concurrency,
      maxMessages: 1_000_000,
      timeBudgetMs: 900_000,
      maxRequests: 100_000,
    });
    reportedRequests = report.requests;
    if (report.error) {
      throw new Error(`drain failed: ${report.error.message}`);
    }
    return report.acked;
  });
  ctx.bridge.knobs.latencyMs = 0;
  const pending = await pendingCount(ctx.d, stream, group);
  if (m.result !== c.n || handled !== c.n || pending !== 0) {
    throw new Error(
      `${c.impl}: expected ${c.n} handled and acked, got ${handled} handled, ${m.result} acked, ${pending} pending`,
    );
  }
  const consumers = (await ctx.d.sendCommand(["XINFO", "CONSUMERS", stream, group])) as unknown[];
  await ctx.d.sendCommand(["UNLINK", stream]);
  const lb = lowerBoundMs(c);
  return {
    wallMs: m.wallMs,
    requests: m.requests,
    messagesPerS: (c.n / m.wallMs) * 1000,
    requestsPerMessage: m.requests / c.n,
    lowerBoundMs: lb,
    ratio: lb > 0 ? m.wallMs / lb : null,
    reportedRequests,
    consumersLeft: consumers.length,
  };
}
