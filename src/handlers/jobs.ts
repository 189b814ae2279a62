/** @module The two jobs (drain, sweep) built from the resolved config, shared by cron and HTTP. */
import type { Redis } from "@upstash/redis/cloudflare";
import {
  ConfigError,
  type DrainReport,
  drain,
  type MessageHandler,
  type ResolvedConfig,
  type SweepReport,
  sweep,
} from "../lib/index";
import { log, logError } from "./log";
import { createWebhookHandler } from "./webhook-handler";

/**
 * The user's handler, else the webhook handler when TARGET_URL is set. Neither: the job
 * refuses to start, because acking messages nobody processed would lose them.
 * @throws ConfigError
 */
export function resolveHandler(config: ResolvedConfig, handler?: MessageHandler): MessageHandler {
  if (handler) {
    return handler;
  }
  if (config.targetUrl) {
    return createWebhookHandler({ targetUrl: config.targetUrl, timeoutMs: config.targetTimeoutMs });
  }
  throw new ConfigError(
    "TARGET_URL",
    "TARGET_URL is not set and no handler was given: nothing would process the messages, so none are read",
  );
}

export type JobInput = {
  config: ResolvedConfig;
  redis: Redis;
  consumer: string;
  handler: MessageHandler;
  signal?: AbortSignal;
};

/** Events logged at error level: data at risk, or a state an operator did not choose. */
const LOUD = new Set(["group_recreated", "redis_error", "dlq_full", "dead_letter_failed"]);

/** What both jobs take from the config: the stream, its group and their shared limits. */
function common(input: JobInput) {
  const { config: c } = input;
  return {
    redis: input.redis,
    stream: c.stream,
    group: c.group,
    consumer: input.consumer,
    handler: input.handler,
    concurrency: c.concurrency,
    maxRequests: c.maxRequests,
    minIdleMs: c.minIdleMs,
    dlqStream: c.dlqStream,
    dlqMaxLen: c.dlqMaxLen,
    signal: input.signal,
    // Each event is one log line, tagged with the invocation's consumer; the ones an
    // operator must see go out at error level.
    onEvent: ({ event, ...rest }: { event: string }) =>
      (LOUD.has(event) ? logError : log)(event, { consumer: input.consumer, ...rest }),
  };
}

/** One drain with the configured limits; `max`/`budgetMs` narrow them (HTTP query). */
export async function runDrain(
  input: JobInput & { max?: number; budgetMs?: number },
): Promise<DrainReport> {
  const { config: c } = input;
  const report = await drain({
    ...common(input),
    batchSize: c.batchSize,
    maxMessages: input.max ?? c.maxMessages,
    timeBudgetMs: input.budgetMs ?? c.timeBudgetMs,
    noAck: c.noAck,
    idempotencyTtlS: c.idempotencyTtlS,
    groupStartId: c.groupStartId,
  });
  log("drain", { ...report });
  return report;
}

/** One sweep with the configured limits. */
export async function runSweep(input: JobInput): Promise<SweepReport> {
  const { config: c } = input;
  const report = await sweep({
    ...common(input),
    maxDeliveries: c.maxDeliveries,
    count: c.maxMessages,
    timeBudgetMs: c.timeBudgetMs,
    consumerRetentionMs: c.consumerRetentionMs,
    retryBackoff: c.retryBackoff,
    maxBackoffMs: c.maxBackoffMs,
    trim: c.trim,
    idempotencyTtlS: c.idempotencyTtlS,
  });
  log("sweep", { ...report });
  return report;
}
