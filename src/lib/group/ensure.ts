/** @module Creates the consumer group (and stream) on first use; remembered per isolate. */
import type { Redis } from "@upstash/redis";
import { DEFAULTS } from "../config/defaults";
import { errorMessage, RedisCommandError } from "../errors";
import { counted, type RequestCounter, requestCounter } from "../redis/budget";

export type GroupRedis = Pick<Redis, "xgroup">;

/** Groups this isolate created or found: a warm Worker does not repeat XGROUP CREATE. */
const known = new Set<string>();

const id = (stream: string, group: string) => `${stream}\u0000${group}`;

/** True for Redis's "the group (or stream) does not exist" error. */
export function isNoGroupError(e: unknown): boolean {
  return /NOGROUP/.test(errorMessage(e));
}

export type EnsureGroupOptions = {
  redis: GroupRedis;
  stream: string;
  group: string;
  /** Where a new group starts: `$` = only new entries, `0` = the whole history. @default "$" */
  startId?: string;
  /** Ignore the per-isolate memory, e.g. after a NOGROUP showed the group is gone. */
  force?: boolean;
  counter?: RequestCounter;
};

/**
 * `XGROUP CREATE stream group <startId> MKSTREAM`; an existing group (BUSYGROUP) is
 * success. Returns whether a request was made.
 * @see https://redis.io/commands/xgroup-create
 */
export async function ensureGroup(options: EnsureGroupOptions): Promise<boolean> {
  const key = id(options.stream, options.group);
  if (known.has(key) && !options.force) {
    return false;
  }
  const counter = options.counter ?? requestCounter();
  try {
    await counted(
      counter,
      options.redis.xgroup(options.stream, {
        type: "CREATE",
        group: options.group,
        id: options.startId ?? DEFAULTS.groupStartId,
        options: { MKSTREAM: true },
      }),
    );
  } catch (e) {
    if (!/BUSYGROUP/.test(errorMessage(e))) {
      throw RedisCommandError.from("XGROUP CREATE", e);
    }
  }
  known.add(key);
  return true;
}

/** Drops the memory of a group (it was destroyed); the next ensureGroup asks Redis again. */
export function forgetGroup(stream: string, group: string): void {
  known.delete(id(stream, group));
}
