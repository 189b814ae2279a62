/** @module Options of the sweep, its events: their defaults and validation. */
import type { Redis } from "@upstash/redis";
import { DEFAULTS, withDefaults } from "../config/defaults";
import type { RetryBackoff, TrimPolicy } from "../config/parsers";
import { JOB_RULES, type Resolved, validateOptions } from "../config/ranges";
import type { MessageHandler } from "../handling/message";

/** The client methods the sweep uses. */
export type SweepRedis = Pick<Redis, "exec" | "pipeline" | "evalsha" | "eval">;

/** Something that happened during a sweep, for structured logs (one line each). */
export type SweepEvent =
  | { event: "claimed"; ids: string[] }
  /** The handler ran again on these (claimed entries not yet exhausted). */
  | { event: "retried"; ids: string[] }
  | { event: "handler_failed"; id: string; error: string }
  | { event: "dead_lettered"; ids: string[] }
  | { event: "lease_renewed"; ids: string[] }
  /** Another sweep claimed these while this one's handlers ran: a duplicate run. */
  | { event: "lease_lost"; ids: string[] }
  | { event: "redis_error"; error: string };

export type SweepOptions = {
  redis: SweepRedis;
  stream: string;
  group: string;
  /** The consumer this invocation claims as. */
  consumer: string;
  handler: MessageHandler;
  /** A pending entry idle this long may be reclaimed. @default 60000 */
  minIdleMs?: number;
  /** Handler runs a message gets; a claim finding them all failed dead-letters it. @default 3 */
  maxDeliveries?: number;
  /** Most pending entries one run looks at; the cursor carries the rest over. @default 1000 */
  count?: number;
  /** No new page starts when the rest of this is shorter than the slowest page. @default 25000 */
  timeBudgetMs?: number;
  /** @default `${stream}:dlq` */
  dlqStream?: string;
  /** Idle consumers with no pending entries older than this are deleted. @default 3600000 */
  consumerRetentionMs?: number;
  /** @default "exponential" */
  retryBackoff?: RetryBackoff;
  /** Cap of the exponential backoff. @default 3600000 */
  maxBackoffMs?: number;
  /** Handler calls in flight at once. @default 10 */
  concurrency?: number;
  /** Most HTTP requests this run makes, never exceeded. @default 1000 */
  maxRequests?: number;
  /** What to trim after the pages. @default { kind: "none" } */
  trim?: TrimPolicy;
  /** Approximate cap of the dead-letter stream. @default 100000 */
  dlqMaxLen?: number;
  /** Entries per XAUTOCLAIM / XPENDING call. @default 100 */
  pageSize?: number;
  /** Stops starting pages; passed on to handlers. */
  signal?: AbortSignal;
  onEvent?: (event: SweepEvent) => void;
};

export type ResolvedSweepOptions = Resolved<SweepOptions, "signal" | "onEvent" | "dlqStream">;

/**
 * Applies the defaults and refuses values that cannot work, naming the option, the value
 * and what is expected: the same rules and ranges as the drain's.
 * @throws ConfigError
 */
export function resolveSweepOptions(o: SweepOptions): ResolvedSweepOptions {
  validateOptions(o, {
    integers: [
      ...(["minIdleMs", "maxDeliveries", "timeBudgetMs", "consumerRetentionMs"] as const),
      ...(["maxBackoffMs", "concurrency", "maxRequests", "dlqMaxLen"] as const),
      ["count", "maxMessages"],
      ["pageSize", "sweepPageSize"],
    ],
    ...JOB_RULES,
    oneOf: { retryBackoff: ["fixed", "exponential"] },
  });
  const set = withDefaults(o, [
    ...(["minIdleMs", "maxDeliveries", "timeBudgetMs", "consumerRetentionMs"] as const),
    ...(["retryBackoff", "maxBackoffMs", "concurrency", "maxRequests", "dlqMaxLen"] as const),
  ]);
  return {
    ...set,
    count: o.count ?? DEFAULTS.maxMessages,
    pageSize: o.pageSize ?? DEFAULTS.sweepPageSize,
    trim: o.trim ?? { kind: "none" },
  };
}
