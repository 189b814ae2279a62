/** @module One sweep page: find ripe pending entries and claim them (XAUTOCLAIM or XPENDING+XCLAIM). */
import type { Redis } from "@upstash/redis";
import type { RequestBudget } from "../redis/budget";
import {
  type Command,
  type Pipeline,
  type PipelineReply,
  replyResult,
  sendCommand,
  sendPipeline,
} from "../redis/calls";
import { LuaScript, SCRIPT_MAX_REQUESTS, type ScriptRedis } from "../redis/script";
import { ACK_DELETED } from "../redis/scripts/ack-deleted";
import {
  type FieldPair,
  parseFailureCounts,
  parseFailureHash,
  parseMarks,
  parseXAutoClaim,
  parseXClaim,
  parseXPendingExtended,
} from "../replies/index";
import { type BackoffOptions, isRipe } from "./backoff";
import { CYCLE_START, nextStreamId } from "./cursor";

const ACK_DELETED_SCRIPT = new LuaScript("ack-deleted", ACK_DELETED);

/** Most requests one claim makes: 2 requests, plus EVALSHA+EVAL of the ack-deleted script. */
export const CLAIM_MAX_REQUESTS = 2 + SCRIPT_MAX_REQUESTS;

/**
 * An entry now pending for the sweep's consumer: its pairs as Redis holds them, the delivery
 * counter after the claim, the handler runs recorded as failed, and whether the idempotency
 * guard marks it done (always false with the guard off).
 */
export type ClaimedEntry = {
  id: string;
  pairs: FieldPair[];
  deliveries: number;
  failures: number;
  done: boolean;
};

export type ClaimPage = {
  /** Pending entries idle at least `minIdleMs` this page looked at (deleted ones included). */
  scanned: number;
  claimed: ClaimedEntry[];
  /** Pending ids whose entries were deleted or trimmed; no longer in the PEL. */
  deletedIds: string[];
  /** Where the next page starts; {@link CYCLE_START} once the PEL's end was reached. */
  cursor: string;
};

export type ClaimOptions = BackoffOptions & {
  redis: Pick<Redis, "exec" | "pipeline"> & ScriptRedis;
  stream: string;
  group: string;
  consumer: string;
  /** Inclusive start of this page. */
  cursor: string;
  /** Page size. */
  count: number;
  budget: RequestBudget;
  /** Hash of failed handler runs per id (`streamKeys().failures`). */
  failuresKey: string;
  /** The done mark's key of an id, when the idempotency guard is on. */
  doneKey?: (id: string) => string;
  /** Leave alone the entries whose failure record says a delayed retry is not due yet. */
  retryDelays?: boolean;
};

/** Queues the record lookups of `ids` on `pipe`: failure counts, then done marks. */
function queueRecords(pipe: Pipeline, o: ClaimOptions, ids: string[]): void {
  pipe.hmget(o.failuresKey, ...ids);
  if (o.doneKey) {
    pipe.mget(...ids.map(o.doneKey));
  }
}

type Records = { failures: Map<string, number>; done: Set<string> };

/** Reads what {@link queueRecords} queued, from `replies[at]` on. */
function takeRecords(replies: PipelineReply[], at: number, o: ClaimOptions, ids: string[]) {
  const counts = parseFailureCounts(replyResult(replies[at], "HMGET"), ids.length);
  const marks = o.doneKey ? parseMarks(replyResult(replies[at + 1], "MGET"), ids.length) : [];
  const records: Records = {
    failures: new Map(ids.map((id, i) => [id, counts[i] ?? 0])),
    done: new Set(ids.filter((_, i) => marks[i] === true)),
  };
  return records;
}

/**
 * RETRY_BACKOFF=fixed: `XAUTOCLAIM` claims what is idle ≥ minIdle from the cursor on, then
 * one pipeline reads their counters with `XPENDING` (XAUTOCLAIM does not return them), their
 * failed runs with `HMGET` and, with the guard on, their done marks with `MGET`.
 * @see https://redis.io/commands/xautoclaim
 */
export async function claimFixed(o: ClaimOptions): Promise<ClaimPage> {
  const { stream, group, consumer } = o;
  const raw = await sendCommand(o.redis, o.budget, [
    "XAUTOCLAIM",
    stream,
    group,
    consumer,
    o.minIdleMs,
    o.cursor,
    "COUNT",
    o.count,
  ]);
  const result = parseXAutoClaim(raw);
  const live = result.entries.flatMap((e) => (e.fields ? [{ id: e.id, pairs: e.pairs }] : []));
  const page = { scanned: live.length + result.deletedIds.length, deletedIds: result.deletedIds };
  const first = live[0];
  const last = live[live.length - 1];
  if (!first || !last) {
    return { ...page, claimed: [], cursor: result.cursor };
  }
  const ids = live.map((e) => e.id);
  const pipe = o.redis.pipeline();
  // This consumer owns nothing else in [first, last]: earlier pages of the run lie below
  // the cursor, and a run stops when the cursor wraps.
  pipe.xpending(stream, group, first.id, last.id, live.length, { consumer });
  queueRecords(pipe, o, ids);
  const replies = await sendPipeline(pipe, o.budget, "XPENDING+HMGET");
  const rows = parseXPendingExtended(replyResult(replies[0], "XPENDING"));
  const records = takeRecords(replies, 1, o, ids);
  const counters = new Map(rows.map((r) => [r.id, r.deliveries]));
  const claimed = live.flatMap((e) => {
    const deliveries = counters.get(e.id);
    return deliveries === undefined ? [] : [withRecords(e.id, e.pairs, deliveries, records)];
  });
  return { ...page, claimed, cursor: result.cursor };
}

