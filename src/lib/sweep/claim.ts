/** @module One sweep page: find ripe pending entries and claim them (XAUTOCLAIM or XPENDING+XCLAIM). */
import type { Redis } from "@upstash/redis";
import type { RequestBudget } from "../redis/budget";
import { replyResult, sendCommand, sendPipeline } from "../redis/calls";
import { LuaScript, SCRIPT_MAX_REQUESTS, type ScriptRedis } from "../redis/script";
import { ACK_DELETED } from "../redis/scripts/ack-deleted";
import { parseXAutoClaim, parseXClaim, parseXPendingExtended } from "../replies/index";
import { type BackoffOptions, isRipe } from "./backoff";
import { CYCLE_START, nextStreamId } from "./cursor";

const ACK_DELETED_SCRIPT = new LuaScript("ack-deleted", ACK_DELETED);

/** Most requests one claim makes: 2 requests, plus EVALSHA+EVAL of the ack-deleted script. */
export const CLAIM_MAX_REQUESTS = 2 + SCRIPT_MAX_REQUESTS;

/** An entry now pending for the sweep's consumer, with the counter after the claim. */
export type ClaimedEntry = { id: string; fields: Record<string, string>; deliveries: number };

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
};

/**
 * RETRY_BACKOFF=fixed: `XAUTOCLAIM` claims what is idle ≥ minIdle from the cursor on, then
 * `XPENDING` over the claimed range reads their counters, which XAUTOCLAIM does not return.
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
  const live = result.entries.flatMap((e) => (e.fields ? [{ id: e.id, fields: e.fields }] : []));
  const page = { scanned: live.length + result.deletedIds.length, deletedIds: result.deletedIds };
  const first = live[0];
  const last = live[live.length - 1];
  if (!first || !last) {
    return { ...page, claimed: [], cursor: result.cursor };
  }
  // This consumer owns nothing else in [first, last]: earlier pages of the run lie below
  // the cursor, and a run stops when the cursor wraps.
  const rows = parseXPendingExtended(
    await sendCommand(o.redis, o.budget, [
      "XPENDING",
      stream,
      group,
      first.id,
      last.id,
      live.length,
      consumer,
    ]),
  );
  const counters = new Map(rows.map((r) => [r.id, r.deliveries]));
  const claimed = live.flatMap((e) => {
    const deliveries = counters.get(e.id);
    return deliveries === undefined ? [] : [{ ...e, deliveries }];
  });
  return { ...page, claimed, cursor: result.cursor };
}

/**
 * RETRY_BACKOFF=exponential: `XPENDING ... IDLE minIdle` lists a page with idle times and
 * counters, then one pipeline request `XCLAIM`s the ripe ids and reads their counters back
 * with `XPENDING` for this consumer. XCLAIM's min-idle-time (`minIdleMs`) makes a racing
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
  const start = o.cursor === CYCLE_START ? "-" : o.cursor;
  const rows = parseXPendingExtended(
    await sendCommand(o.redis, o.budget, [
      "XPENDING",
      stream,
      group,
      "IDLE",
      o.minIdleMs,
      start,
      "+",
      o.count,
    ]),
  );
  const last = rows[rows.length - 1];
  const cursor = rows.length < o.count || !last ? CYCLE_START : nextStreamId(last.id);
  const ripe = rows.filter((r) => isRipe(r.idleMs, r.deliveries, o));
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
  const [claimR, pendingR] = await sendPipeline(pipe, o.budget, "XCLAIM+XPENDING");
  const got = new Map(parseXClaim(replyResult(claimR, "XCLAIM")).map((e) => [e.id, e.fields]));
  const after = parseXPendingExtended(replyResult(pendingR, "XPENDING"));
  const counters = new Map(after.map((r) => [r.id, r.deliveries]));
  const claimed = ids.flatMap((id) => {
    const fields = got.get(id);
    const deliveries = counters.get(id);
    return fields && deliveries !== undefined ? [{ id, fields, deliveries }] : [];
  });
  const missing = ids.filter((id) => !got.get(id));
  const deletedIds = missing.length === 0 ? [] : await ackDeleted(o, missing);
  return { scanned: rows.length, claimed, deletedIds, cursor };
}

function ackDeleted(o: ClaimOptions, ids: string[]): Promise<string[]> {
  return ACK_DELETED_SCRIPT.runForIds(o.redis, [o.stream], [o.group, ...ids], o.budget);
}
