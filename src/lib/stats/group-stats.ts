/** @module One group's part of the stats snapshot: its consumers, alerts and oldest pending entry. */
import { type Pipeline, type PipelineReply, replyResult } from "../redis/calls";
import {
  type ConsumerInfo,
  type GroupInfo,
  parseXInfoConsumers,
  parseXPendingExtended,
} from "../replies/index";

/** One consumer of a group, flagged when it looks dead while holding messages. */
export type ConsumerStats = ConsumerInfo & {
  /** `true` when idle longer than `alertIdleMs` with pending entries (a dead consumer). */
  alert: boolean;
};

/** One group of the stream, as XINFO GROUPS and XPENDING describe it. */
export type GroupStats = Omit<GroupInfo, "consumers"> & {
  /** Number of consumers (XINFO GROUPS `consumers`). */
  consumerCount: number;
  /** Lowest pending id, i.e. the entry waiting longest for an ack; `null` when none. */
  oldestPendingId: string | null;
  /** Idle time of that entry (since its last delivery or claim); `null` when none. */
  oldestPendingIdleMs: number | null;
  consumers: ConsumerStats[];
};

/** The per-group commands: its consumers and its lowest pending entry (id, idle time). */
export function queueGroup(p: Pipeline, stream: string, group: string): void {
  p.xinfo(stream, { type: "CONSUMERS", group }).xpending(stream, group, "-", "+", 1);
}

/**
 * Merges XINFO GROUPS' view of a group with its XINFO CONSUMERS and `XPENDING - + 1` replies.
 * @param alertIdleMs a consumer idle longer than this with pending entries gets `alert: true`
 */
export function groupStats(
  info: GroupInfo,
  consumersR: PipelineReply | undefined,
  pendingR: PipelineReply | undefined,
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
