/** @module Estimates a group's backlog (entries not delivered yet) in one script run. */
import { LuaScript, type ScriptTarget } from "../redis/script";
import { BACKLOG } from "../redis/scripts/backlog";
import { asInteger, fail } from "../replies/shape";

const SCRIPT = new LuaScript("backlog", BACKLOG);

/**
 * The backlog script's reply: the estimate, or `null` when the stream or the group is missing.
 *
 * Raw: `42` (entries after the last-delivered-id), `-1` (no such stream or group).
 * @throws ReplyShapeError on anything else
 */
export function parseBacklog(raw: unknown): number | null {
  const what = "backlog reply";
  const count = asInteger(raw, what);
  if (count === -1) {
    return null;
  }
  return count >= 0 ? count : fail(what, "a count or -1", raw);
}

/**
 * The entries after the group's last-delivered-id: what no consumer has read yet, pending
 * entries not included (they are the sweep's). Works where XINFO GROUPS has no `lag`
 * (Redis 6.2, Upstash). Exact up to `cap` entries, which Redis walks; past it, extrapolated
 * from the counted entries' id times to the stream's newest id (ids made by `XADD *` are
 * arrival times), and never above XLEN. One script run.
 * @returns the estimate, or `null` when the stream or the group does not exist
 * @see https://redis.io/commands/xinfo-groups
 * @see https://redis.io/commands/xrange
 */
export async function estimateBacklog(o: ScriptTarget & { cap: number }): Promise<number | null> {
  const reply = await SCRIPT.run(o.redis, [o.stream], [o.group, String(o.cap)], o.budget);
  return parseBacklog(reply);
}
