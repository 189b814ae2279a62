/** @module What a handler receives, and the handler contract shared by the drain and the sweep. */
import type { FieldPair } from "../replies/index";

/** One stream entry handed to a handler. */
export type StreamMessage = {
  /** The entry's id in the stream now. */
  id: string;
  /**
   * The message's identity across redrives: the id it first had. A redrive re-adds a dead
   * letter under a new id and appends the pair `original_id` = its first id; this is that
   * value, else `id`. Use it as the idempotency key (the webhook forwarder does).
   */
  originalId: string;
  stream: string;
  group: string;
  /** The consumer this invocation reads as. */
  consumer: string;
  /**
   * The entry's field/value pairs as an object, without the redrive's `original_id` pair.
   * A field name that repeats keeps its last value here: read `pairs` for all of them.
   */
  fields: Record<string, string>;
  /** The entry's pairs exactly as Redis holds them: order, repeats and redrive pair kept. */
  pairs: FieldPair[];
  /** Redis's delivery counter for this entry: 1 on first delivery, grows with each retry. */
  deliveries: number;
};

/** What a handler may use besides the message. */
export type HandlerContext = {
  /**
   * Aborted when the drain or sweep is aborted through its own `signal` option (a caller
   * cutting the run short); long handlers should stop early. The ready-made Worker passes
   * no such signal: there, Cloudflare ends the invocation instead.
   */
  signal: AbortSignal;
};

/**
 * Resolving acks the message; throwing leaves it pending for the sweep to retry;
 * throwing `PermanentError` dead-letters it at once.
 */
export type MessageHandler = (message: StreamMessage, ctx: HandlerContext) => Promise<void> | void;

/** The pair a redrive appends to a re-added dead letter: its first id. */
export const ORIGINAL_ID_FIELD = "original_id";

/**
 * The message parts a handler sees, from an entry as Redis holds it: a last pair named
 * `original_id` (appended by a redrive) gives `originalId` and is left out of `fields`.
 */
export function messageParts(
  id: string,
  pairs: FieldPair[],
): Pick<StreamMessage, "originalId" | "fields" | "pairs"> {
  const last = pairs[pairs.length - 1];
  const redriven = last !== undefined && last[0] === ORIGINAL_ID_FIELD;
  const own = redriven ? pairs.slice(0, -1) : pairs;
  return { originalId: redriven ? last[1] : id, fields: Object.fromEntries(own), pairs };
}

/**
 * The message a handler gets for an entry read (`deliveries` 1) or claimed, as `consumer`
 * of `group` on `stream`.
 */
export function toMessage(
  entry: { id: string; pairs: FieldPair[] },
  from: Pick<StreamMessage, "stream" | "group" | "consumer">,
  deliveries: number,
): StreamMessage {
  const { stream, group, consumer } = from;
  return {
    id: entry.id,
    ...messageParts(entry.id, entry.pairs),
    stream,
    group,
    consumer,
    deliveries,
  };
}
