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
  | { created: true; requested: true; recreated: false; startId: string; startedAfter: string }
  /**
   * It had existed and was destroyed: recreated after its recorded resume point (`startId`,
   * `0` when none was recorded), never at the configured start again.
   */
  | { created: true; requested: true; recreated: true; startId: string; startedAfter: string };

/**
 * `XGROUP CREATE stream group <startId> MKSTREAM`, recording where a new group started in
 * the `groupStart` key (shown by `getStats`); an existing group is left as it is. A group
 * that key shows existed before (destroyed, or its stream deleted) is recreated after its
 * recorded resume point (see {@link recordGroupPosition}), or at `0`: never at `startId`,
 * which would skip what arrived meanwhile. One script call: EVALSHA, or EVALSHA + EVAL the
 * first time Redis lacks the script.
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
  const created = parseGroupCreateReply(reply);
  known.add(id(stream, group));
  if (created.kind === "existed") {
    return { created: false, requested: true };
  }
  const { startedAfter, startId: from } = created;
  return created.kind === "recreated"
    ? { created: true, requested: true, recreated: true, startId: from, startedAfter }
    : { created: true, requested: true, recreated: false, startId, startedAfter };
}

/** What the group-create script did. */
export type GroupCreateReply =
  | { kind: "existed" }
  | { kind: "created" | "recreated"; startedAfter: string; startId: string };

/**
 * Reply of the group-create script: what it did, the id the group started after and the
 * start id it used.
 *
 * Raw: `[1, "1795709122566-0", "$"]` (created), `[2, "1795709122560-0", "1795709122560-0"]`
 * (recreated at its resume point), `[0, "", ""]` (existed)
 */
export function parseGroupCreateReply(raw: unknown): GroupCreateReply {
  const [flag, after, start] = asArray(raw, "group-create reply");
  if (flag === undefined || after === undefined || start === undefined) {
    throw new ReplyShapeError("group-create reply: expected [flag, startedAfter, startId]");
  }
  const kinds = { 0: "existed", 1: "created", 2: "recreated" } as const;
  const n = asInteger(flag, "group-create flag");
  const kind = n === 0 || n === 1 || n === 2 ? kinds[n] : undefined;
  if (kind === undefined) {
    throw new ReplyShapeError(`group-create reply: unknown flag ${n}`);
  }
  if (kind === "existed") {
    return { kind };
  }
  return {
    kind,
    startedAfter: asString(after, "group-create id"),
    startId: asString(start, "group-create start id"),
  };
}
