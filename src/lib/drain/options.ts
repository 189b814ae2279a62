/** @module Options of the drain, its events and its report: their defaults and validation. */
import type { Redis } from "@upstash/redis";
import { withDefaults } from "../config/defaults";
import { JOB_RULES, type Resolved, validateOptions } from "../config/ranges";
import type { ReportError } from "../errors";
import type { MessageHandler } from "../handling/message";

/** The client methods the drain uses. */
export type DrainRedis = Pick<Redis, "exec" | "pipeline" | "evalsha" | "eval">;

/** Something that happened during a drain, for structured logs (one line each). */
export type DrainEvent =
  | { event: "handler_failed"; id: string; error: string }
  | { event: "dead_lettered"; ids: string[] }
  | { event: "lease_renewed"; ids: string[] }
  /** A sweep claimed these while their handlers ran (the renewal came late): a duplicate run. */
  | { event: "lease_lost"; ids: string[] }
  | { event: "ack_failed"; ids: string[]; error: string }
  | { event: "redis_error"; error: string }
  /**
   * The drain created the group: at `startId` (GROUP_START_ID), after `startedAfter`, the
   * stream's top id when `startId` is `$`: entries up to it are not delivered to the group.
   */
  | {
      event: "group_created";
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
  /** Fire-and-forget reads: nothing pending, nothing acked or retried. @default false */
  noAck?: boolean;
  /**
   * Seconds a success is remembered (written with its ack) so that this drain acks an id it
   * reads again within them (e.g. after a group reset) without running the handler; the
   * sweep does not check it. 0 = off. @default 0
   */
  idempotencyTtlS?: number;
  /** Idle time after which the sweep may claim an entry; the lease keeps below it. @default 60000 */
  minIdleMs?: number;
  /** Re-claim a running handler's entry this often. @default minIdleMs / 2 */
  leaseMs?: number;
  /** @default `${stream}:dlq` */
  dlqStream?: string;
  /** Approximate cap of the dead-letter stream. @default 100000 */
  dlqMaxLen?: number;
  /** Where the group starts if the drain has to create it. @default "$" */
  groupStartId?: string;
  /** Stops reading new batches; handlers already started finish and are acked. */
  signal?: AbortSignal;
  onEvent?: (event: DrainEvent) => void;
};

/** Why a drain stopped reading. */
export type DrainStop = "empty" | "max" | "budget" | "aborted" | "requests" | "error";

export type DrainReport = {
  consumer: string;
  read: number;
  acked: number;
  failed: number;
  deadLettered: number;
  /** Acked without running the handler: marked done by the idempotency guard, or no fields. */
  skipped: number;
  batches: number;
  requests: number;
  durationMs: number;
  stoppedBy: DrainStop;
  /** Most handler calls seen in flight at once. */
  peakConcurrency: number;
  /** Set when a Redis request failed; what was not acked stays pending for the sweep. */
  error?: ReportError;
};

export type ResolvedDrainOptions = Resolved<DrainOptions, "signal" | "onEvent" | "dlqStream">;

/**
 * Applies the defaults and refuses values that cannot work, naming the option, the value
 * and what is expected.
 * @throws ConfigError
 */
export function resolveDrainOptions(o: DrainOptions): ResolvedDrainOptions {
  validateOptions(o, {
    integers: [
      ...(["batchSize", "maxMessages", "timeBudgetMs", "concurrency", "maxRequests"] as const),
      ...(["idempotencyTtlS", "minIdleMs", "leaseMs", "dlqMaxLen"] as const),
    ],
    ...JOB_RULES,
  });
  const set = withDefaults(o, [
    ...(["batchSize", "maxMessages", "timeBudgetMs", "concurrency", "maxRequests"] as const),
    ...(["noAck", "idempotencyTtlS", "minIdleMs", "dlqMaxLen", "groupStartId"] as const),
  ]);
  return { ...set, leaseMs: o.leaseMs ?? set.minIdleMs / 2 };
}
