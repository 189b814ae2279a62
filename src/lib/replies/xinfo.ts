/** @module Parsers of XINFO GROUPS / CONSUMERS replies (flat key/value arrays). */

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

/** Reads one field of a row: its raw value and a label for errors. */
type Field = (key: string, optional?: boolean) => [unknown, string];

/**
 * An XINFO reply: a list of flat `[k1, v1, k2, v2, ...]` rows, each read with `toRow`.
 * A required field that is missing fails; an optional one (added by a later Redis
 * version) reads as `null` on older servers.
 */
function rows<T>(raw: unknown, command: string, row: string, toRow: (field: Field) => T): T[] {
  return asArray(raw, `${command} reply`).map((item, i) => {
    const what = `${command} ${row} ${i}`;
    const map = flatPairs(item, what, (v) => v);
    return toRow((key, optional = false) => {
      if (!Object.hasOwn(map, key) && !optional) {
        fail(what, `a "${key}" field`, map);
      }
      return [Object.hasOwn(map, key) ? map[key] : null, `${what} ${key}`];
    });
  });
}

/**
 * Reply of `XINFO GROUPS s`.
 *
 * Raw (7.x): `[["name", "g", "consumers", 1, "pending", 1, "last-delivered-id",
 * "1795709122566-0", "entries-read", 1, "lag", 0]]`
 * @see https://redis.io/commands/xinfo-groups
 */
export function parseXInfoGroups(raw: unknown): GroupInfo[] {
  return rows(raw, "XINFO GROUPS", "group", (field) => ({
    name: asString(...field("name")),
    consumers: asInteger(...field("consumers")),
    pending: asInteger(...field("pending")),
    lastDeliveredId: asString(...field("last-delivered-id")),
    entriesRead: asNullableInteger(...field("entries-read", true)),
    lag: asNullableInteger(...field("lag", true)),
  }));
}

/**
 * Reply of `XINFO CONSUMERS s g`.
 *
 * Raw (7.2): `[["name", "cron-1795709122566-a1b2c3", "pending", 1, "idle", 8042,
 * "inactive", 8042]]`
 * @see https://redis.io/commands/xinfo-consumers
 */
export function parseXInfoConsumers(raw: unknown): ConsumerInfo[] {
  return rows(raw, "XINFO CONSUMERS", "consumer", (field) => ({
    name: asString(...field("name")),
    pending: asInteger(...field("pending")),
    idleMs: asInteger(...field("idle")),
    inactiveMs: asNullableInteger(...field("inactive", true)),
  }));
}
