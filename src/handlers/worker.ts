/** @module `createWorker`: the whole Worker (HTTP API + crons) around your message handler. */
import type { MessageHandler } from "../lib/index";
import type { Env } from "./env";
import { createApp } from "./http";
import { createScheduled } from "./scheduled";

export type WorkerOptions = {
  /** Your message handler; without it the Worker POSTs each message to TARGET_URL. */
  handler?: MessageHandler;
};

/**
 * Everything `src/index.ts` deploys, with your handler plugged in:
 * @example
 * ```ts
 * import { createWorker, PermanentError } from "redis-streams-worker/worker";
 * export default createWorker({ handler: async (m) => { ... } });
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
