/** @module Parsers of XINFO GROUPS / CONSUMERS / STREAM replies (flat key/value arrays). */

import { parseStreamEntries } from "./entries";
import { asArray, asInteger, asNullableInteger, asString, fail, flatPairs } from "./shape";

/** One group of `XINFO GROUPS`. */
export type GroupInfo = {
  name: string;
  consumers: number;
  pending: number;
  lastDeliveredId: string;
  /** Redis ≥ 7.0; `null` when unknown or on older servers. */
  entriesRead: number | null;
  /** Entries not yet delivered to the group; `null` when Redis cannot tell or is < 7.0. */
  lag: number | null;
};

/** One consumer of `XINFO CONSUMERS`. */
export type ConsumerInfo = {
  name: string;
  pending: number;
  /** Milliseconds since its last attempted read or claim. */
  idleMs: number;
  /** Milliseconds since its last successful read or claim, `-1` if never; `null` before 7.2. */
  inactiveMs: number | null;
};

/** The summary of `XINFO STREAM` (not the FULL form). */
export type StreamInfo = {
  length: number;
  firstEntryId: string | null;
  lastEntryId: string | null;
  lastGeneratedId: string;
  /** Number of consumer groups. */
  groups: number;
};

/**
 * A flat `[k1, v1, k2, v2, ...]` reply as an object; values are left raw.
 *
 * Raw: `["name", "g", "consumers", 1]`
 */
export function parseFlatMap(raw: unknown): Record<string, unknown> {
  return flatPairs(raw, "key/value reply", (v) => v);
}

function required(map: Record<string, unknown>, key: string, what: string): unknown {
  if (!Object.hasOwn(map, key)) {
    fail(what, `a "${key}" field`, map);
  }
  return map[key];
}

/** Fields added by later Redis versions are `null` when the server is older. */
function optional(map: Record<string, unknown>, key: string): unknown {
  return Object.hasOwn(map, key) ? map[key] : null;
}

/**
 * Reply of `XINFO GROUPS s`.
 *
 * Raw (7.x): `[["name", "g", "consumers", 1, "pending", 1, "last-delivered-id",
 * "1795709122566-0", "entries-read", 1, "lag", 0]]`
 * @see https://redis.io/commands/xinfo-groups
 */
export function parseXInfoGroups(raw: unknown): GroupInfo[] {
  return asArray(raw, "XINFO GROUPS reply").map((item, i) => {
    const what = `XINFO GROUPS group ${i}`;
    const map = flatPairs(item, what, (v) => v);
    return {
      name: asString(required(map, "name", what), `${what} name`),
      consumers: asInteger(required(map, "consumers", what), `${what} consumers`),
      pending: asInteger(required(map, "pending", what), `${what} pending`),
      lastDeliveredId: asString(
        required(map, "last-delivered-id", what),
        `${what} last-delivered-id`,
      ),
      entriesRead: asNullableInteger(optional(map, "entries-read"), `${what} entries-read`),
      lag: asNullableInteger(optional(map, "lag"), `${what} lag`),
    };
  });
}

/**
 * Reply of `XINFO CONSUMERS s g`.
 *
 * Raw (7.2): `[["name", "cron-1795709122566-a1b2c3", "pending", 1, "idle", 8042,
 * "inactive", 8042]]`
 * @see https://redis.io/commands/xinfo-consumers
 */
export function parseXInfoConsumers(raw: unknown): ConsumerInfo[] {
  return asArray(raw, "XINFO CONSUMERS reply").map((item, i) => {
    const what = `XINFO CONSUMERS consumer ${i}`;
    const map = flatPairs(item, what, (v) => v);
    return {
      name: asString(required(map, "name", what), `${what} name`),
      pending: asInteger(required(map, "pending", what), `${what} pending`),
      idleMs: asInteger(required(map, "idle", what), `${what} idle`),
      inactiveMs: asNullableInteger(optional(map, "inactive"), `${what} inactive`),
    };
  });
}

function entryId(raw: unknown, what: string): string | null {
  if (raw === null) {
    return null;
  }
  const [entry] = parseStreamEntries([raw]);
  return entry ? entry.id : fail(what, "[id, fields] or null", raw);
}

/**
 * Reply of `XINFO STREAM s` (summary form; FULL has another shape).
 *
 * Raw (7.x): `["length", 2, "radix-tree-keys", 1, "radix-tree-nodes", 2, "last-generated-id",
 * "1795709122567-0", "max-deleted-entry-id", "0-0", "entries-added", 2,
 * "recorded-first-entry-id", "1795709122566-0", "groups", 1, "first-entry",
 * ["1795709122566-0", ["amount", "12"]], "last-entry", ["1795709122567-0", ["amount", "7"]]]`
 * @see https://redis.io/commands/xinfo-stream
 */
export function parseXInfoStream(raw: unknown): StreamInfo {
  const what = "XINFO STREAM reply";
  const map = parseFlatMap(asArray(raw, what));
  return {
    length: asInteger(required(map, "length", what), `${what} length`),
    firstEntryId: entryId(optional(map, "first-entry"), `${what} first-entry`),
    lastEntryId: entryId(optional(map, "last-entry"), `${what} last-entry`),
    lastGeneratedId: asString(
      required(map, "last-generated-id", what),
      `${what} last-generated-id`,
    ),
    groups: asInteger(required(map, "groups", what), `${what} groups`),
  };
}
