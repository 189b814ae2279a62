/** @module A batch as the Queues API hands it to `queue(batch, env, ctx)`, and what became of each message. */
import type { StreamMessage } from "../handling/message";
import { decodeBody } from "./body";
import { delayMsOf } from "./delay";

/** `retry()`'s options, as Cloudflare's `QueueRetryOptions`. */
export type QueueRetryOptions = { delaySeconds?: number };

/** One message, shaped as Cloudflare's `Message<Body>`. */
export type QueueMessage<Body = unknown> = {
  /** The stream entry's id; after a redrive, the id it was first added under. */
  readonly id: string;
  /** When it was first added (the time part of `id`). */
  readonly timestamp: Date;
  /** The JSON-parsed `body` field (the text itself for `content_type` text); the fields object when it has none. */
  readonly body: Body;
  /** Deliveries so far, this one included: 1 the first time. */
  readonly attempts: number;
  /** Done: acked even if the handler throws later. The first of `ack()`/`retry()` wins. */
  ack(): void;
  /** Delivered again, no earlier than `delaySeconds` (default RETRY_DELAY_S) from now. */
  retry(options?: QueueRetryOptions): void;
};

/** Backlog figures of a batch: not measured here (reading them would cost a request). */
export type QueueBatchMetadata = {
  metrics: { backlogCount: number; backlogBytes: number; oldestMessageTimestamp?: Date };
};

/** A batch, shaped as Cloudflare's `MessageBatch<Body>`. */
export type QueueBatch<Body = unknown> = {
  /** The stream's name. */
  readonly queue: string;
  readonly messages: readonly QueueMessage<Body>[];
  readonly metadata: QueueBatchMetadata;
  /** Acks every message not yet acked or retried. */
  ackAll(): void;
  /** Retries every message not yet acked or retried. */
  retryAll(options?: QueueRetryOptions): void;
};

/** What became of one message: acked, or to be delivered again no earlier than `delayMs`. */
export type Decision = { kind: "ack" } | { kind: "retry"; delayMs: number; why: string };

/** A batch and the decisions its handler made, message by message (first call wins). */
export type DecidedBatch<Body> = { batch: QueueBatch<Body>; decisions: (Decision | undefined)[] };

/**
 * Builds the batch of `messages` for stream `queue`. Its `ack`/`retry` calls are recorded in
 * `decisions`; what is still undecided when the handler ends is the caller's to settle.
 * @param retryDelayMs the delay of a `retry()` without one (RETRY_DELAY_S)
 * @param bodyField the field whose JSON is `body`
 */
export function makeBatch<Body>(
  queue: string,
  messages: readonly StreamMessage[],
  retryDelayMs: number,
  bodyField: string,
): DecidedBatch<Body> {
  const decisions: (Decision | undefined)[] = messages.map(() => undefined);
  const decide = (i: number, d: Decision) => {
    decisions[i] ??= d;
  };
  const retry = (why: string, options?: QueueRetryOptions): Decision => ({
    kind: "retry",
    delayMs: delayMsOf(options?.delaySeconds, retryDelayMs),
    why,
  });
  const shaped = messages.map(
    (m, i): QueueMessage<Body> => ({
      id: m.originalId,
      timestamp: new Date(Number(m.originalId.split("-")[0])),
      body: decodeBody(m.fields, bodyField) as Body,
      attempts: m.deliveries,
      ack: () => decide(i, { kind: "ack" }),
      retry: (options) => decide(i, retry("retry() was called", options)),
    }),
  );
  const batch: QueueBatch<Body> = {
    queue,
    messages: shaped,
    metadata: { metrics: { backlogCount: 0, backlogBytes: 0 } },
    ackAll: () => {
      shaped.forEach((_, i) => {
        decide(i, { kind: "ack" });
      });
    },
    retryAll: (options) => {
      const d = retry("retryAll() was called", options);
      shaped.forEach((_, i) => {
        decide(i, d);
      });
    },
  };
  return { batch, decisions };
}
