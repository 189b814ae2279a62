/** @module One drain round trip: the acks (and idempotency marks) so far, plus the next read. */
import type { Redis } from "@upstash/redis";
import { RedisCommandError } from "../errors";
import { failureValue } from "../handling/failure-record";
import {
  PROMOTE_DUE,
  type PromoteResult,
  parsePromoteReply,
  promoteDueArgs,
} from "../queues/delayed";
import type { RequestBudget } from "../redis/budget";
import { sendPipeline } from "../redis/calls";
import { parseXReadGroup, type ReadEntry } from "../replies/index";
import type { AckBatch } from "./ack-buffer";

export type RoundTrip = {
  redis: Pick<Redis, "pipeline">;
  stream: string;
  group: string;
  consumer: string;
  /** Acks (and done marks, failure records) since the last round trip. */
  acks: AckBatch;
  /** Hash of failed handler runs per id (`streamKeys().failures`). */
  failuresKey: string;
  /** TTL of the done marks, in seconds. */
  doneTtlS: number;
  /**
   * The group's hash, to note that the group exists (`HSETNX seen_at`): a group it knows
   * existed is recreated where it stood, never at the start id, if it vanishes.
   */
  seenKey?: string;
  /** COUNT of the read; omit to only flush acks. */
  read?: { count: number; noAck: boolean };
  /** Move the stream's delayed messages due by `now` in first (at most `limit`), so this read sees them. */
  promote?: { now: number; limit: number };
  budget: RequestBudget;
};

export type RoundTripResult = {
  entries: ReadEntry[];
  /** What the promotion did, or Redis's error text for it (the read is answered all the same). */
  promoted?: PromoteResult | { error: string };
  /** Acks Redis refused (e.g. NOGROUP): they stay pending and the sweep retries them. */
  ackError: string | null;
};

/**
 * Sends `XACK s g ids...`, the done marks, the failure records and
 * `XREADGROUP GROUP g c COUNT n STREAMS s >`
 * as one `/pipeline` request, so acking costs no request of its own. Never BLOCK: an
 * edge invocation must not hang on an empty stream.
 * @throws RedisCommandError when the request fails or the read is refused (NOGROUP, WRONGTYPE)
 * @see https://redis.io/commands/xreadgroup
 * @see https://redis.io/commands/xack
 */
export async function roundTrip(trip: RoundTrip): Promise<RoundTripResult> {
  const { ids, marks, failed } = trip.acks;
  const idle = ids.length === 0 && marks.length === 0 && failed.length === 0;
  if (!trip.read && idle && trip.seenKey === undefined) {
    return { entries: [], ackError: null };
  }
  const p = trip.redis.pipeline();
  if (ids.length > 0) {
    p.xack(trip.stream, trip.group, ids);
  }
  for (const key of marks) {
    p.set(key, "1", { ex: trip.doneTtlS });
  }
  if (failed.length > 0) {
    // A first failure: these were read as new. HSET rather than HINCRBY, so a request
    // that applied but lost its reply, sent again, cannot count one failure twice.
    const dueAt = trip.acks.dueAt ?? {};
    p.hset(
      trip.failuresKey,
      Object.fromEntries(failed.map((id) => [id, failureValue(1, dueAt[id])])),
    );
  }
  if (trip.seenKey !== undefined) {
    p.hsetnx(trip.seenKey, "seen_at", String(Date.now()));
  }
  if (trip.promote) {
    const { keys, args } = promoteDueArgs(trip.stream, trip.promote.now, trip.promote.limit);
    // The script's text, not its SHA: a pipeline cannot fall back to EVAL after a NOSCRIPT.
    p.eval(PROMOTE_DUE, keys, args);
  }
  if (trip.read) {
    const { count, noAck } = trip.read;
    p.xreadgroup(trip.group, trip.consumer, trip.stream, ">", { count, NOACK: noAck || undefined });
  }
  const replies = await sendPipeline(p, trip.budget, trip.read ? "XREADGROUP" : "XACK");
  const ackError = ids.length > 0 ? (replies[0]?.error ?? null) : null;
  if (!trip.read) {
    return { entries: [], ackError };
  }
  const last = replies[replies.length - 1];
  if (last?.error !== undefined) {
    throw new RedisCommandError("XREADGROUP", last.error);
  }
  const entries = parseXReadGroup(last?.result ?? null);
  if (!trip.promote) {
    return { entries, ackError };
  }
  const reply = replies[replies.length - 2];
  const promoted =
    reply?.error !== undefined ? { error: reply.error } : parsePromoteReply(reply?.result);
  return { entries, ackError, promoted };
}
