/** @module Moves a consumer group's last-delivered-id (`XGROUP SETID`): replay or skip. */
import type { Redis } from "@upstash/redis";
import { GroupNotFoundError, IdPastEndError, RedisCommandError } from "../errors";
import { RequestBudget } from "../redis/budget";
import { sendCommand, sendPipeline } from "../redis/calls";
import { compareStreamIds, parseXInfoGroups } from "../replies/index";
import { asString, flatPairs } from "../replies/shape";
import { isStreamIdArgument } from "../replies/stream-id";

export type ResetOptions = {
  redis: Pick<Redis, "exec" | "pipeline">;
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
 * `last-generated-id` of an `XINFO STREAM` reply: the highest id the stream ever had, deleted
 * entries included (what `$` stands for).
 *
 * Raw (7.x): `["length", 2, "radix-tree-keys", 1, "radix-tree-nodes", 2, "last-generated-id",
 * "1795709122567-0", "max-deleted-entry-id", "0-0", ..., "first-entry", [...], "last-entry",
 * [...]]`
 * @see https://redis.io/commands/xinfo-stream
 */
export function parseLastGeneratedId(raw: unknown): string {
  const info = flatPairs(raw, "XINFO STREAM reply", (v) => v);
  return asString(info["last-generated-id"], "XINFO STREAM last-generated-id");
}

/** The stream's last id; a missing stream has no group to reset either. */
async function lastId(options: ResetOptions, budget: RequestBudget): Promise<string> {
  const { stream, group } = options;
  try {
    return parseLastGeneratedId(
      await sendCommand(options.redis, budget, ["XINFO", "STREAM", stream]),
    );
  } catch (e) {
    if (e instanceof RedisCommandError && /no such key/.test(e.message)) {
      throw new GroupNotFoundError(stream, group, { cause: e });
    }
    throw e;
  }
}

/**
 * `XGROUP SETID stream group id`, in one request with the `XINFO GROUPS` read before it so
 * the report says where the group stood. Pending entries stay pending: only what `>`
 * reads next changes. An id other than `$` is first checked against the stream's last id
 * (`XINFO STREAM`, one request more): Redis takes an id past the end and the group would then
 * skip every entry added until the stream reaches it. Ids only grow, so an id found within
 * the stream stays within it until the SETID.
 * @throws IdPastEndError when `id` is greater than the stream's last id
 * @throws GroupNotFoundError when the stream or the group does not exist
 * @throws RedisCommandError for any other Redis failure
 * @see https://redis.io/commands/xgroup-setid
 */
export async function resetGroup(options: ResetOptions): Promise<ResetReport> {
  const { stream, group, id } = options;
  const budget = new RequestBudget();
  // `$` is the end by definition; what is not an id at all, SETID refuses on its own.
  if (isStreamIdArgument(id)) {
    const last = await lastId(options, budget);
    if (compareStreamIds(id, last) > 0) {
      throw new IdPastEndError(id, last);
    }
  }
  const p = options.redis.pipeline();
  p.xinfo(stream, { type: "GROUPS" }).xgroup(stream, { type: "SETID", group, id });
  const [before, setid] = await sendPipeline(p, budget, "XINFO+XGROUP SETID");
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
