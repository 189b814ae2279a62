/** @module Zod schemas of the env variables: normalisation of strings/TOML values and rules. */

import { z } from "zod";

/** What to trim after a sweep. */
export type TrimPolicy = { kind: "none" } | { kind: "acked" } | { kind: "maxlen"; maxLen: number };

/** Reclaim schedule of the sweep. */
export type RetryBackoff = "fixed" | "exponential";

export const isUnset = (value: unknown): boolean =>
  value === undefined || value === null || value === "";

/** Vars set as TOML numbers arrive as numbers; everything else as strings. */
const textual = (value: unknown): unknown =>
  typeof value === "number" && Number.isFinite(value) ? String(value) : value;

const INTEGER_TEXT = /^[+-]?\d+$/;
const toInteger = (value: unknown): unknown => {
  if (typeof value === "string" && INTEGER_TEXT.test(value.trim())) {
    return Number(value.trim());
  }
  return value;
};

export const integer = ([min, max]: readonly [number, number]) =>
  z.preprocess(toInteger, z.number().int().min(min).max(max));

// Control characters would corrupt logs and the `key:suffix` names built from these.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching them is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
export const keyName = z.preprocess(
  textual,
  z
    .string()
    .min(1)
    .max(256)
    .refine((s) => !CONTROL.test(s)),
);

export const secret = z.preprocess(textual, z.string().min(1));

export const httpUrl = z.preprocess(
  textual,
  z.string().refine((s) => {
    try {
      const url = new URL(s.trim());
      return (url.protocol === "http:" || url.protocol === "https:") && url.hostname !== "";
    } catch {
      return false;
    }
  }),
);

export const groupStartId = z.preprocess(textual, z.string().regex(/^(\$|0|\d+(-\d+)?)$/));

const BOOLEANS = new Map([
  ["true", true],
  ["false", false],
  ["1", true],
  ["0", false],
]);
/** `true`/`false`/`1`/`0` in any case, or a TOML boolean/number. */
export const flag = z.preprocess(
  (value) =>
    typeof value === "string" || typeof value === "number"
      ? (BOOLEANS.get(String(value).trim().toLowerCase()) ?? value)
      : value,
  z.boolean(),
);

export const trim = z.preprocess(textual, z.string()).transform((raw, ctx): TrimPolicy => {
  const value = raw.trim();
  if (value === "none" || value === "acked") {
    return { kind: value };
  }
  const match = /^maxlen:(\d+)$/.exec(value);
  const maxLen = match?.[1] === undefined ? Number.NaN : Number(match[1]);
  if (Number.isSafeInteger(maxLen) && maxLen >= 1) {
    return { kind: "maxlen", maxLen };
  }
  ctx.addIssue({ code: "custom", message: "bad TRIM" });
  return z.NEVER;
});

export const backoff = z.preprocess(
  (value) => (typeof value === "string" ? value.trim() : value),
  z.enum(["fixed", "exponential"]),
);

export const cron = z
  .preprocess(textual, z.string())
  .refine((s) => s.trim().split(/\s+/).length === 5);
