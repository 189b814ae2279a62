/** @module Parsers of the per-entry records the jobs keep: done marks and failed-run counts. */
import { asArray, asString, fail } from "./shape";

/**
 * Reply of `MGET done-key...`: a mark is any non-null value.
 *
 * Raw: `["1", null, "1"]`
 * @see https://redis.io/commands/mget
 */
export function parseMarks(raw: unknown, expected: number): boolean[] {
  const values = asArray(raw, "MGET reply");
  if (values.length !== expected) {
    fail("MGET reply", `${expected} values`, raw);
  }
  return values.map((v) => v !== null);
}

/**
 * Reply of `HMGET failures id...`: handler runs that failed per id, 0 when none is recorded.
 *
 * Raw: `["2", null]`
 * @see https://redis.io/commands/hmget
 */
export function parseFailureCounts(raw: unknown, expected: number): number[] {
  const values = asArray(raw, "HMGET reply");
  if (values.length !== expected) {
    fail("HMGET reply", `${expected} values`, raw);
  }
  return values.map((v, i) => {
    if (v === null) {
      return 0;
    }
    const n = Number(asString(v, `HMGET value ${i}`));
    if (!Number.isSafeInteger(n) || n < 0) {
      fail(`HMGET value ${i}`, "a count", v);
    }
    return n;
  });
}
