/** @module Stream trimming after a sweep: `acked` via XTRIM MINID, `maxlen:N` via XTRIM MAXLEN ~. */
import type { Redis } from "@upstash/redis";
import type { TrimPolicy } from "../config/parsers";
import { RedisCommandError } from "../errors";
import { RequestBudget } from "../redis/budget";
import { type Command, replyResult, sendCommand, sendPipeline } from "../redis/calls";
import { compareStreamIds, parseXInfoGroups, parseXPendingExtended } from "../replies/index";
import { asInteger } from "../replies/shape";
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
  /** Counts the requests against the caller's cap. @default an unlimited budget of its own */
  budget?: RequestBudget;
};

export type TrimReport = {
  /** Entries removed. */
  trimmed: number;
  /** `acked` only: the MINID used, `null` when nothing could be trimmed. */
  minId: string | null;
  requests: number;
};

/** A missing stream has no groups: nothing to trim, not an error. */
async function listGroups(redis: TrimOptions["redis"], budget: RequestBudget, stream: string) {
  try {
    return parseXInfoGroups(await sendCommand(redis, budget, ["XINFO", "GROUPS", stream]));
  } catch (e) {
    if (e instanceof RedisCommandError && /no such key/i.test(e.message)) {
      return [];
    }
    throw e;
  }
}

/** The oldest pending id of each listed group, in one pipelined request. */
async function oldestPending(
  redis: TrimOptions["redis"],
  budget: RequestBudget,
  stream: string,
  groups: string[],
): Promise<Map<string, string>> {
  const oldest = new Map<string, string>();
  if (groups.length === 0) {
    return oldest;
  }
  const pipe = redis.pipeline();
  for (const g of groups) {
    pipe.xpending(stream, g, "-", "+", 1);
  }
  const replies = await sendPipeline(pipe, budget, "XPENDING");
  groups.forEach((g, i) => {
    const [row] = parseXPendingExtended(replyResult(replies[i], "XPENDING"));
    if (row) {
      oldest.set(g, row.id);
    }
  });
  return oldest;
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
  const budget = options.budget ?? new RequestBudget();
  const before = budget.used;
  const report = (trimmed: number, minId: string | null) => ({
    trimmed,
    minId,
    requests: budget.used - before,
  });
  if (policy.kind === "none") {
    return report(0, null);
  }
  if (policy.kind === "maxlen") {
    const cmd: Command = ["XTRIM", stream, "MAXLEN", "~", String(policy.maxLen)];
    return report(asInteger(await sendCommand(redis, budget, cmd), "XTRIM reply"), null);
  }
  const groups = await listGroups(redis, budget, stream);
  const busy = groups.filter((g) => g.pending > 0).map((g) => g.name);
  const oldest = await oldestPending(redis, budget, stream, busy);
  const bound = ackedTrimBound(
    groups.map((g) => ({
      lastDeliveredId: g.lastDeliveredId,
      oldestPendingId: oldest.get(g.name) ?? null,
    })),
  );
  if (bound === null) {
    return report(0, null);
  }
  const cmd: Command = ["XTRIM", stream, "MINID", "=", bound];
  const trimmed = asInteger(await sendCommand(redis, budget, cmd), "XTRIM reply");
  return report(trimmed, bound);
}
