/** @module The recovery sweep (DESIGN 5): reclaim stuck entries, retry, dead-letter, clean up. */
import type { Redis } from "@upstash/redis";
import { DEFAULTS } from "../config/defaults";
import type { RetryBackoff, TrimPolicy } from "../config/schemas";
import { deleteIdleConsumers, HYGIENE_MAX_REQUESTS } from "../group/idle-consumers";
import { LEASE_MAX_REQUESTS } from "../handling/lease";
import { Limiter } from "../handling/limiter";
import type { MessageHandler } from "../handling/message";
import { requestCounter } from "../redis/budget";
import { streamKeys } from "../redis/keys";
import type { ScriptRedis } from "../redis/script";
import { trimMaxRequests, trimStream } from "../trim/trim";
import { CYCLE_START, readCursor } from "./cursor";
import { noPages, type PagesResult, pageMaxRequests, type SweepStop, sweepPages } from "./pages";

export type SweepRedis = Pick<Redis, "exec" | "pipeline"> & ScriptRedis;

export type SweepOptions = {
  redis: SweepRedis;
  stream: string;
  group: string;
  /** The consumer this invocation claims as. */
  consumer: string;
  handler: MessageHandler;
  /** A pending entry idle this long may be reclaimed. @default 60000 */
  minIdleMs: number;
  /** Handler runs a message gets; a claim finding them all failed dead-letters it. @default 3 */
  maxDeliveries: number;
  /** Most pending entries one run looks at; the cursor carries the rest over. @default 100 */
  count: number;
  /** No new page starts when the rest of this is shorter than the slowest page. @default 25000 */
  timeBudgetMs: number;
  /** @default `${stream}:dlq` */
  dlqStream: string;
  /** Idle consumers with no pending entries older than this are deleted. @default 3600000 */
  consumerRetentionMs: number;
  /** @default "exponential" */
  retryBackoff?: RetryBackoff;
  /** @default 3600000 */
  maxBackoffMs?: number;
  /** Handler calls in flight at once. @default 10 */
  concurrency?: number;
  /** Most HTTP requests this run makes, never exceeded. @default 1000 */
  maxRequests?: number;
  /** @default { kind: "none" } */
  trim?: TrimPolicy;
  /** Approximate cap of the dead-letter stream. @default 100000 */
  dlqMaxLen?: number;
  /** Entries per XAUTOCLAIM / XPENDING call. @default 100 */
  pageSize?: number;
  /** Stops starting pages; passed on to handlers. */
  signal?: AbortSignal;
};

export type { SweepStop };

export type SweepReport = { consumer: string } & PagesResult & {
    deletedConsumers: number;
    /** Entries removed by TRIM. */
    trimmed: number;
    requests: number;
    durationMs: number;
  };

/**
 * One sweep run: pages through the PEL from the stored cursor, claims ripe entries,
 * dead-letters the exhausted, retries the rest, acks, then deletes idle empty consumers
 * and trims. Stops at the PEL's end, `count`, the time budget, `maxRequests` or `signal`.
 * @see https://redis.io/commands/xautoclaim
 * @see https://redis.io/commands/xpending
 */
export async function sweep(options: SweepOptions): Promise<SweepReport> {
  const started = Date.now();
  const { redis, stream, group, consumer } = options;
  const counter = requestCounter();
  const maxRequests = options.maxRequests ?? DEFAULTS.maxRequests;
  const trim = options.trim ?? { kind: "none" };
  const keys = streamKeys(stream, group, options.dlqStream);
  const backoff = {
    retryBackoff: options.retryBackoff ?? DEFAULTS.retryBackoff,
    minIdleMs: options.minIdleMs,
    maxBackoffMs: options.maxBackoffMs ?? DEFAULTS.maxBackoffMs,
  };
  const settle = {
    redis,
    stream,
    group,
    consumer,
    handler: options.handler,
    maxDeliveries: options.maxDeliveries,
    dlqStream: keys.dlq,
    dlqMaxLen: options.dlqMaxLen ?? DEFAULTS.dlqMaxLen,
    limiter: new Limiter(options.concurrency ?? DEFAULTS.concurrency),
    signal: options.signal ?? new AbortController().signal,
    cursorKey: keys.sweepCursor,
    counter,
    leaseMs: options.minIdleMs / 2,
    // A renewal only while a whole page's worst case still fits after it.
    mayRenew: () =>
      fits(LEASE_MAX_REQUESTS + pageMaxRequests(options.pageSize ?? DEFAULTS.sweepCount)),
  };
  // Hygiene and trimming are reserved up front so a large PEL cannot starve them.
  const tail = HYGIENE_MAX_REQUESTS + trimMaxRequests(trim);
  const fits = (n: number) => counter.count + n + tail <= maxRequests;
  let pages = noPages(CYCLE_START, "requests");
  if (fits(1 + pageMaxRequests(1))) {
    pages = await sweepPages({
      claim: { ...backoff, redis, stream, group, consumer, counter },
      settle,
      cursor: await readCursor(redis, keys.sweepCursor, counter),
      count: options.count,
      pageSize: options.pageSize ?? DEFAULTS.sweepCount,
      deadline: started + options.timeBudgetMs,
      fits,
    });
  }
  let deletedConsumers = 0;
  let trimmed = 0;
  if (counter.count + tail <= maxRequests) {
    const { consumerRetentionMs } = options;
    const hygiene = { redis, stream, group, keep: consumer, consumerRetentionMs, counter };
    deletedConsumers = (await deleteIdleConsumers(hygiene)).length;
    trimmed = (await trimStream({ redis, stream, policy: trim, counter })).trimmed;
  }
  return {
    consumer,
    ...pages,
    deletedConsumers,
    trimmed,
    requests: counter.count,
    durationMs: Date.now() - started,
  };
}
