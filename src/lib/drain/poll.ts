/** @module Continuous drains: when to read again after an empty read, and the wait until then. */
import type { DrainStop, ResolvedPoll } from "./options";

/**
 * The wait before the next read after `emptyInARow` empty reads in a row (1 for the first):
 * `minMs`, doubled on each further empty read, never above `maxMs`. 50/500: 50, 100, 200, 400,
 * 500, 500, ...
 */
export function pollDelay(emptyInARow: number, poll: { minMs: number; maxMs: number }): number {
  return Math.min(poll.maxMs, poll.minMs * 2 ** Math.max(0, emptyInARow - 1));
}

/**
 * The wait after a read that returned `read` of `count` entries: none after a full batch (or
 * without polling), else `minMs · count / read`, at most `maxMs`. 50/500, count 100: 5 read →
 * 500, 50 read → 100, 100 read → 0.
 */
export function gatherDelay(
  read: number,
  count: number,
  poll: { minMs: number; maxMs: number } | undefined,
): number {
  if (poll === undefined || read >= count || read <= 0) {
    return 0;
  }
  return Math.min(poll.maxMs, Math.round((poll.minMs * count) / read));
}

/** After an empty read: stop reading, or wait this long and read again. */
export type PollStep = { stop: Extract<DrainStop, "empty" | "idle"> } | { waitMs: number };

/**
 * A drain's polling state. Without `poll`, the first empty read ends the drain. With it, an
 * empty read is followed by a wait and another read while something arrived within the last
 * `idleMs`; a drain that never read anything stops at its first empty read, so an idle stream
 * costs one read.
 */
export class Poller {
  private lastEntriesAt: number | undefined;
  private emptyInARow = 0;

  constructor(private readonly poll: ResolvedPoll | undefined) {}

  /**
   * A read returned `read` of the `count` entries it asked for at `now`: the idle clock
   * restarts, the wait after an empty read goes back to `minMs`.
   * @returns how long to wait before the next read: 0 after a full batch; after a partial one
   *   `minMs · count / read`, at most `maxMs` — reading again at once would bring back as
   *   little, each read a request of the invocation's MAX_REQUESTS
   */
  entries(now: number, read: number, count: number): number {
    this.lastEntriesAt = now;
    this.emptyInARow = 0;
    return gatherDelay(read, count, this.poll);
  }

  /** A read came back empty at `now`. */
  afterEmpty(now: number): PollStep {
    if (this.poll === undefined || this.lastEntriesAt === undefined) {
      return { stop: "empty" };
    }
    if (now - this.lastEntriesAt >= this.poll.idleMs) {
      return { stop: "idle" };
    }
    this.emptyInARow++;
    return { waitMs: pollDelay(this.emptyInARow, this.poll) };
  }
}

/** Resolves after `ms`, or at once when `signal` aborts (or has aborted). */
export function pause(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) {
    return Promise.resolve();
  }
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}
