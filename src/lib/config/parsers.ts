/** @module Parsers of the env variables' values: TOML numbers and strings normalised, rules checked. */

import { isStreamIdArgument } from "../replies/stream-id";
import { cronProblem } from "./cron";

/** What to trim after a sweep. */
export type TrimPolicy = { kind: "none" } | { kind: "acked" } | { kind: "maxlen"; maxLen: number };

/** Reclaim schedule of the sweep. */
export type RetryBackoff = "fixed" | "exponential";

/**
 * Why a value that has the right shape is still refused (a bad percent-escape, an id past 64
 * bits), for the error message; it never quotes the value itself.
 */
export class Refusal {
  constructor(readonly why: string) {}
}

/**
 * Reads one variable's raw value: the parsed value, or `undefined` when it breaks the rule
 * (a {@link Refusal} when there is more to say than the rule).
 */
export type Parser<T> = (raw: unknown) => T | Refusal | undefined;

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

/** RFC 6750 `b68token`: what `Authorization: Bearer <token>` can carry. */
const BEARER_TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;

/**
 * A token sent as `Authorization: Bearer <token>`: letters, digits, `-._~+/`, then `=`
 * padding. Anything else (a space, a quote, a non-ASCII letter) cannot reach the other side
 * intact: such an ADMIN_TOKEN would lock the admin out for good.
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-2.1
 */
export const bearerToken: Parser<string> = (raw) => {
  const s = text(raw);
  return s !== undefined && BEARER_TOKEN.test(s) ? s : undefined;
};

/** Whether a URL's userinfo decodes: the webhook handler turns it into `Authorization: Basic`. */
function decodes(component: string): boolean {
  try {
    decodeURIComponent(component);
    return true;
  } catch {
    return false;
  }
}

/**
 * An absolute http(s) URL with a host, whose user name and password (if any) are validly
 * percent-encoded.
 */
export const httpUrl: Parser<string> = (raw) => {
  const s = text(raw);
  let url: URL;
  try {
    url = new URL(s?.trim() ?? "");
  } catch {
    return undefined;
  }
  if ((url.protocol !== "http:" && url.protocol !== "https:") || url.hostname === "") {
    return undefined;
  }
  if (!decodes(url.username) || !decodes(url.password)) {
    return new Refusal(
      "its user name or password has a malformed percent-escape (% must start %XX, two hex digits)",
    );
  }
  return s;
};

/** `$`, `0` or a stream id (`<ms>` or `<ms>-<seq>`), each part within 64 bits. */
export const groupStartId: Parser<string> = (raw) => {
  const s = text(raw);
  if (s === "$" || s === "0") {
    return s;
  }
  if (s === undefined || !/^\d+(-\d+)?$/.test(s)) {
    return undefined;
  }
  return isStreamIdArgument(s)
    ? s
    : new Refusal("a part of the id is above 18446744073709551615 (2^64 - 1)");
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

/** How the cron drains: see `DEFAULTS.drainMode`. */
export type DrainMode = "continuous" | "cron";

export const drainMode: Parser<DrainMode> = (raw) => {
  const value = typeof raw === "string" ? raw.trim() : undefined;
  return value === "continuous" || value === "cron" ? value : undefined;
};

/** A cron expression Cloudflare's Cron Triggers take, see {@link cronProblem}. */
export const cron: Parser<string> = (raw) => {
  const s = text(raw);
  if (s === undefined) {
    return undefined;
  }
  const problem = cronProblem(s);
  return problem === undefined ? s : new Refusal(problem);
};
