/** @module Parsers of the per-entry records the jobs keep: done marks and failed-run counts. */
import { type FailureRecord, readFailureValue } from "../handling/failure-record";
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
 * Reply of `HMGET failures id...`: handler runs that failed per id (0 when none is recorded),
 * and when a delayed retry is due (`null` when it may run as soon as it is ripe).
 *
 * Raw: `["2", null, "1@1795739000000"]`
 * @see https://redis.io/commands/hmget
 */
export function parseFailureRecords(raw: unknown, expected: number): FailureRecord[] {
  const values = asArray(raw, "HMGET reply");
  if (values.length !== expected) {
    fail("HMGET reply", `${expected} values`, raw);
  }
  return values.map((v, i) => {
    if (v === null) {
      return { count: 0, dueAt: null };
    }
    const record = readFailureValue(asString(v, `HMGET value ${i}`));
    return record ?? fail(`HMGET value ${i}`, "a count, or a count@due-time", v);
  });
}

/**
 * Reply of `HMGET failures id...`: handler runs that failed per id, 0 when none is recorded.
 *
 * Raw: `["2", null, "1@1795739000000"]`
 * @see https://redis.io/commands/hmget
 */
export function parseFailureCounts(raw: unknown, expected: number): number[] {
  return parseFailureRecords(raw, expected).map((r) => r.count);
}

/**
 * Reply of `HGETALL failures`: every failure record of the group, by id.
 *
 * Raw: `["1795739000000-0", "2", "1795739000001-0", "1@1795739060000"]`
 * @see https://redis.io/commands/hgetall
 */
export function parseFailureHash(raw: unknown): Map<string, FailureRecord> {
  const flat = asArray(raw, "HGETALL reply");
  if (flat.length % 2 !== 0) {
    fail("HGETALL reply", "field and value pairs", raw);
  }
  const records = new Map<string, FailureRecord>();
  for (let i = 0; i < flat.length; i += 2) {
    const id = asString(flat[i], `HGETALL field ${i / 2}`);
    const value = asString(flat[i + 1], `HGETALL value ${i / 2}`);
    records.set(
      id,
      readFailureValue(value) ?? fail(`HGETALL value ${i / 2}`, "a failure record", value),
    );
  }
  return records;
}
