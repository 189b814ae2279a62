/**
 * @module `@upstash/queue` (1.0.1) as a baseline: `receiveMessage(0)` (non-blocking), the handler,
 * then `verifyMessage(streamId)` — the package's documented manual-verification API
 * (`autoVerify: false`, so a message is only acked once its handler finished, like the
 * others here). The package brings its own `@upstash/redis` 1.29, configured as its README
 * shows (`new Redis({ url, token })`, defaults otherwise).
 */
import { Queue } from "@upstash/queue";
import { Redis } from "@upstash/queue/node_modules/@upstash/redis/nodejs.mjs";

export type QueueLoopOptions = {
  url: string;
  token: string;
  /** The package stores the stream under `UpstashMQ:<queueName>`. */
  queueName: string;
  group: string;
  handler: (body: unknown) => Promise<void>;
};

/** The Redis key `@upstash/queue` uses for `queueName`. */
export function queueKey(queueName: string): string {
  return `UpstashMQ:${queueName}`;
}

/** Receives, handles and verifies one message at a time until none is left; returns the count. */
export async function queueLoop(o: QueueLoopOptions): Promise<number> {
  const queue = new Queue({
    redis: new Redis({ url: o.url, token: o.token }),
    queueName: o.queueName,
    consumerGroupName: o.group,
    autoVerify: false,
  });
  let verified = 0;
  for (;;) {
    const message = await queue.receiveMessage<unknown>(0);
    if (!message) {
      return verified;
    }
    await o.handler(message.body);
    const status = await queue.verifyMessage(message.streamId);
    if (status !== "VERIFIED") {
      throw new Error(`@upstash/queue could not verify ${message.streamId}: ${status}`);
    }
    verified++;
  }
}
