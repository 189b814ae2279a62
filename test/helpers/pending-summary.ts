/** @module The summary XPENDING reply, parsed for tests' ground truth (the core never reads it). */
import { asArray, asInteger, asString, fail } from "../../src/lib/replies/shape";

const asNullableString = (raw: unknown, what: string): string | null =>
  raw === null ? null : asString(raw, what);

/** The summary XPENDING form. */
export type PendingSummary = {
  count: number;
  minId: string | null;
  maxId: string | null;
  consumers: { name: string; pending: number }[];
};

/**
 * Reply of `XPENDING s g` (summary). An empty PEL answers `[0, null, null, null]`; the
 * per-consumer counts are strings in RESP2.
 *
 * Raw: `[1, "1795709122566-0", "1795709122566-0", [["c", "1"]]]`
 * @see https://redis.io/commands/xpending
 */
export function parseXPendingSummary(raw: unknown): PendingSummary {
  const parts = asArray(raw, "XPENDING summary");
  if (parts.length !== 4) {
    fail("XPENDING summary", "[count, minId, maxId, consumers]", raw);
  }
  const consumers = parts[3] === null ? [] : asArray(parts[3], "XPENDING summary consumers");
  return {
    count: asInteger(parts[0], "XPENDING summary count"),
    minId: asNullableString(parts[1], "XPENDING summary min id"),
    maxId: asNullableString(parts[2], "XPENDING summary max id"),
    consumers: consumers.map((row, i) => {
      const what = `XPENDING summary consumer ${i}`;
      const cells = asArray(row, what);
      if (cells.length !== 2) {
        fail(what, "[name, pending]", row);
      }
      return {
        name: asString(cells[0], `${what} name`),
        pending: asInteger(cells[1], `${what} pending`),
      };
    }),
  };
}
