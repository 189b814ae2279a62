/** @module The snapshot behind `GET /stats`: stream, groups, consumers, alerts, DLQ length. */
import type { Redis } from "@upstash/redis";
import { DEFAULTS } from "../config/defaults";
import { RequestBudget } from "../redis/budget";
import { type PipelineReply, replyResult, sendPipeline } from "../redis/calls";
import { parseStreamEntries, parseXInfoGroups } from "../replies/index";
import { asInteger } from "../replies/shape";
import { type GroupStats, groupStats, PER_GROUP, queueGroup } from "./group-stats";

export type { ConsumerStats, GroupStart, GroupStats } from "./group-stats";

export type StatsSnapshot = {
  stream: {
    key: string;
    /** `false` when the key does not exist (no group created it yet). */
    exists: boolean;
    length: number;
    firstEntryId: string | null;
    lastEntryId: string | null;
  };
  groups: GroupStats[];
  dlq: { key: string; length: number };
  /** Consumers with `alert: true`, across groups, for a quick look. */
  alerts: { group: string; consumer: string; pending: number; idleMs: number }[];
  /** Upstash HTTP requests this snapshot cost: 1 with `group`, else 2 (1 with no groups). */
  requests: number;
};

export type StatsOptions = {
  redis: Pick<Redis, "pipeline">;
  stream: string;
  /** Only this group (one request instead of two); omit for every group of the stream. */
  group?: string;
  dlqStream: string;
  /** A consumer idle longer than this while owning pending entries raises an alert. @default 300000 */
  alertIdleMs?: number;
};

/**
 * Takes the snapshot in two pipelined requests: stream-wide facts (XINFO GROUPS, XLEN,
 * first and last entry, DLQ XLEN), then XINFO CONSUMERS and `XPENDING - + 1` of every group.
 * XRANGE/XREVRANGE COUNT 1 stand in for XINFO STREAM, which the client cannot pipeline.
 * A missing stream answers zeros and nulls; a group deleted between the two requests is
 * shown without consumers.
 * @see https://redis.io/commands/xinfo-groups
 * @see https://redis.io/commands/xpending
 */
export async function getStats(options: StatsOptions): Promise<StatsSnapshot> {
  const { redis, stream, dlqStream } = options;
  const budget = new RequestBudget();
  const first = redis.pipeline();
  first
    .xinfo(stream, { type: "GROUPS" })
    .xlen(stream)
    .xrange(stream, "-", "+", 1)
    .xrevrange(stream, "+", "-", 1)
    .xlen(dlqStream);
  if (options.group !== undefined) {
    queueGroup(first, stream, options.group);
  }
  const [groupsR, lenR, firstR, lastR, dlqR, ...rest] = await sendPipeline(first, budget, "stats");
  const exists = !isNoSuchKey(groupsR);
  let groups = exists ? parseXInfoGroups(replyResult(groupsR, "XINFO GROUPS")) : [];
  let perGroup = rest;
  if (options.group !== undefined) {
    groups = groups.filter((g) => g.name === options.group);
  } else if (groups.length > 0) {
    const second = redis.pipeline();
    for (const g of groups) {
      queueGroup(second, stream, g.name);
    }
    perGroup = await sendPipeline(second, budget, "stats of groups");
  }
  const alertIdleMs = options.alertIdleMs ?? DEFAULTS.alertIdleMs;
  const perGroupStats = groups.map((g, i) =>
    groupStats(g, ...perGroupReplies(perGroup, i), alertIdleMs),
  );
  return {
    stream: {
      key: stream,
      exists,
      length: asInteger(replyResult(lenR, "XLEN"), "XLEN reply"),
      firstEntryId: firstId(replyResult(firstR, "XRANGE")),
      lastEntryId: firstId(replyResult(lastR, "XREVRANGE")),
    },
    groups: perGroupStats,
    dlq: { key: dlqStream, length: asInteger(replyResult(dlqR, "XLEN"), "XLEN reply") },
    alerts: perGroupStats.flatMap((g) =>
      g.consumers
        .filter((c) => c.alert)
        .map((c) => ({ group: g.name, consumer: c.name, pending: c.pending, idleMs: c.idleMs })),
    ),
    requests: budget.used,
  };
}

/** Group `i`'s replies: its XINFO CONSUMERS, XPENDING and HGETALL, in that order. */
function perGroupReplies(replies: PipelineReply[], i: number) {
  const [consumers, pending, start] = replies.slice(PER_GROUP * i, PER_GROUP * (i + 1));
  return [consumers, pending, start] as const;
}

function firstId(raw: unknown): string | null {
  return parseStreamEntries(raw)[0]?.id ?? null;
}

const isNoSuchKey = (r: PipelineReply | undefined): boolean =>
  r?.error !== undefined && /^ERR no such key/i.test(r.error);
