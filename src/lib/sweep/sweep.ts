/** @module The recovery sweep: reclaim stuck entries, retry, dead-letter, clean up. */
import { stopFor } from "../errors";
import { deleteIdleConsumers } from "../group/idle-consumers";
import { recordGroupPosition } from "../group/position";
import { Limiter } from "../handling/limiter";
import { RequestBudget } from "../redis/budget";
import { streamKeys } from "../redis/keys";
import { SCRIPT_MAX_REQUESTS } from "../redis/script";
import { type HeldReason, type TrimReport, trimStream } from "../trim/trim";
import { CYCLE_START, readCursor } from "./cursor";
import {
  resolveSweepOptions,
  type SweepOptions,
  sweepMinRequests,
  sweepTailRequests,
} from "./options";
import { noPages, type PagesResult, pageMaxRequests, sweepPages } from "./pages";

export type SweepReport = { consumer: string } & PagesResult & {
    deletedConsumers: number;
    /** Entries removed by TRIM. */
    trimmed: number;
    /** `maxlen:N`: entries beyond the newest N kept because a group still needs them. */
    trimHeldBack: number;
    /** Why they were kept: not yet delivered to a group, pending, or no group at all. */
    trimHeldReason: HeldReason | null;
    /** The group furthest behind, which kept them. */
    trimHeldBy: string | null;
    requests: number;
    durationMs: number;
  };

/**
 * One sweep run: pages through the PEL from the stored cursor, claims ripe entries,
 * dead-letters the exhausted, retries the rest, acks, then deletes idle empty consumers
 * and trims. Stops at the PEL's end, `count`, the time budget, `maxRequests` or `signal`.
 * A Redis failure mid-run is reported (`stoppedBy: "error"`, `error`), never thrown, as
 * the drain does: what was not settled stays pending for the next sweep.
 * @throws ConfigError when an option is invalid (before anything is read)
 * @see https://redis.io/commands/xautoclaim
 * @see https://redis.io/commands/xpending
 */
export async function sweep(options: SweepOptions): Promise<SweepReport> {
  const started = Date.now();
  const o = resolveSweepOptions(options);
  const emit = o.onEvent ?? (() => {});
  const budget = o.budget ?? new RequestBudget(o.maxRequests);
  const usedBefore = budget.used;
  const keys = streamKeys(o.stream, o.group, o.dlqStream);
  // Hygiene, the group's resume point and trimming are reserved up front so a large PEL
  // cannot starve them.
  const tail = sweepTailRequests(o.trim);
  const fits = (n: number) => budget.fits(n, tail);
  const settle = {
    ...o,
    dlqStream: keys.dlq,
    limiter: new Limiter(o.concurrency),
    signal: o.signal ?? new AbortController().signal,
    cursorKey: keys.sweepCursor,
    failuresKey: keys.failures,
    doneKey: keys.done,
    budget,
    emit,
    leaseMs: o.minIdleMs / 2,
    // A renewal only while a whole page's worst case still fits after it.
    mayRenew: () => fits(SCRIPT_MAX_REQUESTS + pageMaxRequests(o.pageSize)),
  };
  let pages = noPages(CYCLE_START, "requests");
  let deletedConsumers = 0;
  let trim: Pick<TrimReport, "trimmed" | "heldBack" | "heldReason" | "heldBy"> = {
    trimmed: 0,
    heldBack: 0,
    heldReason: null,
    heldBy: null,
  };
  try {
    if (budget.fits(sweepMinRequests(o.trim))) {
      pages = await sweepPages({
        claim: {
          ...o,
          budget,
          failuresKey: keys.failures,
          ...(o.idempotencyTtlS > 0 ? { doneKey: keys.done } : {}),
        },
        settle,
        cursor: await readCursor(o.redis, keys.sweepCursor, budget),
        count: o.count,
        pageSize: o.pageSize,
        deadline: started + o.timeBudgetMs,
        fits,
      });
    }
    if (pages.stoppedBy !== "error" && budget.fits(tail)) {
      const hygiene = { ...o, keep: o.consumer, budget };
      deletedConsumers = (await deleteIdleConsumers(hygiene)).length;
      await recordGroupPosition({ ...o, budget });
      trim = await trimStream({ ...o, policy: o.trim, budget });
    }
  } catch (e) {
    pages = { ...pages, ...stopFor(e) };
  }
  if (pages.error) {
    emit({ event: "redis_error", error: pages.error.message });
  }
  const requests = budget.used - usedBefore;
  return {
    consumer: o.consumer,
    ...pages,
    deletedConsumers,
    trimmed: trim.trimmed,
    trimHeldBack: trim.heldBack,
    trimHeldReason: trim.heldReason,
    trimHeldBy: trim.heldBy,
    requests,
    durationMs: Date.now() - started,
  };
}
