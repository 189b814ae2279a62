/**
 * @module The naive loop, a plain drain written on `@upstash/redis` as the baseline of the
 * benchmark: `XREADGROUP COUNT 10`, the handler, one `XACK` per message, all sequential.
 * Not part of the library; it exists to be measured against `drain`.
 */
import type { Redis } from "@upstash/redis";

export type NaiveMessage = { id: string; fields: Record<string, string> };

export type NaiveLoopOptions = {
  redis: Pick<Redis, "xreadgroup" | "xack">;
  stream: string;
  group: string;
  consumer: string;
  handler: (message: NaiveMessage) => Promise<void>;
};

/** The naive loop's COUNT. */
export const NAIVE_BATCH = 10;

/** `[[stream, [[id, [f, v, ...]], ...]]]` (raw, automaticDeserialization off) → messages. */
export function parseEntries(reply: unknown): NaiveMessage[] {
  if (!Array.isArray(reply) || reply.length === 0) {
    return [];
  }
  const streamReply: unknown = reply[0];
  const entries: unknown = Array.isArray(streamReply) ? streamReply[1] : undefined;
  if (!Array.isArray(entries)) {
    return [];
  }
  return entries.map((entry: unknown) => {
    const [id, flat] = entry as [string, string[] | null];
    const fields: Record<string, string> = {};
    for (let i = 0; i + 1 < (flat?.length ?? 0); i += 2) {
      fields[String(flat?.[i])] = String(flat?.[i + 1]);
    }
    return { id: String(id), fields };
  });
}

/**
 * Reads 10 at a time until the group has nothing new; each message is handled, then acked
 * with its own request, before the next one starts. Returns how many were acked.
 */
export async function naiveLoop(o: NaiveLoopOptions): Promise<number> {
  let acked = 0;
  for (;;) {
    const reply = await o.redis.xreadgroup(o.group, o.consumer, o.stream, ">", {
      count: NAIVE_BATCH,
    });
    const messages = parseEntries(reply);
    if (messages.length === 0) {
      return acked;
    }
    for (const message of messages) {
      await o.handler(message);
      await o.redis.xack(o.stream, o.group, message.id);
      acked++;
    }
  }
}

/**
 * Messages the naive loop finishes within `limit` requests (a Worker's subrequest cap):
 * its pattern is one read, then one ack per message; the request past the cap throws.
 */
export function naiveLoopWithin(limit: number): number {
  let requests = 0;
  let acked = 0;
  for (;;) {
    if (requests + 1 > limit) {
      return acked;
    }
    requests++;
    for (let i = 0; i < NAIVE_BATCH; i++) {
      if (requests + 1 > limit) {
        return acked;
      }
      requests++;
      acked++;
    }
  }
}
