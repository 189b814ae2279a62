/** @module Creates the consumer group (and stream) on first use; remembered per isolate. */
import { DEFAULTS } from "../config/defaults";
import { errorMessage, ReplyShapeError } from "../errors";
import { RequestBudget } from "../redis/budget";
import { streamKeys } from "../redis/keys";
import { LuaScript, type ScriptRedis } from "../redis/script";
import { GROUP_CREATE } from "../redis/scripts/group-create";
import { asArray, asInteger, asString } from "../replies/shape";

const CREATE = new LuaScript("group-create", GROUP_CREATE);

/** Groups this isolate created or found: a warm Worker does not repeat XGROUP CREATE. */
const known = new Set<string>();

const id = (stream: string, group: string) => `${stream}\u0000${group}`;

/** True for Redis's "the group (or stream) does not exist" error. */
export function isNoGroupError(e: unknown): boolean {
  return /NOGROUP/.test(errorMessage(e));
}

export type EnsureGroupOptions = {
  redis: ScriptRedis;
  stream: string;
  group: string;
  /** Where a new group starts: `$` = only new entries, `0` = the whole history. @default "$" */
  startId?: string;
  /** Ignore the per-isolate memory, e.g. after a NOGROUP showed the group is gone. @default false */
  force?: boolean;
  /** Counts the requests against the caller's cap. @default an unlimited budget of its own */
  budget?: RequestBudget;
};

/** What {@link ensureGroup} did. */
export type EnsureGroupResult =
  /** Known to this isolate already: no request made. */
  | { created: false; requested: false }
  /** The group existed (BUSYGROUP). */
  | { created: false; requested: true }
  /** Created now at `startId`, after `startedAfter` (`$` resolved to the stream's top id). */
  | { created: true; requested: true; startId: string; startedAfter: string };

/**
 * `XGROUP CREATE stream group <startId> MKSTREAM`, recording where a new group started in
 * the `groupStart` key (shown by `getStats`); an existing group is left as it is. One
 * script call: EVALSHA, or EVALSHA + EVAL the first time Redis lacks the script.
 * @throws RedisCommandError for a failure other than BUSYGROUP (e.g. WRONGTYPE)
 * @see https://redis.io/commands/xgroup-create
 */
export async function ensureGroup(options: EnsureGroupOptions): Promise<EnsureGroupResult> {
  const { stream, group } = options;
  if (known.has(id(stream, group)) && !options.force) {
    return { created: false, requested: false };
  }
  const startId = options.startId ?? DEFAULTS.groupStartId;
  const keys = [stream, streamKeys(stream, group).groupStart];
  const args = [group, startId, String(Date.now())];
  const budget = options.budget ?? new RequestBudget();
  const reply = await CREATE.run(options.redis, keys, args, budget);
  const [created, startedAfter] = parseGroupCreateReply(reply);
  known.add(id(stream, group));
  return created
    ? { created: true, requested: true, startId, startedAfter }
    : { created: false, requested: true };
}

/**
 * Reply of the group-create script: whether it created the group, and the id it started after.
 *
 * Raw: `[1, "1795709122566-0"]` (created), `[0, ""]` (existed)
 */
export function parseGroupCreateReply(raw: unknown): [boolean, string] {
  const [flag, after] = asArray(raw, "group-create reply");
  if (flag === undefined || after === undefined) {
    throw new ReplyShapeError(`group-create reply: expected [created, startedAfter]`);
  }
  return [asInteger(flag, "group-create flag") === 1, asString(after, "group-create id")];
}
