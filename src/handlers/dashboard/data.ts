/**
 * @module What the dashboard's pages show, read from Redis through the library: stats,
 * backlog where Redis has no `lag` (Upstash), history and the last jobs' reports.
 */
import {
  estimateBacklog,
  type GroupStats,
  getStats,
  HISTORY_BACKLOG_CAP,
  type JobRecord,
  RequestBudget,
  type ResolvedConfig,
  readHistory,
  type Snapshot,
  type StatsSnapshot,
} from "../../lib/index";
import type { redisFor } from "../client";
import { idTime } from "./views/format";

type Redis = ReturnType<typeof redisFor>;

/** One configured stream and group, as the dashboard shows it. */
export type StreamView = {
  config: Pick<ResolvedConfig, "stream" | "group" | "dlqStream" | "alertIdleMs">;
  stats: StatsSnapshot;
  /** The configured group, or null when it does not exist (yet). */
  group: GroupStats | null;
  /** Per group name: XINFO GROUPS `lag`, else the backlog estimate (Upstash has no lag). */
  backlogs: Map<string, number | null>;
  lastDrain: JobRecord | null;
  lastSweep: JobRecord | null;
  /** Oldest first; empty on the overview, which draws no chart. */
  snapshots: Snapshot[];
  /** Upstash HTTP requests reading this cost. */
  requests: number;
};

/**
 * Reads one stream for the overview (`minutes: 0`, its configured group only) or for its
 * own page (every group and `minutes` of history).
 */
export async function readStream(
  redis: Redis,
  config: StreamView["config"],
  options: { minutes: number; allGroups: boolean },
): Promise<StreamView> {
  const { stream, group, dlqStream } = config;
  const budget = new RequestBudget();
  const [stats, history] = await Promise.all([
    getStats({
      redis,
      stream,
      dlqStream,
      alertIdleMs: config.alertIdleMs,
      ...(options.allGroups ? {} : { group }),
    }),
    readHistory({ redis, stream, group, minutes: options.minutes, budget }),
  ]);
  const backlogs = new Map<string, number | null>();
  await Promise.all(
    stats.groups.map(async (g) => {
      const lag =
        g.lag ??
        // Counted as the history counts it, so the page and its charts agree.
        (await estimateBacklog({ redis, stream, group: g.name, budget, cap: HISTORY_BACKLOG_CAP }));
      backlogs.set(g.name, lag);
    }),
  );
  return {
    config: { stream, group, dlqStream, alertIdleMs: config.alertIdleMs },
    stats,
    group: stats.groups.find((g) => g.name === group) ?? null,
    backlogs,
    lastDrain: history.lastDrain,
    lastSweep: history.lastSweep,
    snapshots: history.snapshots,
    requests: stats.requests + budget.used,
  };
}

/** Every configured stream for the overview, read side by side. */
export function readOverview(redis: Redis, configs: ResolvedConfig[]): Promise<StreamView[]> {
  return Promise.all(configs.map((c) => readStream(redis, c, { minutes: 0, allGroups: false })));
}

/** Age of the group's oldest pending entry (from its id's time), or null when none. */
export function oldestPendingAge(view: StreamView, now: number): number | null {
  const at = idTime(view.group?.oldestPendingId);
  return at === null ? null : Math.max(0, now - at);
}

/**
 * How much a stream needs a look, highest first: consumers that look dead, then a failed
 * last job, then dead letters, then the oldest pending entry's age, then the backlog.
 */
export function attentionOf(view: StreamView, now: number): number[] {
  const failed = [view.lastDrain, view.lastSweep].some((r) => r?.error) ? 1 : 0;
  return [
    view.stats.alerts.filter((a) => a.group === view.config.group).length,
    failed,
    view.stats.dlq.length,
    oldestPendingAge(view, now) ?? 0,
    view.backlogs.get(view.config.group) ?? 0,
  ];
}

/** Sorts streams by {@link attentionOf}, most in need first; ties keep configuration order. */
export function byAttention(views: StreamView[], now: number): StreamView[] {
  const keyed = views.map((v, i) => ({ v, i, key: attentionOf(v, now) }));
  keyed.sort((a, b) => {
    for (let k = 0; k < a.key.length; k++) {
      const d = (b.key[k] ?? 0) - (a.key[k] ?? 0);
      if (d !== 0) {
        return d;
      }
    }
    return a.i - b.i;
  });
  return keyed.map((k) => k.v);
}
