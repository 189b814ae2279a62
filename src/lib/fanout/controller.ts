/** @module The fan-out controller: fed by a drain's batches, asks for more drains when it falls behind. */
import type { DrainBatch } from "../drain/options";
import { toReportError } from "../errors";
import { SCRIPT_MAX_REQUESTS, type ScriptTarget } from "../redis/script";
import { estimateBacklog } from "./backlog";
import { arrivalRate, type FanOutInput, planFanOut } from "./plan";
import { countSlots } from "./slots";

/** One line per estimate, for structured logs. */
export type FanOutEvent =
  | ({ event: "fanout_estimate"; wanted: number } & Omit<FanOutInput, "backlog"> & {
        /** `null`: the stream or the group is gone (nothing to fan out for). */
        backlog: number | null;
      })
  /** An estimate failed: this drain goes on alone, the next full batch tries again. */
  | { event: "fanout_failed"; error: string };

export type FanOutOptions = ScriptTarget & {
  /** The drain's COUNT: the backlog is counted exactly up to `capBatches` of them. */
  batchSize: number;
  /** MAX_PARALLEL_DRAINS. */
  maxDrains: number;
  /**
   * Starts `k` more drains. Each must take a slot before it reads (`takeSlot`): a full table
   * means that one does not start. Called synchronously; what it starts is its own to await.
   */
  start: (k: number, at: { backlog: number; remainingMs: number }) => void;
  /** Least time between two estimates, in the drain's elapsed ms. @default 2000 */
  intervalMs?: number;
  /** Batches' worth of entries the backlog script counts before it extrapolates. @default 20 */
  capBatches?: number;
  onEvent?: (event: FanOutEvent) => void;
};

/** What the controller did: for the drain's log line. */
export type FanOutReport = {
  /** Backlog estimates made (one script run each, plus one slot count when it looked behind). */
  estimates: number;
  /** Drains asked for, over all estimates. */
  requested: number;
  /** Estimates that failed (a Redis error); the drain went on alone. */
  failed: number;
  /** Why it stopped estimating before the drain ended, if it did. */
  stoppedBy?: "requests";
};

/** Defaults of {@link FanOutOptions}. */
export const FANOUT_DEFAULTS = { intervalMs: 2000, capBatches: 20 } as const;

/**
 * Decides, from a drain's own progress, whether it needs help. Pass {@link onBatch} as the
 * drain's `onBatch`: after a full batch (the drain may be behind), at most once per
 * `intervalMs`, it estimates the backlog (one script run), compares it with what the drain
 * can clear in its remaining time at its observed rate and, when it is more, counts the live
 * slots (one script run) and calls `start(k)` with {@link planFanOut}'s k. The first estimate
 * waits `intervalMs` into the drain, so the rate it uses is measured over more than one read.
 * Runs beside the drain, one estimate at a time, never holding up a read. Its requests go to
 * its own `budget` (carve it out of the invocation's, see `splitRequests`): it stops estimating
 * rather than start one that might not fit.
 * @see https://redis.io/commands/xrange
 */
export class FanOutController {
  readonly report: FanOutReport = { estimates: 0, requested: 0, failed: 0 };
  private lastAt = 0;
  private busy: Promise<void> | undefined;
  private stopped = false;
  private readonly intervalMs: number;
  private readonly cap: number;

  constructor(private readonly o: FanOutOptions) {
    this.intervalMs = o.intervalMs ?? FANOUT_DEFAULTS.intervalMs;
    this.cap = (o.capBatches ?? FANOUT_DEFAULTS.capBatches) * o.batchSize;
  }

  /** The drain's `onBatch`. */
  readonly onBatch = (b: DrainBatch): void => {
    if (this.stopped || this.busy || b.read < b.count || this.o.maxDrains <= 1) {
      return;
    }
    if (b.elapsedMs - this.lastAt < this.intervalMs) {
      return;
    }
    // Both script runs, each possibly EVALSHA + EVAL, or none.
    if (!this.o.budget.fits(2 * SCRIPT_MAX_REQUESTS)) {
      this.stopped = true;
      this.report.stoppedBy = "requests";
      return;
    }
    this.lastAt = b.elapsedMs;
    this.busy = this.estimate(b).finally(() => {
      this.busy = undefined;
    });
  };

  /** Resolves once the estimate in flight, if any, has finished (and started its drains). */
  async settled(): Promise<void> {
    await this.busy;
  }

  /**
   * No more estimates (the drain ended); resolves once the one in flight has finished. That
   * one starts nothing: helpers of a drain that ended would only add to the next one's.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.busy;
  }

  /** The previous estimate, for the arrival rate. */
  private last: { backlog: number; readSoFar: number; at: number } | undefined;

  private async estimate(b: DrainBatch): Promise<void> {
    const { o } = this;
    const emit = o.onEvent ?? (() => {});
    this.report.estimates++;
    try {
      const backlog = await estimateBacklog({ ...o, cap: this.cap });
      const point = { backlog: backlog ?? 0, readSoFar: b.readSoFar, at: b.elapsedMs };
      const input = {
        backlog: point.backlog,
        readSoFar: b.readSoFar,
        elapsedMs: b.elapsedMs,
        remainingMs: b.remainingMs,
        liveSlots: 1,
        maxDrains: o.maxDrains,
        arrivalRate: this.last ? arrivalRate(this.last, point) : 0,
      };
      this.last = point;
      // Counting the slots costs a request: only when this drain alone looks too slow.
      if (planFanOut(input) > 0) {
        input.liveSlots = await countSlots(o);
      }
      const wanted = this.stopped ? 0 : planFanOut(input);
      emit({ event: "fanout_estimate", ...input, backlog, wanted });
      if (wanted > 0) {
        this.report.requested += wanted;
        o.start(wanted, { backlog: input.backlog, remainingMs: b.remainingMs });
      }
    } catch (e) {
      this.report.failed++;
      emit({ event: "fanout_failed", error: toReportError(e).message });
    }
  }
}
