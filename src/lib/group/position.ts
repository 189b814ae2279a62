/** @module Remembers where a group stands, so a destroyed group is recreated without a loss. */

import { streamKeys } from "../redis/keys";
import { LuaScript, type ScriptTarget } from "../redis/script";
import { GROUP_POSITION } from "../redis/scripts/group-position";
import { asString } from "../replies/shape";

const POSITION = new LuaScript("group-position", GROUP_POSITION);

/**
 * Stores in the group's hash (`streamKeys().groupStart`, field `resume_after`) the id a
 * recreated group must start after: before its oldest pending entry, or its
 * last-delivered-id. If the group (or its stream) is later destroyed, the drain recreates it
 * there (see {@link ensureGroup}): what was read since is delivered again, a duplicate
 * rather than a loss. The sweep calls this once per run: one script run.
 * @returns the id stored, or `null` when the group does not exist
 * @see https://redis.io/commands/xinfo-groups
 * @see https://redis.io/commands/xpending
 */
export async function recordGroupPosition(
  options: ScriptTarget & { now?: number },
): Promise<string | null> {
  const { redis, stream, group, budget } = options;
  const keys = [stream, streamKeys(stream, group).groupStart];
  const now = String(options.now ?? Date.now());
  const reply = await POSITION.run(redis, keys, [group, now], budget);
  const id = asString(reply, "group-position reply");
  return id === "" ? null : id;
}
