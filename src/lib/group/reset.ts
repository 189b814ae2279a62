/** @module Moves a consumer group's last-delivered-id (`XGROUP SETID`): replay or skip. */
import type { Redis } from "@upstash/redis";
import { GroupNotFoundError, RedisCommandError } from "../errors";
import { RequestBudget } from "../redis/budget";
import { sendPipeline } from "../redis/calls";
import { parseXInfoGroups } from "../replies/index";

export type ResetOptions = {
  redis: Pick<Redis, "pipeline">;
  stream: string;
  group: string;
  /** `0` replays the whole stream, `$` skips to now, a stream id resumes after it. */
  id: string;
};

export type ResetReport = {
  stream: string;
  group: string;
  id: string;
  /** Where the group stood before: pass it back as `id` to undo the reset. */
  previousLastDeliveredId: string | null;
};

/** "NOGROUP ..." for a missing group; SETID on a missing key says the key must exist. */
const MISSING = /^NOGROUP|requires the key to exist/;

/**
 * `XGROUP SETID stream group id`, in one request with the `XINFO GROUPS` read before it so
 * the report says where the group stood. Pending entries stay pending: only what `>`
 * reads next changes.
 * @throws GroupNotFoundError when the stream or the group does not exist
 * @throws RedisCommandError for any other Redis failure
 * @see https://redis.io/commands/xgroup-setid
 */
export async function resetGroup(options: ResetOptions): Promise<ResetReport> {
  const { stream, group, id } = options;
  const p = options.redis.pipeline();
  p.xinfo(stream, { type: "GROUPS" }).xgroup(stream, { type: "SETID", group, id });
  const [before, setid] = await sendPipeline(p, new RequestBudget(), "XINFO+XGROUP SETID");
  if (setid?.error !== undefined) {
    if (MISSING.test(setid.error)) {
      throw new GroupNotFoundError(stream, group, { cause: new Error(setid.error) });
    }
    throw new RedisCommandError("XGROUP SETID", setid.error);
  }
  const groups = before?.error === undefined ? parseXInfoGroups(before?.result) : [];
  const previous = groups.find((g) => g.name === group)?.lastDeliveredId ?? null;
  return { stream, group, id, previousLastDeliveredId: previous };
}
