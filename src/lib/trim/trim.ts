/** @module TRIM after a sweep (DESIGN 3): `acked` via XTRIM MINID, `maxlen:N` via XTRIM MAXLEN ~. */
import type { Redis } from "@upstash/redis";
import type { TrimPolicy } from "../config/schemas";
import { RedisCommandError, ReplyShapeError } from "../errors";
import { counted, type RequestCounter, requestCounter } from "../redis/budget";
import { compareStreamIds, parseXInfoGroups, parseXPendingExtended } from "../replies/index";
import { nextStreamId } from "../sweep/cursor";

/** Most requests {@link trimStream} makes for a policy. */
export function trimMaxRequests(policy: TrimPolicy): number {
  return { none: 0, maxlen: 1, acked: 3 }[policy.kind];
}

/** What one group still needs: ids at or above its bound are pending or not yet read. */
export type GroupPosition = { lastDeliveredId: string; oldestPendingId: string | null };

/**
 * The lowest id some group still needs, or `null` when there is no group (nothing is known
 * to be done with, so nothing may go). Per group: its oldest pending id, else the id right
 * after its last-delivered-id; the lower of the two, since `XGROUP SETID` can move
 * last-delivered-id below entries still pending. A group that never read has
 * last-delivered-id `0-0` (created at `0`) or the stream's top when created (`$`): both
 * right. `entries-read` and `lag` are not used: they are null after XDEL and say nothing
 * about ids.
 */
export function ackedTrimBound(groups: GroupPosition[]): string | null {
  let bound: string | null = null;
  for (const g of groups) {
    const afterDelivered = nextStreamId(g.lastDeliveredId);
    const pending = g.oldestPendingId;
    const own =
      pending !== null && compareStreamIds(pending, afterDelivered) < 0 ? pending : afterDelivered;
    if (bound === null || compareStreamIds(own, bound) < 0) {
      bound = own;
    }
  }
  return bound;
}

export type TrimOptions = {
  redis: Pick<Redis, "exec" | "pipeline">;
  stream: string;
  policy: TrimPolicy;
  counter?: RequestCounter;
};

export type TrimReport = {
  /** Entries removed. */
  trimmed: number;
  /** `acked` only: the MINID used, `null` when nothing could be trimmed. */
  minId: string | null;
  requests: number;
};

async function send(counter: RequestCounter, redis: TrimOptions["redis"], cmd: string[]) {
  try {
    return await counted(counter, redis.exec(cmd as [string, ...string[]]));
  } catch (e) {
    throw RedisCommandError.from(cmd.slice(0, 2).join(" "), e);
  }
}

/** A missing stream has no groups: nothing to trim, not an error. */
async function listGroups(counter: RequestCounter, redis: TrimOptions["redis"], stream: string) {
  try {
    return parseXInfoGroups(await send(counter, redis, ["XINFO", "GROUPS", stream]));
  } catch (e) {
    if (e instanceof RedisCommandError && /no such key/i.test(e.message)) {
      return [];
    }
    throw e;
  }
}

function asCount(raw: unknown): number {
  if (typeof raw !== "number") {
    throw new ReplyShapeError(`XTRIM returned ${JSON.stringify(raw)}`);
  }
  return raw;
}

/**
 * Trims the stream by `policy`. `acked`: `XINFO GROUPS`, the oldest pending id of every
 * group with pending entries (one pipeline), then exact `XTRIM MINID` at
 * {@link ackedTrimBound}. Safe against reads and acks in between (the bound only rises);
 * not against a group created, or moved back with SETID, in between.
 * @see https://redis.io/commands/xtrim
 * @see https://redis.io/commands/xinfo-groups
 */
export async function trimStream(options: TrimOptions): Promise<TrimReport> {
  const { redis, stream, policy } = options;
  const counter = options.counter ?? requestCounter();
  const before = counter.count;
  const report = (trimmed: number, minId: string | null) => ({
    trimmed,
    minId,
    requests: counter.count - before,
  });
  if (policy.kind === "none") {
    return report(0, null);
  }
  if (policy.kind === "maxlen") {
    const cmd = ["XTRIM", stream, "MAXLEN", "~", String(policy.maxLen)];
    return report(asCount(await send(counter, redis, cmd)), null);
  }
  const groups = await listGroups(counter, redis, stream);
  const busy = groups.filter((g) => g.pending > 0);
  const oldest = new Map<string, string>();
  if (busy.length > 0) {
    const pipe = redis.pipeline();
    for (const g of busy) {
      pipe.xpending(stream, g.name, "-", "+", 1);
    }
    let replies: unknown[];
    try {
      replies = await counted(counter, pipe.exec());
    } catch (e) {
      throw RedisCommandError.from("XPENDING", e);
    }
    busy.forEach((g, i) => {
      const [row] = parseXPendingExtended(replies[i]);
      if (row) {
        oldest.set(g.name, row.id);
      }
    });
  }
  const bound = ackedTrimBound(
    groups.map((g) => ({
      lastDeliveredId: g.lastDeliveredId,
      oldestPendingId: oldest.get(g.name) ?? null,
    })),
  );
  if (bound === null) {
    return report(0, null);
  }
  const trimmed = asCount(await send(counter, redis, ["XTRIM", stream, "MINID", "=", bound]));
  return report(trimmed, bound);
}
