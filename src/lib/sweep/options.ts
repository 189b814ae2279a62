/** @module Options of the sweep, its events: their defaults and validation. */
import type { Redis } from "@upstash/redis";
import { DEFAULTS, withDefaults } from "../config/defaults";
import type { RetryBackoff, TrimPolicy } from "../config/parsers";
import { JOB_RULES, type Resolved, validateOptions } from "../config/ranges";
import type { MoveEvent } from "../dead-letter/events";
import { ConfigError } from "../errors";
import type { MessageHandler } from "../handling/message";
import type { RequestBudget } from "../redis/budget";
import { SCRIPT_MAX_REQUESTS } from "../redis/script";
import { trimMaxRequests } from "../trim/trim";
import { pageMaxRequests } from "./pages";

/** The client methods the sweep uses. */
export type SweepRedis = Pick<Redis, "exec" | "pipeline" | "evalsha" | "eval">;

/** Something that happened during a sweep, for structured logs (one line each). */
export type SweepEvent =
  | { event: "claimed"; ids: string[] }
  /** The handler ran again on these (claimed entries not yet exhausted). */
  | { event: "retried"; ids: string[] }
  | { event: "handler_failed"; id: string; error: string }
  | MoveEvent
  /** Marked done by the idempotency guard: acked without running the handler again. */
  | { event: "already_done"; ids: string[] }
  /** The page's ack request failed and was sent once more. */
  | { event: "ack_retried"; ids: string[]; error: string }
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
  /**
   * Honour the delays handlers asked for (`RetryLaterError`, the Queues API's
   * `retry({ delaySeconds })`): an entry whose failure record says it is not due yet is not
   * claimed. Each page then reads the group's failure records with its listing (`HGETALL`,
   * same request) and lists with `XPENDING ... IDLE` whatever RETRY_BACKOFF is. @default false
   */
  retryDelays?: boolean;
  /** Cap of the exponential backoff. @default 3600000 */
  maxBackoffMs?: number;
  /** Handler calls in flight at once. @default 10 */
  concurrency?: number;
  /** Most HTTP requests this run makes, never exceeded. @default 1000 */
  maxRequests?: number;
  /**
   * A budget shared with other runs of the invocation (a `RequestPool` share, one per stream
   * of a tick): counted against instead of a budget of `maxRequests` of its own.
   */
  budget?: RequestBudget;
  /**
   * Seconds a success is remembered (the drain's idempotency guard): a claimed entry marked
   * done is acked without running the handler, never dead-lettered, and a success here is
   * marked too. 0 = off. @default 0
   */
  idempotencyTtlS?: number;
  /** What to trim after the pages. @default { kind: "none" } */
  trim?: TrimPolicy;
  /**
   * Capacity of the dead-letter stream: once it holds this many, exhausted entries stay
   * pending (`dlq_full`); it is never trimmed. @default 100000
   */
  dlqMaxLen?: number;
  /** Entries per XAUTOCLAIM / XPENDING call. @default 100 */
  pageSize?: number;
  /** Stops starting pages; passed on to handlers. */
  signal?: AbortSignal;
  onEvent?: (event: SweepEvent) => void;
};

export type ResolvedSweepOptions = Resolved<
  SweepOptions,
  "signal" | "onEvent" | "dlqStream" | "budget" | "retryDelays"
>;

/**
 * Requests a sweep keeps back from its pages for what runs after them: consumer hygiene and
 * the group's resume point (one script call each) and the trim.
 */
export function sweepTailRequests(trim: TrimPolicy): number {
  return 2 * SCRIPT_MAX_REQUESTS + trimMaxRequests(trim);
}

/**
 * The fewest `maxRequests` with which a sweep still claims and settles a first page of
 * `firstPage` entries: the cursor read, the page's worst case and {@link sweepTailRequests}.
 * Below it every run stops with `requests` before its first page: nothing pending is ever
 * retried.
 * @param firstPage `min(pageSize, count)`; @default 1
 */
export function sweepMinRequests(trim: TrimPolicy, firstPage = 1): number {
  return 1 + pageMaxRequests(firstPage) + sweepTailRequests(trim);
}

/** Refuses a `maxRequests` below {@link sweepMinRequests}, once the ranges are checked. */
function refuseTooFewRequests(o: SweepOptions): void {
  const maxRequests = o.maxRequests ?? DEFAULTS.maxRequests;
  const firstPage = Math.min(o.pageSize ?? DEFAULTS.sweepPageSize, o.count ?? DEFAULTS.maxMessages);
  const least = sweepMinRequests(o.trim ?? { kind: "none" }, firstPage);
  if (maxRequests < least) {
    throw new ConfigError(
      "maxRequests",
      `maxRequests must be at least ${least} for a sweep to claim and settle one page (cursor read, claim, dead letters, ack, then hygiene and trim), got ${maxRequests}`,
    );
  }
}

/**
 * Applies the defaults and refuses values that cannot work, naming the option, the value
 * and what is expected: the same rules and ranges as the drain's, and a `maxRequests` of at
 * least {@link sweepMinRequests}.
 * @throws ConfigError
 */
export function resolveSweepOptions(o: SweepOptions): ResolvedSweepOptions {
  validateOptions(o, {
    integers: [
      ...(["minIdleMs", "maxDeliveries", "timeBudgetMs", "consumerRetentionMs"] as const),
      ...(["maxBackoffMs", "concurrency", "maxRequests", "dlqMaxLen", "idempotencyTtlS"] as const),
      ["count", "maxMessages"],
      ["pageSize", "sweepPageSize"],
    ],
    ...JOB_RULES,
    oneOf: { retryBackoff: ["fixed", "exponential"] },
  });
  refuseTooFewRequests(o);
  const set = withDefaults(o, [
    ...(["minIdleMs", "maxDeliveries", "timeBudgetMs", "consumerRetentionMs"] as const),
    ...(["retryBackoff", "maxBackoffMs", "concurrency", "maxRequests", "dlqMaxLen"] as const),
    "idempotencyTtlS",
  ]);
  return {
    ...set,
    count: o.count ?? DEFAULTS.maxMessages,
    pageSize: o.pageSize ?? DEFAULTS.sweepPageSize,
    trim: o.trim ?? { kind: "none" },
  };
}
