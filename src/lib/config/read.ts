/** @module One stream's configuration: its type, and how it is read out of an env. */

import { streamKeys } from "../redis/keys";
import { sweepMinRequests } from "../sweep/options";
import { DEFAULTS } from "./defaults";
import type { EnvReader } from "./env-reader";
import {
  backoff,
  bearerToken,
  cron,
  type DrainMode,
  drainMode,
  flag,
  groupStartId,
  httpUrl,
  integer,
  keyName,
  type RetryBackoff,
  type TrimPolicy,
  trim,
} from "./parsers";
import { CONFIG_RANGES } from "./variables";

/** The validated configuration, every default applied. */
export type ResolvedConfig = {
  url: string;
  token: string;
  stream: string;
  group: string;
  groupStartId: string;
  batchSize: number;
  maxMessages: number;
  timeBudgetMs: number;
  concurrency: number;
  minIdleMs: number;
  maxDeliveries: number;
  dlqStream: string;
  dlqMaxLen: number;
  consumerRetentionMs: number;
  idempotencyTtlS: number;
  noAck: boolean;
  trim: TrimPolicy;
  adminToken: string | undefined;
  targetUrl: string | undefined;
  targetTimeoutMs: number;
  retryBackoff: RetryBackoff;
  maxBackoffMs: number;
  maxRequests: number;
  consumeCron: string;
  sweepCron: string;
  drainMode: DrainMode;
  pollMinMs: number;
  pollMaxMs: number;
  pollIdleMs: number;
  cronBudgetMs: number;
  maxParallelDrains: number;
  publishToken: string | undefined;
  maxMessageBytes: number;
  retryDelayS: number;
  maxBatchTimeoutMs: number;
  queueBodyField: string;
  historyMinutes: number;
  alertIdleMs: number;
};

const trimText = (t: TrimPolicy): string => (t.kind === "maxlen" ? `maxlen:${t.maxLen}` : t.kind);

/**
 * One stream's configuration read through `r`, problems collected in it rather than thrown:
 * {@link parseConfig} for STREAM/GROUP, and once per entry of STREAMS (`streams.ts`).
 */
export function readConfig(r: EnvReader): ResolvedConfig {
  const int = (name: keyof typeof CONFIG_RANGES, fallback: number): number =>
    r.withDefault(name, integer(CONFIG_RANGES[name]), fallback);

  const stream = r.required("STREAM", keyName);
  const group = r.required("GROUP", keyName);
  const dlqStream = r.optional("DLQ_STREAM", keyName);
  const config: ResolvedConfig = {
    url: r.required("UPSTASH_REDIS_REST_URL", httpUrl).trim(),
    token: r.required("UPSTASH_REDIS_REST_TOKEN", bearerToken),
    stream,
    group,
    groupStartId: r.withDefault("GROUP_START_ID", groupStartId, DEFAULTS.groupStartId),
    batchSize: int("BATCH_SIZE", DEFAULTS.batchSize),
    maxMessages: int("MAX_MESSAGES", DEFAULTS.maxMessages),
    timeBudgetMs: int("TIME_BUDGET_MS", DEFAULTS.timeBudgetMs),
    concurrency: int("CONCURRENCY", DEFAULTS.concurrency),
    minIdleMs: int("MIN_IDLE_MS", DEFAULTS.minIdleMs),
    maxDeliveries: int("MAX_DELIVERIES", DEFAULTS.maxDeliveries),
    dlqStream: streamKeys(stream, group, dlqStream).dlq,
    dlqMaxLen: int("DLQ_MAXLEN", DEFAULTS.dlqMaxLen),
    consumerRetentionMs: int("CONSUMER_RETENTION_MS", DEFAULTS.consumerRetentionMs),
    idempotencyTtlS: int("IDEMPOTENCY_TTL_S", DEFAULTS.idempotencyTtlS),
    noAck: r.withDefault("NOACK", flag, DEFAULTS.noAck),
    trim: r.withDefault("TRIM", trim, DEFAULTS.trim),
    adminToken: r.optional("ADMIN_TOKEN", bearerToken),
    targetUrl: r.optional("TARGET_URL", httpUrl)?.trim(),
    targetTimeoutMs: int("TARGET_TIMEOUT_MS", DEFAULTS.targetTimeoutMs),
    retryBackoff: r.withDefault("RETRY_BACKOFF", backoff, DEFAULTS.retryBackoff),
    maxBackoffMs: int("MAX_BACKOFF_MS", DEFAULTS.maxBackoffMs),
    maxRequests: int("MAX_REQUESTS", DEFAULTS.maxRequests),
    consumeCron: r.withDefault("CONSUME_CRON", cron, DEFAULTS.consumeCron),
    sweepCron: r.withDefault("SWEEP_CRON", cron, DEFAULTS.sweepCron),
    drainMode: r.withDefault("DRAIN_MODE", drainMode, DEFAULTS.drainMode),
    pollMinMs: int("POLL_MIN_MS", DEFAULTS.pollMinMs),
    pollMaxMs: int("POLL_MAX_MS", DEFAULTS.pollMaxMs),
    pollIdleMs: int("POLL_IDLE_MS", DEFAULTS.pollIdleMs),
    cronBudgetMs: int("CRON_BUDGET_MS", DEFAULTS.cronBudgetMs),
    maxParallelDrains: int("MAX_PARALLEL_DRAINS", DEFAULTS.maxParallelDrains),
    publishToken: r.optional("PUBLISH_TOKEN", bearerToken),
    maxMessageBytes: int("MAX_MESSAGE_BYTES", DEFAULTS.maxMessageBytes),
    retryDelayS: int("RETRY_DELAY_S", DEFAULTS.retryDelayS),
    maxBatchTimeoutMs: int("MAX_BATCH_TIMEOUT_MS", DEFAULTS.maxBatchTimeoutMs),
    queueBodyField: r.withDefault("QUEUE_BODY_FIELD", keyName, DEFAULTS.queueBodyField),
    historyMinutes: int("HISTORY_MINUTES", DEFAULTS.historyMinutes),
    alertIdleMs: int("ALERT_IDLE_MS", DEFAULTS.alertIdleMs),
  };

  refuseCombinations(r, config, dlqStream);
  return config;
}

/** Problems of two variables together, each said with the names the user wrote. */
function refuseCombinations(r: EnvReader, config: ResolvedConfig, dlqStream?: string): void {
  if (config.pollMinMs > config.pollMaxMs) {
    r.refuse(
      "POLL_MIN_MS",
      `${r.label("POLL_MIN_MS")} must not exceed ${r.label("POLL_MAX_MS")}, got ${config.pollMinMs} and ${config.pollMaxMs}`,
    );
  }
  // A DLQ equal to the stream would feed dead letters back to the handler forever.
  if (dlqStream !== undefined && dlqStream === config.stream) {
    r.refuse(
      "DLQ_STREAM",
      `${r.label("DLQ_STREAM")} must differ from ${r.label("STREAM")}, got ${r.shown("DLQ_STREAM")}`,
    );
  }
  // Trimming takes requests of its own at the end of every sweep, on top of one page.
  const least = sweepMinRequests(config.trim, DEFAULTS.sweepPageSize);
  if (!r.failed("MAX_REQUESTS") && config.maxRequests < least) {
    r.refuse(
      "MAX_REQUESTS",
      `${r.label("MAX_REQUESTS")} must be at least ${least} with ${r.label("TRIM")}=${trimText(config.trim)}: one sweep page and the trim after it need that many requests, got ${config.maxRequests}`,
    );
  }
}
