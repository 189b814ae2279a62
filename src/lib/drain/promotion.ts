/** @module The drain's promotions of delayed messages: when the next is due, and what each did. */

import type { RoundTripResult } from "./round-trip";
import type { Run } from "./run";

/**
 * Delayed messages can be sent at any time, due sooner than the earliest one known: a drain
 * that reads on looks again at least this often.
 */
const PROMOTE_RECHECK_MS = 1000;

/** Books a promotion: when the next one is due, and what it moved or why it failed. */
export function afterPromotion(run: Run, now: number, promoted: RoundTripResult["promoted"]): void {
  if (promoted === undefined) {
    return;
  }
  if ("error" in promoted) {
    // The read went on; the delayed messages wait for the next try.
    run.emit({ event: "redis_error", error: `promote-due: ${promoted.error}` });
    run.nextPromoteAt = now + PROMOTE_RECHECK_MS;
    return;
  }
  if (promoted.moved > 0) {
    run.emit({ event: "delayed_promoted", moved: promoted.moved });
  }
  run.nextPromoteAt = Math.min(
    promoted.nextDueMs ?? Number.POSITIVE_INFINITY,
    now + PROMOTE_RECHECK_MS,
  );
}
