/** @module Defaults of every option and variable; the only place they live. */

/**
 * Default values of the configuration (the environment variables and the library options
 * behind them) and of the page sizes. Nothing else in the code base may hard-code these:
 * import them from here. Their ranges live beside them in `ranges.ts`.
 */
export const DEFAULTS = {
  /** COUNT of one XREADGROUP. */
  batchSize: 50,
  /** Most messages one invocation reads. */
  maxMessages: 1000,
  /** Stop reading new batches when the rest of this budget is too short for one more. */
  timeBudgetMs: 25_000,
  /** Handler calls in flight at once. */
  concurrency: 10,
  /** A pending entry idle this long may be reclaimed. */
  minIdleMs: 60_000,
  /**
   * Failed handler runs after which a message is dead-lettered: failures are counted, not
   * deliveries (a delivery whose reply was lost ran no handler).
   */
  maxDeliveries: 3,
  /**
   * Capacity of the dead-letter stream. It is never trimmed: once full, messages due for it
   * stay pending in their group rather than push older dead letters out.
   */
  dlqMaxLen: 100_000,
  /** Idle consumers with no pending entries older than this are deleted. */
  consumerRetentionMs: 3_600_000,
  /** TTL of the idempotency marker, checked by the drain and the sweep; 0 turns the guard off. */
  idempotencyTtlS: 0,
  /**
   * Fire-and-forget reads: nothing enters the PEL, so nothing is retried; a failed handler's
   * message is dead-lettered at once (`noack_failed`).
   */
  noAck: false,
  /**
   * Trimming after a sweep: `none`, `acked` or `maxlen:N`. Neither trims an entry some group
   * has pending or not yet read.
   */
  trim: "none",
  /** Per-delivery timeout of the webhook POST. */
  targetTimeoutMs: 10_000,
  /** `fixed` or `exponential` reclaim schedule. */
  retryBackoff: "exponential",
  /** Cap of the exponential backoff. */
  maxBackoffMs: 3_600_000,
  /**
   * Most Upstash HTTP requests one drain, and one sweep, makes (Cloudflare caps subrequests
   * per invocation).
   */
  maxRequests: 1000,
  /** Cron expression that runs the drain. */
  consumeCron: "* * * * *",
  /** Cron expression that runs the sweep. */
  sweepCron: "*/5 * * * *",
  /** Where a newly created group starts (`$` = only new entries). */
  groupStartId: "$",
  /**
   * `continuous`: a cron drain keeps polling while messages keep arriving, up to
   * cronBudgetMs, and starts more drains when one cannot keep up; `cron`: one bounded drain
   * per tick, as a tick's only reader.
   */
  drainMode: "continuous",
  /** Wait after the first empty read while polling; doubles on each empty read after it. */
  pollMinMs: 50,
  /** Longest wait between polls: a busy stream's message waits at most about this long. */
  pollMaxMs: 500,
  /**
   * Polling stops once nothing has arrived for this long, and a drain whose first read is
   * empty stops at once: an idle stream costs one read per tick.
   */
  pollIdleMs: 10_000,
  /**
   * Time budget of a cron drain in continuous mode: one cron period, so a busy stream is
   * drained without a gap between ticks (the next tick's drain overlaps this one's end by
   * the tick's jitter, both within MAX_PARALLEL_DRAINS).
   */
  cronBudgetMs: 60_000,
  /** Most drains running at once on one stream's group, across all invocations. */
  maxParallelDrains: 4,
  /** Seconds a publish's idempotency key is remembered: a retry within them adds nothing. */
  publishIdempotencyTtlS: 86_400,
  /** Largest message POST /publish takes, in bytes of its JSON. */
  maxMessageBytes: 1024 * 1024,
  /** Pending entries one sweep page claims (one XAUTOCLAIM, or XPENDING + XCLAIM). */
  sweepPageSize: 100,
  /**
   * Upstash's per-consumer PEL limit: a read that would pass it is refused, so the drain
   * shrinks its COUNT, then reads on under a fresh consumer name.
   */
  consumerPelLimit: 1000,
  /** Dead letters one `GET /dlq` lists without `count`. */
  dlqPageSize: 50,
  /** Dead letters one redrive moves without `count`. */
  redrivePageSize: 100,
  /**
   * A consumer idle this long while owning pending entries is flagged in stats and on the
   * dashboard as "may be dead" (the classic XINFO monitoring rule: 5 minutes).
   */
  alertIdleMs: 300_000,
  /** Delayed messages one promotion moves into the stream (one script run). */
  promoteBatch: 100,
  /**
   * Queues API: seconds a retried message waits at least (a `retry()` without a delay, or the
   * messages of a batch whose handler threw); 0 = only the usual backoff.
   */
  retryDelayS: 0,
  /** Queues API: how long a batch waits for more messages once it has one; 0 = one read. */
  maxBatchTimeoutMs: 0,
  /** Queues API: the field whose JSON is a message's `body`. */
  queueBodyField: "body",
  /**
   * Snapshots of each group's history kept, one a minute (24 h), recorded after every drain
   * and sweep for the dashboard's charts; 0 turns recording off.
   */
  historyMinutes: 1440,
} as const;

/** Type of {@link DEFAULTS}. */
export type Defaults = typeof DEFAULTS;

/**
 * `options` with every listed option that is unset (`undefined`) taken from {@link DEFAULTS}
 * under the same name: the one way the drain and the sweep apply their defaults.
 */
export function withDefaults<O extends object, K extends keyof O & keyof Defaults>(
  options: O,
  names: readonly K[],
): O & { [P in K]-?: Exclude<O[P], undefined> } {
  const out: Record<string, unknown> = { ...(options as Record<string, unknown>) };
  for (const name of names) {
    out[name as string] ??= DEFAULTS[name];
  }
  return out as O & { [P in K]-?: Exclude<O[P], undefined> };
}
