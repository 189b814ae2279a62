/** @module A Cloudflare Queues consumer (`queue(batch, env, ctx)`) as one stream's handler. */
import type { MessageHandler, ResolvedConfig } from "../lib/index";
import type { QueueBatch } from "../lib/queues/batch";
import { QueueConsumer, type QueueHandler } from "../lib/queues/consumer";

/**
 * A consumer as Cloudflare Queues calls it. Declared as a method so that a consumer written
 * for Cloudflare, `async queue(batch: MessageBatch<Order>, env: Env, ctx: ExecutionContext)`,
 * is taken whatever its `Env` and body types: they are the user's to state.
 */
export type QueueFn = {
  queue(batch: QueueBatch<never>, env: never, ctx: ExecutionContext): void | Promise<void>;
}["queue"];

/** The invocation a consumer is called in: the Worker's env and its ExecutionContext. */
export type Invocation = { env: Record<string, unknown>; ctx: ExecutionContext };

/**
 * The invocation of an HTTP request (hono's `c.env`, `c.executionCtx`). `ctx` is read only
 * when a queue consumer is built: hono throws for a request that came without one (an app
 * called directly, as in unit tests), and a plain handler never needs it.
 */
export function invocationOf(c: {
  env: Record<string, unknown>;
  executionCtx: ExecutionContext;
}): Invocation {
  return {
    env: c.env,
    get ctx() {
      return c.executionCtx;
    },
  };
}

/**
 * `fn` as the per-message handler of `config`'s stream in this invocation: messages gather
 * into batches of up to BATCH_SIZE (waiting MAX_BATCH_TIMEOUT_MS at most), retries wait
 * RETRY_DELAY_S unless they name a delay, `body` is the JSON of QUEUE_BODY_FIELD.
 */
export function queueHandler(
  config: ResolvedConfig,
  fn: QueueFn,
  invocation: Invocation,
): MessageHandler {
  const consumer = new QueueConsumer({
    queue: config.stream,
    handler: fn as unknown as QueueHandler<Record<string, unknown>, ExecutionContext>,
    env: invocation.env,
    ctx: invocation.ctx,
    maxBatchSize: config.batchSize,
    maxBatchTimeoutMs: config.maxBatchTimeoutMs,
    retryDelayMs: config.retryDelayS * 1000,
    bodyField: config.queueBodyField,
  });
  return consumer.handle;
}
