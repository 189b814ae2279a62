/** @module Parsers of replies that carry stream entries: XREADGROUP, XAUTOCLAIM, XCLAIM. */

import { asArray, asString, fail } from "./shape";

/** A field/value pair, as Redis holds it. */
export type FieldPair = [field: string, value: string];

/**
 * A stream entry: `pairs` in Redis's order, repeated names kept; `fields` the convenience
 * object, where a repeated name keeps its last value.
 */
export type StreamEntry = { id: string; fields: Record<string, string>; pairs: FieldPair[] };

/**
 * An entry as a read or claim returns it: `fields` is `null` (and `pairs` empty) when the
 * entry was deleted (XDEL/XTRIM) while still pending, which XREADGROUP with an explicit id
 * and older XCLAIM report.
 */
export type ReadEntry = { id: string; fields: Record<string, string> | null; pairs: FieldPair[] };

/** Result of one XAUTOCLAIM call. */
export type AutoClaimResult = {
  /** Where the next call starts; `0-0` once the whole PEL has been scanned. */
  cursor: string;
  entries: ReadEntry[];
  /** Pending ids whose entries no longer exist; Redis 7 already dropped them from the PEL. */
  deletedIds: string[];
};

/**
 * A flat field/value list, order and repeats kept.
 *
 * Raw: `["amount", "12", "currency", "EUR", "amount", "13"]`
 */
export function parsePairs(raw: unknown, what: string): FieldPair[] {
  const flat = asArray(raw, what);
  if (flat.length % 2 !== 0) {
    fail(what, "an even number of strings", raw);
  }
  const pairs: FieldPair[] = [];
  for (let i = 0; i < flat.length; i += 2) {
    const field = asString(flat[i], `${what} field ${i / 2}`);
    pairs.push([field, asString(flat[i + 1], `${what} value of ${JSON.stringify(field)}`)]);
  }
  return pairs;
}

/**
 * The convenience object of `pairs`: a repeated name keeps its last value; `__proto__` is
 * an own property (`Object.fromEntries`), never the prototype.
 */
export function pairsToFields(pairs: FieldPair[]): Record<string, string> {
  return Object.fromEntries(pairs);
}

function parseEntry(raw: unknown, what: string): ReadEntry {
  const pair = asArray(raw, what);
  if (pair.length !== 2) {
    fail(what, "[id, fields]", raw);
  }
  const id = asString(pair[0], `${what} id`);
  if (pair[1] === null) {
    return { id, fields: null, pairs: [] };
  }
  const pairs = parsePairs(pair[1], `${what} fields of ${id}`);
  return { id, fields: pairsToFields(pairs), pairs };
}

/**
 * Entries as every range/read/claim command returns them: `pairs` as Redis holds them, and
 * `fields`, where a field name that repeats keeps its last value, as with object literals.
 *
 * Raw: `[["1795709122566-0", ["amount", "12", "currency", "EUR"]], ["1795709122567-0", null]]`
 */
export function parseStreamEntries(raw: unknown): ReadEntry[] {
  return asArray(raw, "stream entries").map((entry, i) => parseEntry(entry, `entry ${i}`));
}

/**
 * Reply of `XREADGROUP ... STREAMS s >` for one stream: its entries, `[]` when nothing is new.
 * Only the first stream is returned: this package reads one stream per call.
 *
 * Raw: `null`, or `[["orders", [["1795709122566-0", ["amount", "12"]]]]]`
 * @see https://redis.io/commands/xreadgroup
 */
export function parseXReadGroup(raw: unknown): ReadEntry[] {
  if (raw === null) {
    return [];
  }
  const streams = asArray(raw, "XREADGROUP reply");
  if (streams.length === 0) {
    return [];
  }
  const first = asArray(streams[0], "XREADGROUP stream");
  if (first.length !== 2) {
    fail("XREADGROUP stream", "[stream, entries]", streams[0]);
  }
  asString(first[0], "XREADGROUP stream name");
  return parseStreamEntries(first[1]);
}

/**
 * Reply of `XAUTOCLAIM s g c minIdle start COUNT n`. Redis 6.2 has no third element (deleted
 * ids are then `[]`) and may report a deleted entry as a `null` entry, which carries no id
 * and is dropped.
 *
 * Raw (7.x): `["1795709122570-0", [["1795709122566-0", ["amount", "12"]]], ["1795709122567-0"]]`
 * @see https://redis.io/commands/xautoclaim
 */
export function parseXAutoClaim(raw: unknown): AutoClaimResult {
  const parts = asArray(raw, "XAUTOCLAIM reply");
  if (parts.length !== 2 && parts.length !== 3) {
    fail("XAUTOCLAIM reply", "[cursor, entries, deletedIds?]", raw);
  }
  const cursor = asString(parts[0], "XAUTOCLAIM cursor");
  const entries = asArray(parts[1], "XAUTOCLAIM entries").filter((e) => e !== null);
  const deleted = parts.length === 3 ? asArray(parts[2], "XAUTOCLAIM deleted ids") : [];
  return {
    cursor,
    entries: parseStreamEntries(entries),
    deletedIds: deleted.map((id, i) => asString(id, `XAUTOCLAIM deleted id ${i}`)),
  };
}

/**
 * Reply of `XCLAIM s g c minIdle id...` (without JUSTID): the claimed entries. Redis < 7
 * answers `null` for an id whose entry was deleted; Redis 7 leaves it out. Either way it is
 * absent here, so callers find deleted entries as requested ids missing from the result.
 *
 * Raw: `[["1795709122566-0", ["amount", "12"]], null]`
 * @see https://redis.io/commands/xclaim
 */
export function parseXClaim(raw: unknown): ReadEntry[] {
  const entries = asArray(raw, "XCLAIM reply").filter((e) => e !== null);
  return parseStreamEntries(entries);
}
