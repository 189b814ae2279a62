/** @module Reads a group's history back: its newest snapshots and its last drain and sweep. */
import type { Redis } from "@upstash/redis";
import { DEFAULTS } from "../config/defaults";
import { RANGES } from "../config/ranges";
import { ConfigError } from "../errors";
import { RequestBudget } from "../redis/budget";
import { replyResult, sendPipeline } from "../redis/calls";
import { streamKeys } from "../redis/keys";
import { asArray, asString, flatPairs } from "../replies/shape";
import { type JobRecord, parseJobRecord } from "./job-record";
import { parseSnapshot, type Snapshot } from "./snapshot";

export type History = {
  /** Oldest first, at most `minutes` of them. */
  snapshots: Snapshot[];
  lastDrain: JobRecord | null;
  lastSweep: JobRecord | null;
  /** Requests the read cost (1). */
  requests: number;
};

export type ReadHistoryOptions = {
  redis: Pick<Redis, "pipeline">;
  stream: string;
  group: string;
  /** Newest snapshots read, one a minute; 0 reads none. @default 1440 (24 h) */
  minutes?: number;
  /** Counts the request; @default a budget of its own */
  budget?: RequestBudget;
};

/**
 * The history list's lines, newest first as stored, turned oldest first.
 *
 * Raw: `["1767225660000 3 0 0 0 3 3 0 0 1", "1767225600000 5 2 1 0 4 4 0 0 2"]`
 * @throws ReplyShapeError on anything but a list of snapshot lines
 */
export function parseHistoryList(raw: unknown): Snapshot[] {
  return asArray(raw, "history list").map(parseSnapshot).reverse();
}

/**
 * The last-jobs hash (HGETALL), fields other than `drain` and `sweep` ignored.
 *
 * Raw: `["drain", "{\"job\":\"drain\",...}", "sweep", "{\"job\":\"sweep\",...}"]`, `[]` when
 * no job was recorded.
 * @throws ReplyShapeError when the reply or a record is malformed
 */
export function parseLastJobs(raw: unknown): Pick<History, "lastDrain" | "lastSweep"> {
  const map = flatPairs(raw ?? [], "last jobs", (v, key) => asString(v, `last jobs ${key}`));
  return {
    lastDrain: map.drain === undefined ? null : parseJobRecord(map.drain, "drain"),
    lastSweep: map.sweep === undefined ? null : parseJobRecord(map.sweep, "sweep"),
  };
}

/**
 * One pipelined request: LRANGE of the newest `minutes` snapshots and HGETALL of the last
 * jobs (`streamKeys().history`, `.lastJobs`). `minutes` 0 sends no LRANGE (snapshots `[]`).
 * A group never recorded answers no snapshots and null jobs.
 * @throws ConfigError when `minutes` is not an integer between 0 and 10080
 * @throws RedisCommandError when the request or a command fails (e.g. WRONGTYPE)
 * @throws ReplyShapeError when a stored line or record is malformed
 * @see https://redis.io/commands/lrange
 * @see https://redis.io/commands/hgetall
 */
export async function readHistory(o: ReadHistoryOptions): Promise<History> {
  const minutes = o.minutes ?? DEFAULTS.historyMinutes;
  const max = RANGES.historyMinutes[1];
  if (!Number.isInteger(minutes) || minutes < 0 || minutes > max) {
    throw new ConfigError(
      "minutes",
      `minutes must be an integer between 0 and ${max}, got ${minutes}`,
    );
  }
  const budget = o.budget ?? new RequestBudget();
  const usedBefore = budget.used;
  const k = streamKeys(o.stream, o.group);
  const pipe = o.redis.pipeline();
  pipe.hgetall(k.lastJobs);
  if (minutes > 0) {
    pipe.lrange(k.history, 0, minutes - 1);
  }
  const [jobsR, listR] = await sendPipeline(
    pipe,
    budget,
    minutes > 0 ? "HGETALL+LRANGE" : "HGETALL",
  );
  const snapshots = minutes > 0 ? parseHistoryList(replyResult(listR, "LRANGE")) : [];
  return {
    snapshots,
    ...parseLastJobs(replyResult(jobsR, "HGETALL")),
    requests: budget.used - usedBefore,
  };
}
