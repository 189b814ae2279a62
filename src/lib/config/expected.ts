/** @module How the valid values of the environment variables are described to users. */
import { CONFIG_RANGES } from "./env-ranges";
import { describeRange, RANGES } from "./ranges";

/** A value as code in the README's table. */
export const code = (value: string): string => `\`${value}\``;

export type RangedName = keyof typeof CONFIG_RANGES;

/** "an integer between 1 and 10000" for a ranged variable. */
export const between = (name: RangedName): string => describeRange(CONFIG_RANGES[name]);

export const NAME_RULE = "a non-empty string of at most 256 characters without control characters";
export const HTTP_URL = "an http(s) URL, any user name and password in it percent-encoded";
export const BEARER =
  "a bearer token (RFC 6750): letters, digits and - . _ ~ + / only, then any = padding";
export const CRON =
  "a cron expression of 5 fields as Cloudflare Cron Triggers take it: minute 0-59, hour 0-23, day of month 1-31 (or L, LW, L-n, nW), month 1-12 or JAN-DEC, day of week 1-7 or SUN-SAT with 1 = Sunday (or L, nL, n#k); each a value, *, a list a,b, a range a-b or a step /n";
export const STREAMS_RULE = `a JSON array of ${RANGES.streams[0]} to ${RANGES.streams[1]} objects, each with stream and group`;
