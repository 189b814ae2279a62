/** @module Creates the consumer group (and stream) on first use; remembered per isolate. */
import type { Redis } from "@upstash/redis";
import { DEFAULTS } from "../config/defaults";
import { errorMessage } from "../errors";
import { RequestBudget } from "../redis/budget";
import { sendCommand } from "../redis/calls";

/** Groups this isolate created or found: a warm Worker does not repeat XGROUP CREATE. */
const known = new Set<string>();

const id = (stream: string, group: string) => `${stream}\u0000${group}`;

/** True for Redis's "the group (or stream) does not exist" error. */
export function isNoGroupError(e: unknown): boolean {
  return /NOGROUP/.test(errorMessage(e));
}

export type EnsureGroupOptions = {
  redis: Pick<Redis, "exec">;
  stream: string;
  group: string;
  /** Where a new group starts: `$` = only new entries, `0` = the whole history. @default "$" */
  startId?: string;
  /** Ignore the per-isolate memory, e.g. after a NOGROUP showed the group is gone. @default false */
  force?: boolean;
  /** Counts the request against the caller's cap. @default an unlimited budget of its own */
  budget?: RequestBudget;
};

/**
 * `XGROUP CREATE stream group <startId> MKSTREAM`; an existing group (BUSYGROUP) is
 * success. Returns whether a request was made.
 * @throws RedisCommandError for any other failure
 * @see https://redis.io/commands/xgroup-create
 */
export async function ensureGroup(options: EnsureGroupOptions): Promise<boolean> {
  const key = id(options.stream, options.group);
  if (known.has(key) && !options.force) {
    return false;
  }
  const startId = options.startId ?? DEFAULTS.groupStartId;
  const budget = options.budget ?? new RequestBudget();
  try {
    await sendCommand(options.redis, budget, [
      "XGROUP",
      "CREATE",
      options.stream,
      options.group,
      startId,
      "MKSTREAM",
    ]);
  } catch (e) {
    if (!/BUSYGROUP/.test(errorMessage(e))) {
      throw e;
    }
  }
  known.add(key);
  return true;
}

/** Drops the memory of a group (it was destroyed); the next ensureGroup asks Redis again. */
export function forgetGroup(stream: string, group: string): void {
  known.delete(id(stream, group));
}
