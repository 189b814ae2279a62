/** @module Parsers of the env variables' values: TOML numbers and strings normalised, rules checked. */

/** What to trim after a sweep. */
export type TrimPolicy = { kind: "none" } | { kind: "acked" } | { kind: "maxlen"; maxLen: number };

/** Reclaim schedule of the sweep. */
export type RetryBackoff = "fixed" | "exponential";

/** Reads one variable's raw value: the parsed value, or `undefined` when it breaks the rule. */
export type Parser<T> = (raw: unknown) => T | undefined;

export const isUnset = (value: unknown): boolean =>
  value === undefined || value === null || value === "";

/** Vars set as TOML numbers arrive as numbers; everything else as strings. */
function text(value: unknown): string | undefined {
  if (typeof value === "number" && Number.isFinite(value)) {
    return String(value);
  }
  return typeof value === "string" ? value : undefined;
}

const INTEGER_TEXT = /^[+-]?\d+$/;

/** An integer within `[min, max]`, from a TOML number or a string of digits (sign allowed). */
export const integer =
  ([min, max]: readonly [number, number]): Parser<number> =>
  (raw) => {
    const value =
      typeof raw === "string" && INTEGER_TEXT.test(raw.trim()) ? Number(raw.trim()) : raw;
    return typeof value === "number" && Number.isInteger(value) && value >= min && value <= max
      ? value
      : undefined;
  };

// Control characters would corrupt logs and the `key:suffix` names built from these.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching them is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** A stream, group or dead-letter key: 1 to 256 characters, no control characters. */
export const keyName: Parser<string> = (raw) => {
  const s = text(raw);
  return s !== undefined && s.length >= 1 && s.length <= 256 && !CONTROL.test(s) ? s : undefined;
};

/** A token: any non-empty string. */
export const secret: Parser<string> = (raw) => {
  const s = text(raw);
  return s !== undefined && s.length >= 1 ? s : undefined;
};

/** An absolute http(s) URL with a host. */
export const httpUrl: Parser<string> = (raw) => {
  const s = text(raw);
  if (s === undefined) {
    return undefined;
  }
  try {
    const url = new URL(s.trim());
    const ok = (url.protocol === "http:" || url.protocol === "https:") && url.hostname !== "";
    return ok ? s : undefined;
  } catch {
    return undefined;
  }
};

/** `$`, `0` or a stream id (`<ms>` or `<ms>-<seq>`). */
export const groupStartId: Parser<string> = (raw) => {
  const s = text(raw);
  return s !== undefined && /^(\$|0|\d+(-\d+)?)$/.test(s) ? s : undefined;
};

const BOOLEANS = new Map([
  ["true", true],
  ["false", false],
  ["1", true],
  ["0", false],
]);

/** `true`/`false`/`1`/`0` in any case, or a TOML boolean/number. */
export const flag: Parser<boolean> = (raw) => {
  if (typeof raw === "boolean") {
    return raw;
  }
  return typeof raw === "string" || typeof raw === "number"
    ? BOOLEANS.get(String(raw).trim().toLowerCase())
    : undefined;
};

/** `none`, `acked` or `maxlen:N` with N ≥ 1. */
export const trim: Parser<TrimPolicy> = (raw) => {
  const value = text(raw)?.trim();
  if (value === "none" || value === "acked") {
    return { kind: value };
  }
  const match = /^maxlen:(\d+)$/.exec(value ?? "");
  const maxLen = match?.[1] === undefined ? Number.NaN : Number(match[1]);
  return Number.isSafeInteger(maxLen) && maxLen >= 1 ? { kind: "maxlen", maxLen } : undefined;
};

/** `fixed` or `exponential`. */
export const backoff: Parser<RetryBackoff> = (raw) => {
  const value = typeof raw === "string" ? raw.trim() : undefined;
  return value === "fixed" || value === "exponential" ? value : undefined;
};

/** Five fields separated by white space (Cloudflare checks the rest on deploy). */
export const cron: Parser<string> = (raw) => {
  const s = text(raw);
  return s !== undefined && s.trim().split(/\s+/).length === 5 ? s : undefined;
};
