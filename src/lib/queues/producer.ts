/** @module A Cloudflare-Queues-style producer over a stream: `send` and `sendBatch`, one request each. */
import type { Redis } from "@upstash/redis";
import { DEFAULTS } from "../config/defaults";
import { RANGES, validateOptions } from "../config/ranges";
import { QueueSendError } from "../errors";
import { kindOf } from "../publish/input";
import { RequestBudget } from "../redis/budget";
import { type PipelineReply, replyResult, sendPipeline } from "../redis/calls";
import { asInteger, asString } from "../replies/shape";
import { type EncodedBody, encodeBody, type QueueContentType } from "./body";
import { queueDelayed } from "./delayed";

/** What a queue producer asks of the client. */
export type QueueRedis = Pick<Redis, "pipeline">;

/**
 * Cloudflare's content types, so that a producer fits a binding typed `Queue<Body>`; only
 * "json" and "text" are sent: "bytes" and "v8" are refused (a stream field holds text).
 */
export type SendContentType = QueueContentType | "bytes" | "v8";

/** Options of `send`: Cloudflare's. */
export type SendOptions = {
  /** @default "json"; "bytes" and "v8" are refused */
  contentType?: SendContentType;
  /** Seconds before the message can be delivered, an integer in 0..86,400. @default 0 */
  delaySeconds?: number;
};

/** Options of `sendBatch`. */
export type SendBatchOptions = {
  /** Delay of every message that gives none of its own. @default 0 */
  delaySeconds?: number;
};

/** One message of `sendBatch`. */
export type MessageToSend<Body = unknown> = {
  body: Body;
  /** @default "json"; "bytes" and "v8" are refused */
  contentType?: SendContentType;
  /** Overrides the batch's `delaySeconds`. */
  delaySeconds?: number;
};

/** The stream's backlog as Cloudflare's send metrics report it. */
export type BacklogMetrics = {
  /**
   * Entries the stream holds (`XLEN`) once the call's messages are in: entries already handled
   * count until the stream is trimmed, and delayed messages only once they are due and moved.
   */
  backlogCount: number;
  /** Always 0: Redis does not tell a stream's size in bytes in one cheap command. */
  backlogBytes: number;
};

/** What `send` and `sendBatch` resolve to: Cloudflare's response, plus what was written. */
export type SendResult = {
  metadata: { metrics: BacklogMetrics };
  /** `ids[i]`: the stream id of message `i`, or null when it went to the delayed set. */
  ids: (string | null)[];
  /** How many messages went to the delayed set. */
  delayed: number;
};

/** A queue over one stream, assignable to Cloudflare's `Queue<Body>`. */
export type QueueProducer<Body = unknown> = {
  /** The stream the messages are added to. */
  readonly stream: string;
  /** Sends one message, in one request. */
  send(body: Body, options?: SendOptions): Promise<SendResult>;
  /** Sends 1 to 100 messages, in one request. */
  sendBatch(
    messages: Iterable<MessageToSend<Body>>,
    options?: SendBatchOptions,
  ): Promise<SendResult>;
  /** The backlog alone, in one request. @see https://redis.io/commands/xlen */
  metrics(): Promise<BacklogMetrics>;
};

/** Options of {@link createQueue}. */
export type QueueOptions = {
  /** Largest body, in bytes of its stored text (UTF-8). @default DEFAULTS.maxMessageBytes (1 MiB) */
  maxMessageBytes?: number;
};

/** A message checked: its pairs and its delay. */
export type CheckedMessage = { pairs: EncodedBody; delaySeconds: number };

const [MIN_DELAY, MAX_DELAY] = RANGES.delaySeconds;
const MAX_BATCH = RANGES.queueBatch[1];

const shown = (value: unknown): string =>
  typeof value === "number" ? String(value) : kindOf(value);

