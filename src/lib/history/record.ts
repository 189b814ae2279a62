/** @module Records a job's report and a snapshot of its group: one script run per job. */

import type { Redis } from "@upstash/redis";
import { DEFAULTS } from "../config/defaults";
import { RANGES } from "../config/ranges";
import { ConfigError } from "../errors";
import { RequestBudget } from "../redis/budget";
import { type Command, sendCommand } from "../redis/calls";
import { streamKeys } from "../redis/keys";
import { LuaScript, type ScriptRedis } from "../redis/script";
import { RECORD_SNAPSHOT } from "../redis/scripts/record-snapshot";
import type { JobRecord } from "./job-record";
import { minuteOf, parseSnapshot, type Snapshot } from "./snapshot";

const SCRIPT = new LuaScript("record-snapshot", RECORD_SNAPSHOT);

/**
 * Most entries the script counts one by one for the backlog where XINFO GROUPS has no `lag`
 * (Upstash, Redis 6.2); past it the backlog is extrapolated, as the fan-out's estimate is.
 */
export const HISTORY_BACKLOG_CAP = 1000;

export type RecordSnapshotOptions = {
  redis: ScriptRedis;
  stream: string;
  group: string;
  /** The dead-letter stream (`ResolvedConfig.dlqStream`). */
  dlqStream: string;
  /** The job that just ended (see `jobRecord`). */
  record: JobRecord;
  /** Snapshots kept (one per minute); @default DEFAULTS.historyMinutes (1440 = 24 h) */
  keep?: number;
  /** Counts the request(s); @default a budget of its own */
  budget?: RequestBudget;
  /** Which minute the snapshot is of (ms since epoch). @default Date.now() */
  now?: number;
};

/**
 * Records `record` and a snapshot of the group in ONE script run (EVALSHA; EVAL after a
 * script flush, so 1 request, 2 at most). The script reads XINFO GROUPS (pending, and lag,
 * or the backlog counted from the last-delivered-id where lag is missing), XLEN of the
 * stream and of the dead-letter stream at one instant, then merges the snapshot into the
 * minute's entry of `streamKeys().history` (counters summed, gauges from now) or pushes a
 * new one, trims the list to `keep`, and stores the record JSON in
 * `streamKeys().lastJobs` under its job. A missing stream or group still records (length 0,
 * pending 0, backlog null).
 * @returns the minute's snapshot as written
 * @throws ConfigError when `keep` is not an integer between 1 and 10080
 * @throws RedisCommandError when the script fails (e.g. WRONGTYPE on a history key)
 * @see https://redis.io/commands/xinfo-groups
 * @see https://redis.io/commands/lset
 * @see https://redis.io/commands/ltrim
 * @see https://redis.io/commands/hset
 */
export async function recordSnapshot(o: RecordSnapshotOptions): Promise<Snapshot> {
  const keep = o.keep ?? DEFAULTS.historyMinutes;
  const max = RANGES.historyMinutes[1];
  if (!Number.isInteger(keep) || keep < 1 || keep > max) {
    throw new ConfigError("keep", `keep must be an integer between 1 and ${max}, got ${keep}`);
  }
  const k = streamKeys(o.stream, o.group, o.dlqStream);
  const r = o.record;
  const args = [
    o.group,
    String(minuteOf(o.now ?? Date.now())),
    String(keep),
    r.job,
    JSON.stringify(r),
    ...[r.read, r.acked, r.failed, r.deadLettered].map(String),
    String(HISTORY_BACKLOG_CAP),
  ];
  const keys = [k.stream, k.dlq, k.history, k.lastJobs];
  const reply = await SCRIPT.run(o.redis, keys, args, o.budget ?? new RequestBudget());
  return parseSnapshot(reply);
}

/**
 * Whether a job did nothing a chart would show: it read (claimed) nothing, settled nothing
 * and reported no error. Such a job changes no gauge the drain or sweep is responsible for.
 */
export function isIdleJob(r: JobRecord): boolean {
  return r.read === 0 && r.acked === 0 && r.failed === 0 && r.deadLettered === 0 && !r.error;
}

export type RecordJobOptions = {
  redis: Pick<Redis, "exec">;
  stream: string;
  group: string;
  record: JobRecord;
  /** Counts the request; @default a budget of its own */
  budget?: RequestBudget;
};

/**
 * Keeps only the job's report (`HSET <lastJobs> <job> <json>`): one request, one command,
 * what an idle job records instead of a snapshot. An idle stream's minute-by-minute drains
 * then cost one command each rather than a script run and the commands inside it, and the
 * dashboard still shows when the last drain and sweep ran.
 * @see https://redis.io/commands/hset
 */
export async function recordJob(o: RecordJobOptions): Promise<void> {
  const { lastJobs } = streamKeys(o.stream, o.group);
  const command: Command = ["HSET", lastJobs, o.record.job, JSON.stringify(o.record)];
  await sendCommand(o.redis, o.budget ?? new RequestBudget(), command);
}
