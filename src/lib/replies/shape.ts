/** @module Assertions on raw reply values; a surprise throws ReplyShapeError, never coerces. */

import { ReplyShapeError } from "../errors";

/** What a raw value is, for error messages: never its content. */
function preview(raw: unknown): string {
  // The type and size only: a reply may carry message bodies, and this text reaches reports.
  if (Array.isArray(raw)) {
    return `an array of ${raw.length}`;
  }
  if (typeof raw === "string") {
    return `a string of ${raw.length} characters`;
  }
  return raw === null ? "null" : `a ${typeof raw}`;
}

/** Throws a ReplyShapeError saying what `what` should have been. */
export function fail(what: string, expected: string, raw: unknown): never {
  throw new ReplyShapeError(`${what}: expected ${expected}, got ${preview(raw)}`);
}

export function asArray(raw: unknown, what: string): unknown[] {
  return Array.isArray(raw) ? raw : fail(what, "an array", raw);
}

export function asString(raw: unknown, what: string): string {
  return typeof raw === "string" ? raw : fail(what, "a string", raw);
}

const INTEGER = /^-?\d+$/;

/** RESP integers arrive as numbers, but some replies (XPENDING per-consumer counts) are strings. */
export function asInteger(raw: unknown, what: string): number {
  if (typeof raw === "number" && Number.isSafeInteger(raw)) {
    return raw;
  }
  if (typeof raw === "string" && INTEGER.test(raw)) {
    const value = Number(raw);
    if (Number.isSafeInteger(value)) {
      return value;
    }
  }
  return fail(what, "an integer", raw);
}

export function asNullableInteger(raw: unknown, what: string): number | null {
  return raw === null ? null : asInteger(raw, what);
}

/**
 * Flat `[k1, v1, k2, v2, ...]` into an object. Uses `Object.fromEntries` so a key named
 * `__proto__` becomes an own property instead of touching the prototype; a repeated key
 * keeps its last value.
 */
export function flatPairs<V>(
  raw: unknown,
  what: string,
  value: (v: unknown, key: string) => V,
): Record<string, V> {
  const items = asArray(raw, what);
  if (items.length % 2 !== 0) {
    fail(what, "an even number of elements", raw);
  }
  const entries: [string, V][] = [];
  for (let i = 0; i < items.length; i += 2) {
    const key = asString(items[i], `${what} key`);
    entries.push([key, value(items[i + 1], key)]);
  }
  return Object.fromEntries(entries);
}
