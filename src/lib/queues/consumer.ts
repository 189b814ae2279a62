/**
 * @module The Queues API's consumer: a `queue(batch, env, ctx)` function run over the messages
 * the drain and the sweep hand out one by one, gathered into batches.
 */
import { errorMessage } from "../errors";
import type { MessageHandler, StreamMessage } from "../handling/message";
import { RetryLaterError } from "../handling/retry";
import { type Decision, makeBatch, type QueueBatch } from "./batch";

/** A consumer as Cloudflare Queues calls it: `async queue(batch, env, ctx)`. */
export type QueueHandler<Env = unknown, Ctx = unknown, Body = unknown> = (
  batch: QueueBatch<Body>,
  env: Env,
  ctx: Ctx,
) => void | Promise<void>;

export type QueueConsumerOptions<Env, Ctx> = {
  /** The stream: the batch's `queue`. */
  queue: string;
  handler: QueueHandler<Env, Ctx>;
  env: Env;
  ctx: Ctx;
  /** Most messages in one batch (BATCH_SIZE). */
  maxBatchSize: number;
  /**
   * How long a batch waits for more messages once it has one (MAX_BATCH_TIMEOUT_MS). 0: the
   * messages handed out together (one read, one sweep page) are one batch.
   */
  maxBatchTimeoutMs: number;
  /** Delay of a retry that names none, and of the messages of a batch whose handler threw (RETRY_DELAY_S). */
  retryDelayMs: number;
  /** The field whose JSON is a message's `body`. @default "body" */
  bodyField?: string;
};

type Waiting = { message: StreamMessage; settle: (d: Decision) => void };

/**
 * Turns a Queues consumer into the per-message {@link MessageHandler} the drain and the sweep
 * call: each call waits in the current batch, which is handed to the consumer once it holds
 * `maxBatchSize` messages or `maxBatchTimeoutMs` after its first. Then, message by message,
 * as Cloudflare Queues does: acked (explicitly, or undecided when the consumer returns) →
 * the call resolves and the message is acked; retried (explicitly, or undecided when the
 * consumer throws) → the call throws a {@link RetryLaterError}, the message stays pending and
 * the sweep delivers it again no earlier than its delay, up to MAX_DELIVERIES failed runs.
 * An explicit ack stands even if the consumer throws after it.
 */
export class QueueConsumer<Env, Ctx> {
  private waiting: Waiting[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly o: QueueConsumerOptions<Env, Ctx>) {}

  /** The per-message handler to give the drain and the sweep. */
  readonly handle: MessageHandler = markQueueConsumer((message) =>
    new Promise<Decision>((settle) => {
      this.waiting.push({ message, settle });
      if (this.waiting.length >= this.o.maxBatchSize) {
        this.flush();
      } else {
        this.timer ??= setTimeout(() => this.flush(), this.o.maxBatchTimeoutMs);
      }
    }).then((d) => {
      if (d.kind === "retry") {
        throw new RetryLaterError(d.delayMs, d.why);
      }
    }),
  );

  private flush(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
    }
    this.timer = undefined;
    const taken = this.waiting;
    this.waiting = [];
    if (taken.length > 0) {
      void this.deliver(taken);
    }
  }

  /** One batch through the consumer, then each message's outcome. Never rejects. */
  private async deliver(taken: Waiting[]): Promise<void> {
    const { o } = this;
    const messages = taken.map((w) => w.message);
    const { batch, decisions } = makeBatch(
      o.queue,
      messages,
      o.retryDelayMs,
      o.bodyField ?? "body",
    );
    let rest: Decision = { kind: "ack" };
    try {
      await o.handler(batch, o.env, o.ctx);
    } catch (e) {
      rest = { kind: "retry", delayMs: o.retryDelayMs, why: errorMessage(e) };
    }
    taken.forEach((w, i) => {
      w.settle(decisions[i] ?? rest);
    });
  }
}

const QUEUE_CONSUMER = new WeakSet<MessageHandler>();

function markQueueConsumer(handler: MessageHandler): MessageHandler {
  QUEUE_CONSUMER.add(handler);
  return handler;
}

/**
 * Whether `handler` is a {@link QueueConsumer}'s: its runs gather into batches (a read must
 * start them all at once: concurrency of at least the batch size), and its retries may ask
 * for delays (the sweep must read the due times).
 */
export function isQueueConsumer(handler: MessageHandler): boolean {
  return QUEUE_CONSUMER.has(handler);
}
