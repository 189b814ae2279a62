/** @module The two jobs (drain, sweep) built from the resolved config, shared by cron and HTTP. */
import type { Redis } from "@upstash/redis/cloudflare";
import type { ResolvedConfig } from "../lib/config/env";
import { consumeBatch, type DrainReport } from "../lib/drain/drain";
import { ConfigError } from "../lib/errors";
import type { MessageHandler } from "../lib/handling/message";
import { type SweepReport, sweep } from "../lib/sweep/sweep";
import { log } from "./log";
import { createForwarder } from "./webhook-handler";

/**
 * The user's handler, else the webhook forwarder when TARGET_URL is set. Neither: the job
 * refuses to start, because acking messages nobody processed would lose them.
 * @throws ConfigError
 */
export function resolveHandler(config: ResolvedConfig, handler?: MessageHandler): MessageHandler {
  if (handler) {
    return handler;
  }
  if (config.targetUrl) {
    return createForwarder({ targetUrl: config.targetUrl, timeoutMs: config.targetTimeoutMs });
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

/** One drain with the configured limits; `max`/`budgetMs` narrow them (HTTP query). */
export async function runDrain(
  input: JobInput & { max?: number; budgetMs?: number },
): Promise<DrainReport> {
  const { config: c } = input;
  const report = await consumeBatch({
    redis: input.redis,
    stream: c.stream,
    group: c.group,
    consumer: input.consumer,
    handler: input.handler,
    batchSize: c.batchSize,
    maxMessages: input.max ?? c.maxMessages,
    timeBudgetMs: input.budgetMs ?? c.timeBudgetMs,
    concurrency: c.concurrency,
    maxRequests: c.maxRequests,
    noAck: c.noAck,
    idempotencyTtlS: c.idempotencyTtlS,
    minIdleMs: c.minIdleMs,
    dlqStream: c.dlqStream,
    dlqMaxLen: c.dlqMaxLen,
    groupStartId: c.groupStartId,
    signal: input.signal,
    onEvent: ({ event, ...rest }) => log(event, { consumer: input.consumer, ...rest }),
  });
  log("drain", { ...report });
  return report;
}

/** One sweep with the configured limits. */
export async function runSweep(input: JobInput): Promise<SweepReport> {
  const { config: c } = input;
  const report = await sweep({
    redis: input.redis,
    stream: c.stream,
    group: c.group,
    consumer: input.consumer,
    handler: input.handler,
    minIdleMs: c.minIdleMs,
    maxDeliveries: c.maxDeliveries,
    count: c.maxMessages,
    timeBudgetMs: c.timeBudgetMs,
    dlqStream: c.dlqStream,
    dlqMaxLen: c.dlqMaxLen,
    consumerRetentionMs: c.consumerRetentionMs,
    retryBackoff: c.retryBackoff,
    maxBackoffMs: c.maxBackoffMs,
    concurrency: c.concurrency,
    maxRequests: c.maxRequests,
    trim: c.trim,
    signal: input.signal,
  });
  log("sweep", { ...report });
  return report;
}