/** A delay checked against Cloudflare's range; `what` names where it came from. */
function checkDelay(value: unknown, what: string, index: number | undefined): number {
  const ok = typeof value === "number" && Number.isInteger(value);
  if (ok && value >= MIN_DELAY && value <= MAX_DELAY) {
    return value;
  }
  throw new QueueSendError(
    `${what} must be an integer between ${MIN_DELAY} and ${MAX_DELAY} (24 hours), got ${shown(value)}`,
    index === undefined ? {} : { index },
  );
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null;

/**
 * Checks message `index` (`{ body, contentType?, delaySeconds? }`) and encodes its body.
 * @param batchDelay the batch's delay, used when the message gives none
 * @param maxBytes largest body text in UTF-8 bytes; unlimited when omitted
 * @throws QueueSendError naming the message's index and what was wrong
 */
export function checkMessage(
  message: unknown,
  index: number,
  batchDelay = 0,
  maxBytes = Number.POSITIVE_INFINITY,
): CheckedMessage {
  const at = `message ${index}`;
  if (!isRecord(message)) {
    throw new QueueSendError(`${at} must be an object { body, contentType?, delaySeconds? }`, {
      index,
    });
  }
  const delay = message.delaySeconds;
  const delaySeconds =
    delay === undefined ? batchDelay : checkDelay(delay, `${at}: delaySeconds`, index);
  let pairs: EncodedBody;
  try {
    pairs = encodeBody(message.body, (message.contentType ?? "json") as QueueContentType);
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    throw new QueueSendError(`${at}: ${why}`, { index }, { cause: e });
  }
  const bytes = new TextEncoder().encode(pairs[0][1]).length;
  if (bytes > maxBytes) {
    throw new QueueSendError(
      `${at}: the body is ${bytes} bytes, more than maxMessageBytes (${maxBytes})`,
      { index },
    );
  }
  return { pairs, delaySeconds };
}

/**
 * The replies of one send's pipeline: per message an `XADD` id or a `ZADD` count, then `XLEN`.
 *
 * Raw: `[{ result: "1795709122566-0" }, { result: 1 }, { result: 7 }]`
 * @param delayed `delayed[i]`: whether message `i` went to the delayed set
 * @throws RedisCommandError when a command failed (those before it were applied)
 * @throws ReplyShapeError when a reply is not what its command answers
 */
export function parseSendReplies(
  replies: readonly PipelineReply[],
  delayed: readonly boolean[],
): SendResult {
  const ids = delayed.map((isDelayed, i) => {
    const command = isDelayed ? "ZADD" : "XADD";
    const result = replyResult(replies[i], command);
    if (isDelayed) {
      asInteger(result, `ZADD reply ${i}`);
      return null;
    }
    return asString(result, `XADD reply ${i}`);
  });
  const backlogCount = asInteger(replyResult(replies[delayed.length], "XLEN"), "XLEN reply");
  return {
    metadata: { metrics: { backlogCount, backlogBytes: 0 } },
    ids,
    delayed: delayed.filter(Boolean).length,
  };
}

/** One pipeline: an `XADD` per message due now, a `ZADD` per delayed one, then `XLEN`. */
async function write(redis: QueueRedis, stream: string, batch: CheckedMessage[]) {
  const now = Date.now();
  const pipe = redis.pipeline();
  for (const { pairs, delaySeconds } of batch) {
    if (delaySeconds === 0) {
      pipe.xadd(stream, "*", Object.fromEntries(pairs));
    } else {
      queueDelayed(pipe, stream, pairs, now + delaySeconds * 1000);
    }
  }
  pipe.xlen(stream);
  const delayed = batch.map((m) => m.delaySeconds > 0);
  const label = `${delayed.some((d) => !d) ? "XADD+" : ""}${delayed.some(Boolean) ? "ZADD+" : ""}XLEN`;
  return parseSendReplies(await sendPipeline(pipe, new RequestBudget(), label), delayed);
}

/** The messages of a `sendBatch`, counted and checked before anything is sent. */
function checkBatch(messages: unknown, options: unknown, maxBytes: number): CheckedMessage[] {
  if (!isRecord(messages) || !(Symbol.iterator in messages)) {
    throw new QueueSendError(`sendBatch takes an iterable of messages, got ${kindOf(messages)}`);
  }
  const list = Array.from(messages as Iterable<unknown>);
  if (list.length === 0 || list.length > MAX_BATCH) {
    throw new QueueSendError(`sendBatch takes 1 to ${MAX_BATCH} messages, got ${list.length}`);
  }
  const given = isRecord(options) ? options.delaySeconds : undefined;
  const batchDelay =
    given === undefined ? 0 : checkDelay(given, "sendBatch options.delaySeconds", undefined);
  return list.map((m, i) => checkMessage(m, i, batchDelay, maxBytes));
}

/**
 * A producer with Cloudflare Queues' `send` and `sendBatch` over `stream`. A message is
 * written as the fields `body` (its JSON text under `json`, the string under `text`) and
 * `content_type`; one due now by `XADD *`, one with `delaySeconds` by a `ZADD` to the
 * stream's delayed set scored `now + delaySeconds * 1000`, for the drain to move into the
 * stream once due. Each call is one request (a pipeline ending with `XLEN` for the metrics),
 * and every message is checked before it is sent: a refused call writes nothing.
 * @param options.maxMessageBytes @default DEFAULTS.maxMessageBytes (1 MiB)
 * @throws ConfigError when `stream` is empty or `maxMessageBytes` out of range
 * @see https://redis.io/commands/xadd
 * @see https://redis.io/commands/zadd
 * @example
 * ```ts
 * const queue = createQueue(redis, "orders");
 * await queue.send({ orderId: "A-1" });
 * await queue.sendBatch([{ body: "hello", contentType: "text" }], { delaySeconds: 60 });
 * ```
 */
export function createQueue<Body = unknown>(
  redis: QueueRedis,
  stream: string,
  options: QueueOptions = {},
): QueueProducer<Body> {
  validateOptions({ stream, ...options }, { integers: ["maxMessageBytes"], strings: ["stream"] });
  const maxBytes = options.maxMessageBytes ?? DEFAULTS.maxMessageBytes;
  return {
    stream,
    // Callers may be plain JavaScript: every option is checked at run time too.
    send: async (body, sendOptions = {}) => {
      const message = { ...(isRecord(sendOptions) ? sendOptions : {}), body };
      return write(redis, stream, [checkMessage(message, 0, 0, maxBytes)]);
    },
    sendBatch: async (messages, batchOptions) =>
      write(redis, stream, checkBatch(messages, batchOptions, maxBytes)),
    metrics: async () => {
      const pipe = redis.pipeline().xlen(stream);
      const [reply] = await sendPipeline(pipe, new RequestBudget(), "XLEN");
      return { backlogCount: asInteger(replyResult(reply, "XLEN"), "XLEN reply"), backlogBytes: 0 };
    },
  };
}