/**
 * RETRY_BACKOFF=exponential: `XPENDING ... IDLE minIdle` lists a page with idle times and
 * counters, then one pipeline request `XCLAIM`s the ripe ids and reads their counters back
 * with `XPENDING` for this consumer, with their failed runs (`HMGET`) and done marks (`MGET`,
 * guard on). XCLAIM's min-idle-time (`minIdleMs`) makes a racing
 * claim, or a drain's lease, in between win: either resets the idle time, and XCLAIM then
 * skips the id. The counters are read again rather than taken from the listing plus one: if
 * this invocation stalls longer than MIN_IDLE_MS between the two requests, another sweep may
 * have claimed an entry in between, and the listed count would be one short. Requested ids
 * that did not come back are either deleted (acked by script, counted) or taken by someone
 * else (left alone).
 * @see https://redis.io/commands/xpending
 * @see https://redis.io/commands/xclaim
 */
export async function claimExponential(o: ClaimOptions): Promise<ClaimPage> {
  const { stream, group, consumer } = o;
  const { rows, notDue } = await listPage(o);
  const last = rows[rows.length - 1];
  const cursor = rows.length < o.count || !last ? CYCLE_START : nextStreamId(last.id);
  const ripe = rows.filter((r) => isRipe(r.idleMs, r.deliveries, o) && !notDue.has(r.id));
  const first = ripe[0];
  const end = ripe[ripe.length - 1];
  if (!first || !end) {
    return { scanned: rows.length, claimed: [], deletedIds: [], cursor };
  }
  const ids = ripe.map((r) => r.id);
  const pipe = o.redis.pipeline();
  pipe.xclaim(stream, group, consumer, o.minIdleMs, ids);
  // Right behind the claim on the same connection: nobody can claim what was just claimed
  // (its idle time is 0), and this consumer owns nothing else in [first, end].
  pipe.xpending(stream, group, first.id, end.id, ids.length, { consumer });
  queueRecords(pipe, o, ids);
  const replies = await sendPipeline(pipe, o.budget, "XCLAIM+XPENDING");
  const got = new Map(parseXClaim(replyResult(replies[0], "XCLAIM")).map((e) => [e.id, e]));
  const after = parseXPendingExtended(replyResult(replies[1], "XPENDING"));
  const records = takeRecords(replies, 2, o, ids);
  const counters = new Map(after.map((r) => [r.id, r.deliveries]));
  const claimed = ids.flatMap((id) => {
    const entry = got.get(id);
    const deliveries = counters.get(id);
    return entry?.fields && deliveries !== undefined
      ? [withRecords(id, entry.pairs, deliveries, records)]
      : [];
  });
  const missing = ids.filter((id) => !got.get(id)?.fields);
  const deletedIds = missing.length === 0 ? [] : await ackDeleted(o, missing);
  return { scanned: rows.length, claimed, deletedIds, cursor };
}

/**
 * One page of `XPENDING ... IDLE minIdle` from the cursor. With `retryDelays`, the group's
 * failure records come in the same request (`HGETALL`: the ids are only known from the
 * listing), and the ids whose delayed retry is not due yet are returned as `notDue`.
 * @see https://redis.io/commands/xpending
 * @see https://redis.io/commands/hgetall
 */
async function listPage(o: ClaimOptions) {
  const start = o.cursor === CYCLE_START ? "-" : o.cursor;
  const listing: Command = [
    "XPENDING",
    o.stream,
    o.group,
    "IDLE",
    o.minIdleMs,
    start,
    "+",
    o.count,
  ];
  if (!o.retryDelays) {
    return {
      rows: parseXPendingExtended(await sendCommand(o.redis, o.budget, listing)),
      notDue: new Set<string>(),
    };
  }
  const pipe = o.redis.pipeline();
  pipe.xpending(o.stream, o.group, start, "+", o.count, { idleTime: o.minIdleMs });
  pipe.hgetall(o.failuresKey);
  const now = Date.now();
  const replies = await sendPipeline(pipe, o.budget, "XPENDING+HGETALL");
  const records = parseFailureHash(replyResult(replies[1], "HGETALL"));
  const notDue = new Set(
    [...records].filter(([, r]) => r.dueAt !== null && r.dueAt > now).map(([id]) => id),
  );
  return { rows: parseXPendingExtended(replyResult(replies[0], "XPENDING")), notDue };
}

function withRecords(
  id: string,
  pairs: FieldPair[],
  deliveries: number,
  records: Records,
): ClaimedEntry {
  const failures = records.failures.get(id) ?? 0;
  return { id, pairs, deliveries, failures, done: records.done.has(id) };
}

function ackDeleted(o: ClaimOptions, ids: string[]): Promise<string[]> {
  return ACK_DELETED_SCRIPT.runForIds(o.redis, [o.stream], [o.group, ...ids], o.budget);
}
