/** @module The drain's running handlers: their mean time, the straggler grace, the slowest batch. */
import type { Limiter } from "../handling/limiter";

/** A straggler may hold the next read this long at least; it never holds it indefinitely. */
export const MIN_GRACE_MS = 10;

/**
 * Tracks the handler calls a drain has started. The next read waits until every message
 * read so far has a slot, then at most `max(10 ms, 2 × mean handler time)` for the ones
 * still running: long enough that their acks ride on that read, short enough that one slow
 * handler does not stall the batch behind it.
 */
export class InFlight {
  private readonly running = new Set<Promise<void>>();
  private handlerMsTotal = 0;
  private handlerCount = 0;
  /** Longest time from a batch's read to its last handler's end; the time budget uses it. */
  slowestBatchMs = 0;

  /** Mean handler time so far; 0 before the first one ends. */
  get meanMs(): number {
    return this.handlerCount > 0 ? this.handlerMsTotal / this.handlerCount : 0;
  }

  /** Tracks one batch's tasks (queued or running), read by a request sent at `readSentAt`. */
  addBatch(tasks: Promise<void>[], readSentAt: number): void {
    for (const task of tasks) {
      this.running.add(task);
      void task.finally(() => this.running.delete(task));
    }
    void Promise.all(tasks).then(() => {
      this.slowestBatchMs = Math.max(this.slowestBatchMs, Date.now() - readSentAt);
    });
  }

  /** Runs one handler call and adds its time to the mean (time queued for a slot excluded). */
  async timed<T>(call: () => Promise<T>): Promise<T> {
    const t0 = Date.now();
    try {
      return await call();
    } finally {
      this.handlerMsTotal += Date.now() - t0;
      this.handlerCount++;
    }
  }

  /** Waits until every read message has started, then briefly for the ones still running. */
  async readyForNextRead(limiter: Limiter, signal: AbortSignal): Promise<void> {
    while (limiter.queued > 0 && !signal.aborted) {
      await Promise.race(this.running);
    }
    if (this.handlerCount === 0 && this.running.size > 0) {
      // Nothing to judge "slow" by yet: the first completion sets the yardstick.
      await Promise.race(this.running);
    }
    const grace = Math.max(MIN_GRACE_MS, 2 * this.meanMs);
    await Promise.race([Promise.all(this.running), sleep(grace)]);
  }

  /** Resolves when every started handler call has ended. */
  async settled(): Promise<void> {
    await Promise.all(this.running);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
