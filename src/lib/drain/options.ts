/** @module Options of the drain: their defaults (from DEFAULTS) and validation. */
import type { Redis } from "@upstash/redis";
import { DEFAULTS } from "../config/defaults";
import { ConfigError } from "../errors";
import type { MessageHandler } from "../handling/message";

export type ConsumeRedis = Pick<
  Redis,
  "pipeline" | "exec" | "xgroup" | "mget" | "evalsha" | "eval"
>;

/** Something that happened during a drain, for structured logs. */
export type DrainEvent =
  | { event: "handler_failed"; id: string; error: string }
  | { event: "dead_lettered"; ids: string[] }
  | { event: "lease_renewed"; ids: string[] }
  /** A sweep claimed these while their handlers ran (the renewal came late): a duplicate run. */
  | { event: "lease_lost"; ids: string[] }
  | { event: "ack_failed"; ids: string[]; error: string }
  | { event: "redis_error"; error: string }
  | { event: "group_created"; stream: string; group: string };

export type ConsumeOptions = {
  redis: ConsumeRedis;
  stream: string;
  group: string;
  /** This invocation's consumer name (consumer-name.ts). */
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
  /** Seconds a success is remembered so a redelivery is skipped; 0 = off. @default 0 */
  idempotencyTtlS?: number;
  /** Used for the lease default. @default 60000 */
  minIdleMs?: number;
  /** Re-claim a running handler's entry this often. @default minIdleMs / 2 */
  leaseMs?: number;
  /** @default `${stream}:dlq` */
  dlqStream?: string;
  /** @default 100000 */
  dlqMaxLen?: number;
  /** Where the group starts if the drain has to create it. @default "$" */
  groupStartId?: string;
  /** Stops reading new batches; handlers already started finish and are acked. */
  signal?: AbortSignal;
  onEvent?: (event: DrainEvent) => void;
};

export type ResolvedDrainOptions = Required<
  Omit<ConsumeOptions, "signal" | "onEvent" | "dlqStream">
> &
  Pick<ConsumeOptions, "signal" | "onEvent" | "dlqStream">;

/**
 * Applies the defaults of DESIGN section 3 and refuses values that cannot work, naming
 * the option, the value and what is expected.
 * @throws ConfigError
 */
export function resolveDrainOptions(o: ConsumeOptions): ResolvedDrainOptions {
  const problems = [
    check("batchSize", o.batchSize, 1, 10_000),
    check("maxMessages", o.maxMessages, 1, 1_000_000),
    check("timeBudgetMs", o.timeBudgetMs, 1, 900_000),
    check("concurrency", o.concurrency, 1, 1000),
    check("maxRequests", o.maxRequests, 3, 100_000),
    check("idempotencyTtlS", o.idempotencyTtlS, 0, 30 * 86_400),
    check("minIdleMs", o.minIdleMs, 1, 7 * 86_400_000),
    check("leaseMs", o.leaseMs, 1, 7 * 86_400_000),
    check("dlqMaxLen", o.dlqMaxLen, 1, 1_000_000_000),
  ].filter((p): p is [string, string] => p !== null);
  for (const [name, value] of [
    ["stream", o.stream],
    ["group", o.group],
    ["consumer", o.consumer],
  ] as const) {
    if (typeof value !== "string" || value === "") {
      problems.push([name, `${name} must be a non-empty string, got ${JSON.stringify(value)}`]);
    }
  }
  if (typeof o.handler !== "function") {
    problems.push(["handler", "handler must be a function"]);
  }
  if (problems.length > 0) {
    throw new ConfigError(
      problems.map(([n]) => n),
      problems.map(([, t]) => t).join("; "),
    );
  }
  const minIdleMs = o.minIdleMs ?? DEFAULTS.minIdleMs;
  return {
    ...o,
    batchSize: o.batchSize ?? DEFAULTS.batchSize,
    maxMessages: o.maxMessages ?? DEFAULTS.maxMessages,
    timeBudgetMs: o.timeBudgetMs ?? DEFAULTS.timeBudgetMs,
    concurrency: o.concurrency ?? DEFAULTS.concurrency,
    maxRequests: o.maxRequests ?? DEFAULTS.maxRequests,
    noAck: o.noAck ?? DEFAULTS.noAck,
    idempotencyTtlS: o.idempotencyTtlS ?? DEFAULTS.idempotencyTtlS,
    minIdleMs,
    leaseMs: o.leaseMs ?? minIdleMs / 2,
    dlqMaxLen: o.dlqMaxLen ?? DEFAULTS.dlqMaxLen,
    groupStartId: o.groupStartId ?? DEFAULTS.groupStartId,
  };
}

/** A problem text when `value` is set but not an integer within [min, max]. */
function check(
  name: string,
  value: number | undefined,
  min: number,
  max: number,
): [string, string] | null {
  if (value === undefined || (Number.isInteger(value) && value >= min && value <= max)) {
    return null;
  }
  return [
    name,
    `${name} must be an integer between ${min} and ${max}, got ${JSON.stringify(value)}`,
  ];
}
