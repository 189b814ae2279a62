/** @module Options of the drain, its events and its report: their defaults and validation. */
import type { Redis } from "@upstash/redis";
import { DEFAULTS, withDefaults } from "../config/defaults";
import { JOB_RULES, type Resolved, validateOptions } from "../config/ranges";
import type { MoveEvent } from "../dead-letter/events";
import { ConfigError, type ReportError } from "../errors";
import type { MessageHandler } from "../handling/message";
import type { RequestBudget } from "../redis/budget";

/** The client methods the drain uses. */
export type DrainRedis = Pick<Redis, "exec" | "pipeline" | "evalsha" | "eval">;

/** Something that happened during a drain, for structured logs (one line each). */
export type DrainEvent =
  | { event: "handler_failed"; id: string; error: string }
  | MoveEvent
  | { event: "lease_renewed"; ids: string[] }
  /** A sweep claimed these while their handlers ran (the renewal came late): a duplicate run. */
  | { event: "lease_lost"; ids: string[] }
  | { event: "ack_failed"; ids: string[]; error: string }
  /** Delayed messages that came due were moved into the stream, to be read next. */
  | { event: "delayed_promoted"; moved: number }
  /**
   * No request was left for the final ack of these handled entries (the invocation's
   * MAX_REQUESTS ran out): they stay pending, and the sweep runs their handler again.
   */
  | { event: "acks_left_pending"; ids: string[] }
  /**
   * Failed entries filled `from`'s PEL up to the per-consumer limit: reading goes on as
   * `to`; the `pending` failed entries stay with `from` for the sweep.
   */
  | { event: "consumer_rotated"; from: string; to: string; pending: number }
  | { event: "redis_error"; error: string }
  /**
   * The drain created the group: at `startId` (GROUP_START_ID), after `startedAfter`, the
   * stream's top id when `startId` is `$`: entries up to it are not delivered to the group.
   */
  | {
      /**
       * `group_recreated`: the group had existed and was gone (destroyed, or its stream
       * deleted): recreated after its recorded resume point `startId` (or `0`), so what
       * arrived meanwhile is delivered; entries read since that point come again.
       */
      event: "group_created" | "group_recreated";
      stream: string;
      group: string;
      startId: string;
      startedAfter: string;
    };

export type DrainOptions = {
  redis: DrainRedis;
  stream: string;
  group: string;
  /** This invocation's consumer name (see `cronConsumerName`, `httpConsumerName`). */
  consumer: string;
  handler: MessageHandler;
  /** COUNT of one XREADGROUP. @default 50 */
  batchSize?: number;
  /** Most messages this drain reads. @default 1000 */
  maxMessages?: number;
  /** Stops reading when less is left than the slowest batch took. @default 25000 */
  timeBudgetMs?: number;
  /** Handler calls in flight at once. @default 10 */
  concurrency?: number;
  /** Most HTTP requests this drain makes, final ack included. @default 1000 */
  maxRequests?: number;
  /**
   * A budget shared with other runs of the invocation (a `RequestPool` share, one per stream
   * of a tick): counted against instead of a budget of `maxRequests` of its own.
   */
  budget?: RequestBudget;
  /** Fire-and-forget reads: nothing pending, nothing acked or retried. @default false */
  noAck?: boolean;
  /**
   * Seconds a success is remembered (a done mark, sent with its ack and again on its own if
   * that request fails): an entry read again within them (after a group reset, or by the
   * sweep when its ack was lost) is acked without running the handler. Give the sweep the
   * same value. 0 = off. @default 0
   */
  idempotencyTtlS?: number;
  /** Idle time after which the sweep may claim an entry; the lease keeps below it. @default 60000 */
  minIdleMs?: number;
  /** Re-claim a running handler's entry this often. @default minIdleMs / 2 */
  leaseMs?: number;
  /** @default `${stream}:dlq` */
  dlqStream?: string;
  /**
   * Capacity of the dead-letter stream: once it holds this many, due entries stay pending
   * (NOACK failures, pending nowhere, are added anyway); it is never trimmed. @default 100000
   */
  dlqMaxLen?: number;
  /** Where the group starts if the drain has to create it. @default "$" */
  groupStartId?: string;
  /**
   * Move the stream's delayed messages (`createQueue().send(body, { delaySeconds })`) into
   * the stream once due: the first read, and reads after the next one is due (or a second
   * after the last look), run the promote-due script in the same request first. @default false
   */
  delayed?: boolean;
  /**
   * Keep polling: after an empty read, read again while something arrived within the last
   * `idleMs` (a drain whose first read is empty stops at once). Absent: the first empty read
   * ends the drain.
   */
  poll?: DrainPoll;
  /** Called after each read that returned entries (the fan-out controller's input). */
  onBatch?: (batch: DrainBatch) => void;
  /**
   * Called once, after the first read that returned entries; the next read waits for it
   * (the batch's handlers do not). Resolving `false` stops reading as `maxMessages` would
   * (`stoppedBy: "max"`): what was read is still handled and acked. A rejection ends the run
   * as a failed request does. The Worker takes its drain's slot here, so a drain that finds
   * nothing makes no slot call.
   */
  onFirstEntries?: () => Promise<boolean>;
  /**
   * Stops reading new batches (a poll's wait ends at once); handlers already started finish
   * and are acked.
   */
  signal?: AbortSignal;
  onEvent?: (event: DrainEvent) => void;
};

