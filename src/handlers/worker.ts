/** @module `createWorker`: the whole Worker (HTTP API + crons) around your message handler. */
import type { Env } from "./env";
import { createApp } from "./http";
import { createScheduled } from "./scheduled";
import type { HandlerOptions } from "./streams";

/**
 * Your message handlers: `handler` for every stream, `handlers` per stream name (STREAMS);
 * a stream with neither POSTs each message to its target URL (TARGET_URL).
 */
export type WorkerOptions = HandlerOptions;

/**
 * Everything `src/index.ts` deploys, with your handler plugged in:
 * @example
 * ```ts
 * import { createWorker, PermanentError } from "redis-streams-worker/worker";
 * export default createWorker({ handler: async (m) => { ... } });
 * // several streams (STREAMS): one handler each, `handler` for the rest
 * export default createWorker({ handlers: { "orders:payments": pay, emails: send } });
 * ```
 */
export function createWorker(options: WorkerOptions = {}) {
  return {
    fetch: createApp(options).fetch,
    scheduled: createScheduled(options),
  } satisfies ExportedHandler<Env>;
}

export type { HandlerContext, MessageHandler, StreamMessage } from "../lib/index";
export { PermanentError } from "../lib/index";
export type { QueueBatch, QueueMessage, QueueRetryOptions } from "../lib/queues/batch";
export { createQueue, type QueueProducer } from "../lib/queues/producer";
export { withQueues } from "./queue-bindings";
export type { QueueFn } from "./queue-consumer";
