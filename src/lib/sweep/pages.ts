/** @module The sweep's page loop: claim and settle page after page within the run's limits. */
import { MOVE_CHUNK } from "../dead-letter/move";
import { type ReportError, stopFor } from "../errors";
import {
  CLAIM_MAX_REQUESTS,
  type ClaimOptions,
  type ClaimPage,
  claimExponential,
  claimFixed,
} from "./claim";
import { CYCLE_START } from "./cursor";
import { type SettleContext, settlePage } from "./settle";

/** Why a run stopped paging: the PEL's end, `count`, time, `maxRequests`, the signal, or Redis. */
export type SweepStop = "cycle" | "count" | "budget" | "requests" | "aborted" | "error";

export type PagesContext = {
  /** Everything a claim needs but the page position and size. */
  claim: Omit<ClaimOptions, "cursor" | "count">;
  settle: SettleContext;
  /** Where the stored cursor says to start. */
  cursor: string;
  /** Most pending entries the run looks at. */
  count: number;
  pageSize: number;
  /** `Date.now()` deadline; no page starts when the rest is shorter than the slowest page. */
  deadline: number;
  /** Whether `n` more requests still leave the run within its request limit. */
  fits(n: number): boolean;
};

/** What the pages of one run did: the page-level part of the SweepReport. */
export type PagesResult = {
  /** Pending entries idle ≥ minIdleMs looked at (XPENDING rows / XAUTOCLAIM results). */
  scanned: number;
  claimed: number;
  /** Handler runs. */
  retried: number;
  acked: number;
  /** Handler runs that threw and stay pending. */
  failed: number;
  deadLettered: number;
  /** Claimed entries the idempotency guard marks done: acked (counted in `acked`), not run. */
  alreadyDone: number;
  /** Due for the dead-letter stream but left pending: it holds DLQ_MAXLEN entries. */
  dlqFull: number;
  deletedEntries: number;
  /** Where the next run starts; `0-0` = a new cycle. */
  cursor: string;
  stoppedBy: SweepStop;
  /** Set when a Redis request failed; the page it hit stays pending for the next sweep. */
  error?: ReportError;
};

/** What a run that has done no page yet reports. */
export function noPages(cursor: string, stoppedBy: SweepStop): PagesResult {
  const zero = { scanned: 0, claimed: 0, retried: 0, acked: 0, failed: 0, deadLettered: 0 };
  return { ...zero, alreadyDone: 0, dlqFull: 0, deletedEntries: 0, cursor, stoppedBy };
}

/**
 * Worst-case requests of one page of `n`: claim, dead-letter chunks (+1 EVAL fallback), the
 * ack request and its one retry.
 */
export function pageMaxRequests(n: number): number {
  return CLAIM_MAX_REQUESTS + 1 + Math.ceil(n / MOVE_CHUNK) + 2;
}

/**
 * Pages through the PEL from `ctx.cursor`. Stops at the PEL's end (so one run visits an
 * entry at most once), after `count` entries or `ceil(count / pageSize)` pages (XAUTOCLAIM
 * skips entries that are not idle enough without reporting them), at a limit, or at a
 * Redis failure (reported with what the pages before it did).
 */
export async function sweepPages(ctx: PagesContext): Promise<PagesResult> {
  const claim: (o: ClaimOptions) => Promise<ClaimPage> =
    ctx.claim.retryBackoff === "fixed" && !ctx.claim.retryDelays ? claimFixed : claimExponential;
  const r = noPages(ctx.cursor, "cycle");
  const maxPages = Math.ceil(ctx.count / ctx.pageSize);
  let slowest = 0;
  for (let pages = 0; ; pages++) {
    const n = Math.min(ctx.pageSize, ctx.count - r.scanned);
    const stop = stopReason(ctx, n, pages >= maxPages, slowest);
    if (stop) {
      return { ...r, stoppedBy: stop };
    }
    const started = Date.now();
    try {
      const page = await claim({ ...ctx.claim, cursor: r.cursor, count: n });
      const outcome = await settlePage(ctx.settle, page, started);
      r.cursor = page.cursor;
      r.scanned += page.scanned;
      r.claimed += page.claimed.length;
      r.deletedEntries += page.deletedIds.length;
      r.retried += outcome.retried;
      r.acked += outcome.acked;
      r.failed += outcome.failed;
      r.deadLettered += outcome.deadLettered;
      r.alreadyDone += outcome.alreadyDone;
      r.dlqFull += outcome.dlqFull;
    } catch (e) {
      return { ...r, ...stopFor(e) };
    }
    slowest = Math.max(slowest, Date.now() - started);
    if (r.cursor === CYCLE_START) {
      return { ...r, stoppedBy: "cycle" };
    }
  }
}

function stopReason(ctx: PagesContext, n: number, lastPage: boolean, slowestMs: number) {
  const remaining = ctx.deadline - Date.now();
  if (ctx.settle.signal.aborted) {
    return "aborted";
  }
  if (n <= 0 || lastPage) {
    return "count";
  }
  if (remaining <= 0 || remaining < slowestMs) {
    return "budget";
  }
  if (!ctx.fits(pageMaxRequests(n))) {
    return "requests";
  }
  return null;
}