/** Polling of a continuous drain. */
export type DrainPoll = {
  /** Wait after the first empty read; doubles on each empty read after it. @default 50 */
  minMs?: number;
  /** Longest wait between two reads. @default 500 */
  maxMs?: number;
  /** Polling stops once nothing has arrived for this long (`stoppedBy: "idle"`). @default 10000 */
  idleMs?: number;
};

export type ResolvedPoll = Required<DrainPoll>;

/** One read that returned entries, as `onBatch` sees it. */
export type DrainBatch = {
  /** Entries this read returned. */
  read: number;
  /** The COUNT it asked for: `read === count` means the stream may hold more. */
  count: number;
  /** Id of the newest entry read, `null` when none. */
  newestId: string | null;
  /** Since the drain started. */
  elapsedMs: number;
  /** What is left of `timeBudgetMs`. */
  remainingMs: number;
  /** Entries read by this drain so far, this read included. */
  readSoFar: number;
};

/** Why a drain stopped reading. */
export type DrainStop = "empty" | "idle" | "max" | "budget" | "aborted" | "requests" | "error";

export type DrainReport = {
  consumer: string;
  /** Every consumer name the run read as, when it had to move on to fresh ones. */
  consumers?: string[];
  read: number;
  acked: number;
  failed: number;
  deadLettered: number;
  /** Acked without running the handler: marked done by the idempotency guard, or no fields. */
  skipped: number;
  batches: number;
  /** Reads that returned nothing, the final one included. */
  emptyPolls: number;
  requests: number;
  durationMs: number;
  stoppedBy: DrainStop;
  /** Most handler calls seen in flight at once. */
  peakConcurrency: number;
  /** Set when a Redis request failed; what was not acked stays pending for the sweep. */
  error?: ReportError;
};

type Open =
  | "signal"
  | "onEvent"
  | "dlqStream"
  | "onBatch"
  | "onFirstEntries"
  | "poll"
  | "budget"
  | "delayed";

export type ResolvedDrainOptions = Omit<Resolved<DrainOptions, Open>, "poll"> & {
  poll: ResolvedPoll | undefined;
};

/**
 * Applies the defaults and refuses values that cannot work, naming the option, the value
 * and what is expected.
 * @throws ConfigError
 */
export function resolveDrainOptions(o: DrainOptions): ResolvedDrainOptions {
  // The poll's fields under dotted names, so one error lists them with the rest.
  const poll = {
    "poll.minMs": o.poll?.minMs,
    "poll.maxMs": o.poll?.maxMs,
    "poll.idleMs": o.poll?.idleMs,
  };
  validateOptions(
    { ...o, ...poll },
    {
      integers: [
        ...(["batchSize", "maxMessages", "timeBudgetMs", "concurrency", "maxRequests"] as const),
        ...(["idempotencyTtlS", "minIdleMs", "leaseMs", "dlqMaxLen"] as const),
        ["poll.minMs", "pollMinMs"],
        ["poll.maxMs", "pollMaxMs"],
        ["poll.idleMs", "pollIdleMs"],
      ],
      ...JOB_RULES,
    },
  );
  const set = withDefaults(o, [
    ...(["batchSize", "maxMessages", "timeBudgetMs", "concurrency", "maxRequests"] as const),
    ...(["noAck", "idempotencyTtlS", "minIdleMs", "dlqMaxLen", "groupStartId"] as const),
  ]);
  return { ...set, leaseMs: o.leaseMs ?? set.minIdleMs / 2, poll: resolvePoll(o.poll) };
}

function resolvePoll(poll: DrainPoll | undefined): ResolvedPoll | undefined {
  if (poll === undefined) {
    return undefined;
  }
  const resolved = {
    minMs: poll.minMs ?? DEFAULTS.pollMinMs,
    maxMs: poll.maxMs ?? DEFAULTS.pollMaxMs,
    idleMs: poll.idleMs ?? DEFAULTS.pollIdleMs,
  };
  if (resolved.minMs > resolved.maxMs) {
    throw new ConfigError(
      ["poll.minMs", "poll.maxMs"],
      `poll.minMs must not exceed poll.maxMs, got ${resolved.minMs} and ${resolved.maxMs}`,
    );
  }
  return resolved;
}
