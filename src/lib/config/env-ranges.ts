/** @module Ranges of the environment variables: the library's, under the variables' names. */
import { sweepMinRequests } from "../sweep/options";
import { DEFAULTS } from "./defaults";
import { configRange, RANGES } from "./ranges";

/** Fewest requests of a sweep of the default page size under each TRIM policy. */
export const SWEEP_MIN_REQUESTS = {
  none: sweepMinRequests({ kind: "none" }, DEFAULTS.sweepPageSize),
  maxlen: sweepMinRequests({ kind: "maxlen", maxLen: 1 }, DEFAULTS.sweepPageSize),
  acked: sweepMinRequests({ kind: "acked" }, DEFAULTS.sweepPageSize),
};

/**
 * Ranges enforced by the parser: the library's {@link RANGES} under the variables' names,
 * with their `configMin` where one is set (MIN_IDLE_MS). MAX_REQUESTS caps the sweep too, so
 * it starts at what one sweep page needs without trimming (TRIM raises it, see `parseConfig`).
 */
export const CONFIG_RANGES = {
  BATCH_SIZE: configRange(RANGES.batchSize),
  MAX_MESSAGES: configRange(RANGES.maxMessages),
  TIME_BUDGET_MS: configRange(RANGES.timeBudgetMs),
  CONCURRENCY: configRange(RANGES.concurrency),
  MIN_IDLE_MS: configRange(RANGES.minIdleMs),
  MAX_DELIVERIES: configRange(RANGES.maxDeliveries),
  DLQ_MAXLEN: configRange(RANGES.dlqMaxLen),
  CONSUMER_RETENTION_MS: configRange(RANGES.consumerRetentionMs),
  IDEMPOTENCY_TTL_S: configRange(RANGES.idempotencyTtlS),
  TARGET_TIMEOUT_MS: configRange(RANGES.targetTimeoutMs),
  MAX_BACKOFF_MS: configRange(RANGES.maxBackoffMs),
  MAX_REQUESTS: [SWEEP_MIN_REQUESTS.none, RANGES.maxRequests[1]],
  POLL_MIN_MS: configRange(RANGES.pollMinMs),
  POLL_MAX_MS: configRange(RANGES.pollMaxMs),
  POLL_IDLE_MS: configRange(RANGES.pollIdleMs),
  CRON_BUDGET_MS: configRange(RANGES.cronBudgetMs),
  MAX_PARALLEL_DRAINS: configRange(RANGES.maxParallelDrains),
  MAX_MESSAGE_BYTES: configRange(RANGES.maxMessageBytes),
  RETRY_DELAY_S: configRange(RANGES.delaySeconds),
  MAX_BATCH_TIMEOUT_MS: configRange(RANGES.maxBatchTimeoutMs),
  HISTORY_MINUTES: configRange(RANGES.historyMinutes),
  ALERT_IDLE_MS: configRange(RANGES.alertIdleMs),
} as const satisfies Record<string, readonly [number, number]>;

/** "at least 13 with TRIM=maxlen:N or acked", or each on its own when they differ. */
export function withTrim({ maxlen, acked }: typeof SWEEP_MIN_REQUESTS): string {
  return maxlen === acked
    ? `at least ${acked} with TRIM=maxlen:N or acked`
    : `at least ${maxlen} with TRIM=maxlen:N, ${acked} with TRIM=acked`;
}
