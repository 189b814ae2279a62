/** @module One drain round trip: the acks (and idempotency marks) so far, plus the next read. */
import type { Redis } from "@upstash/redis";
import { RedisCommandError } from "../errors";
import { counted, type RequestCounter } from "../redis/budget";
import { parseXReadGroup, type ReadEntry } from "../replies/index";

export type RoundTripRedis = Pick<Redis, "pipeline">;

export type RoundTrip = {
  redis: RoundTripRedis;
  stream: string;
  group: string;
  consumer: string;
  /** Ids whose handler succeeded since the last round trip. */
  ack: string[];
  /** Idempotency keys to mark done (SET key 1 EX ttl), written with the acks. */
  done: string[];
  doneTtlS: number;
  /** COUNT of the read; omit to only flush acks. */
  read?: { count: number; noAck: boolean };
  counter: RequestCounter;
};

export type RoundTripResult = {
  entries: ReadEntry[];
  /** Acks Redis refused (e.g. NOGROUP): they stay pending and the sweep retries them. */
  ackError: string | null;
};

/**
 * Sends `XACK s g ids...`, the done marks and `XREADGROUP GROUP g c COUNT n STREAMS s >`
 * as one `/pipeline` request, so acking costs no request of its own. Never BLOCK: an
 * edge invocation must not hang on an empty stream.
 * @throws RedisCommandError when the request fails or the read is refused (NOGROUP, WRONGTYPE)
 * @see https://redis.io/commands/xreadgroup
 */
export async function roundTrip(trip: RoundTrip): Promise<RoundTripResult> {
  if (!trip.read && trip.ack.length === 0 && trip.done.length === 0) {
    return { entries: [], ackError: null };
  }
  const p = trip.redis.pipeline();
  if (trip.ack.length > 0) {
    p.xack(trip.stream, trip.group, trip.ack);
  }
  for (const key of trip.done) {
    p.set(key, "1", { ex: trip.doneTtlS });
  }
  if (trip.read) {
    const { count, noAck } = trip.read;
    p.xreadgroup(trip.group, trip.consumer, trip.stream, ">", { count, NOACK: noAck || undefined });
  }
  let replies: { result?: unknown; error?: string }[];
  try {
    replies = await counted(trip.counter, p.exec({ keepErrors: true }));
  } catch (e) {
    throw RedisCommandError.from(trip.read ? "XREADGROUP" : "XACK", e);
  }
  const ackError = trip.ack.length > 0 ? (replies[0]?.error ?? null) : null;
  if (!trip.read) {
    return { entries: [], ackError };
  }
  const last = replies[replies.length - 1];
  if (last?.error) {
    throw new RedisCommandError("XREADGROUP", last.error);
  }
  return { entries: parseXReadGroup(last?.result ?? null), ackError };
}
