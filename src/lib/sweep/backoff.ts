/** @module When a pending entry is ripe for the sweep: the RETRY_BACKOFF schedule. */

import type { RetryBackoff } from "../config/parsers";

export type BackoffOptions = {
  retryBackoff: RetryBackoff;
  minIdleMs: number;
  maxBackoffMs: number;
};

/**
 * Idle time an entry delivered `deliveries` times needs before the sweep claims it again.
 * Never below `minIdleMs`: the pages come from `XPENDING ... IDLE minIdleMs`, and the claim's
 * min-idle-time is `minIdleMs`, so a shorter threshold could not take effect anyway.
 */
export function reclaimAfterMs(deliveries: number, options: BackoffOptions): number {
  const { minIdleMs, maxBackoffMs } = options;
  if (options.retryBackoff === "fixed") {
    return minIdleMs;
  }
  // 2 ** large is Infinity, which the cap turns back into a finite number.
  const grown = minIdleMs * 2 ** Math.max(0, deliveries - 1);
  return Math.max(minIdleMs, Math.min(grown, maxBackoffMs));
}

/** Whether a pending entry with this idle time and delivery counter may be claimed now. */
export function isRipe(idleMs: number, deliveries: number, options: BackoffOptions): boolean {
  return idleMs >= reclaimAfterMs(deliveries, options);
}
