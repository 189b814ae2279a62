/** @module One group's part of the stats snapshot: consumers, alerts, oldest pending entry, start. */
import { type Pipeline, type PipelineReply, replyResult } from "../redis/calls";
import { streamKeys } from "../redis/keys";
import {
  type ConsumerInfo,
  type GroupInfo,
  parseXInfoConsumers,
  parseXPendingExtended,
} from "../replies/index";
import { asInteger, asString, flatPairs } from "../replies/shape";

/** One consumer of a group, flagged when it looks dead while holding messages. */
export type ConsumerStats = ConsumerInfo & {
  /** `true` when idle longer than `alertIdleMs` with pending entries (a dead consumer). */
  alert: boolean;
};

/** One group of the stream, as XINFO GROUPS and XPENDING describe it. */
export type GroupStats = Omit<GroupInfo, "consumers"> & {
  /** Number of consumers (XINFO GROUPS `consumers`). */
  consumerCount: number;
  /** Where the group started when the drain created it; `null` for a group made elsewhere. */
  start: GroupStart | null;
  /** Lowest pending id, i.e. the entry waiting longest for an ack; `null` when none. */
  oldestPendingId: string | null;
  /** Idle time of that entry (since its last delivery or claim); `null` when none. */
  oldestPendingIdleMs: number | null;
  consumers: ConsumerStats[];
};

/** Where a group this package created started (the drain records it when it creates one). */
export type GroupStart = {
  /** GROUP_START_ID as configured then: `$`, `0` or a stream id. */
  startId: string;
  /** The id the group started after: entries up to it were never delivered to the group. */
  startedAfter: string;
  /** When the group was created (ms since epoch). */
  createdAt: number;
};

/** Commands queued per group: its consumers, its lowest pending entry, where it started. */
export const PER_GROUP = 3;

/** The per-group commands: its consumers, its lowest pending entry, where it started. */
export function queueGroup(p: Pipeline, stream: string, group: string): void {
  p.xinfo(stream, { type: "CONSUMERS", group })
    .xpending(stream, group, "-", "+", 1)
    .hgetall(streamKeys(stream, group).groupStart);
}

/**
 * Reply of `HGETALL <groupStart>`: where the group started, or `null` when this package did
 * not create it (or the record is incomplete).
 *
 * Raw: `["start_id", "$", "started_after", "1795709122566-0", "created_at", "1795709122600"]`,
 * `[]` when absent
 */
export function parseGroupStart(raw: unknown): GroupStart | null {
  const map = flatPairs(raw ?? [], "group start", (v, key) => asString(v, `group start ${key}`));
  const { start_id: startId, started_after: startedAfter, created_at: createdAt } = map;
  if (startId === undefined || startedAfter === undefined || createdAt === undefined) {
    return null;
  }
  return { startId, startedAfter, createdAt: asInteger(createdAt, "group start created_at") };
}

/**
 * Merges XINFO GROUPS' view of a group with its XINFO CONSUMERS and `XPENDING - + 1` replies.
 * @param alertIdleMs a consumer idle longer than this with pending entries gets `alert: true`
 */
export function groupStats(
  info: GroupInfo,
  consumersR: PipelineReply | undefined,
  pendingR: PipelineReply | undefined,
  startR: PipelineReply | undefined,
  alertIdleMs: number,
): GroupStats {
  // NOGROUP: the group went away between the two requests; show what XINFO GROUPS said.
  const gone = isNoGroup(consumersR) || isNoGroup(pendingR);
  const consumers = gone ? [] : parseXInfoConsumers(replyResult(consumersR, "XINFO CONSUMERS"));
  const [oldest] = gone ? [] : parseXPendingExtended(replyResult(pendingR, "XPENDING"));
  const { consumers: consumerCount, ...rest } = info;
  return {
    ...rest,
    consumerCount,
    start: parseGroupStart(replyResult(startR, "HGETALL")),
    oldestPendingId: oldest?.id ?? null,
    oldestPendingIdleMs: oldest?.idleMs ?? null,
    consumers: consumers.map((c) => ({
      ...c,
      alert: c.pending > 0 && c.idleMs > alertIdleMs,
    })),
  };
}

const isNoGroup = (r: PipelineReply | undefined): boolean =>
  r?.error !== undefined && /^NOGROUP/.test(r.error);
