/** @module Parser of the extended XPENDING reply. */

import { asArray, asInteger, asString, fail } from "./shape";

/** One pending entry of the extended XPENDING form. */
export type PendingEntry = {
  id: string;
  /** Consumer that owns it. */
  consumer: string;
  /** Milliseconds since it was last delivered or claimed. */
  idleMs: number;
  /** Delivery counter (XREADGROUP deliveries plus XCLAIM/XAUTOCLAIM claims). */
  deliveries: number;
};

/**
 * Reply of `XPENDING s g [IDLE ms] start end count [consumer]`. Counters may arrive as
 * numbers or numeric strings; both are accepted.
 *
 * Raw: `[["1795709122566-0", "c1", 61234, 2], ...]`
 * @see https://redis.io/commands/xpending
 */
export function parseXPendingExtended(raw: unknown): PendingEntry[] {
  return asArray(raw, "XPENDING reply").map((row, i) => {
    const what = `XPENDING row ${i}`;
    const cells = asArray(row, what);
    if (cells.length !== 4) {
      fail(what, "[id, consumer, idleMs, deliveries]", row);
    }
    return {
      id: asString(cells[0], `${what} id`),
      consumer: asString(cells[1], `${what} consumer`),
      idleMs: asInteger(cells[2], `${what} idle`),
      deliveries: asInteger(cells[3], `${what} deliveries`),
    };
  });
}
