/** @module Consumer names derived from one invocation: `cron-<time>-<rand>`, `http-<ray>-<rand>`. */

/** Longest consumer name this package creates or accepts. */
export const MAX_CONSUMER_NAME_LENGTH = 64;

const RAND_LENGTH = 6;
const VALID = /^[A-Za-z0-9._:-]+$/;
const INVALID_CHAR = /[^A-Za-z0-9._:-]/g;

/** Six hex characters of a random UUID: enough to keep two invocations of one tick apart. */
export function randomSuffix(): string {
  return crypto.randomUUID().replaceAll("-", "").slice(0, RAND_LENGTH);
}

/**
 * `<kind>-<stamp>-<rand>` with the stamp sanitized and cut so the whole fits in 64 characters.
 * The stamp is cut rather than the random part, which is what keeps names unique.
 */
function buildName(kind: string, stamp: string, rand: string): string {
  const safeRand = rand.replace(INVALID_CHAR, "_").slice(0, RAND_LENGTH * 4) || "0";
  const room = MAX_CONSUMER_NAME_LENGTH - kind.length - safeRand.length - 2;
  const safeStamp = stamp.replace(INVALID_CHAR, "_").slice(0, Math.max(room, 1));
  return `${kind}-${safeStamp}-${safeRand}`;
}

/**
 * Consumer name of a cron invocation: `cron-<scheduledTime>-<rand>`.
 * @param scheduledTime `controller.scheduledTime` (ms since epoch)
 * @param rand random suffix; defaults to 6 hex characters of `crypto.randomUUID()`
 * @example cronConsumerName(1795709122000) // "cron-1795709122000-3f9a1c"
 */
export function cronConsumerName(scheduledTime: number, rand: () => string = randomSuffix): string {
  return buildName("cron", String(scheduledTime), rand());
}

/**
 * Consumer name of an HTTP invocation: `http-<cf-ray>-<rand>`, or `http-<now>-<rand>` when
 * the request has no `cf-ray` header (local dev, tests).
 * @param cfRay value of the `cf-ray` request header
 * @param now fallback stamp; defaults to `Date.now()`
 * @param rand random suffix; defaults to 6 hex characters of `crypto.randomUUID()`
 * @example httpConsumerName("8f1a2b3c4d5e6f70-FRA") // "http-8f1a2b3c4d5e6f70-FRA-3f9a1c"
 */
export function httpConsumerName(
  cfRay: string | undefined | null,
  now: number = Date.now(),
  rand: () => string = randomSuffix,
): string {
  const stamp = cfRay ? cfRay : String(now);
  return buildName("http", stamp, rand());
}

/**
 * Whether `name` is a consumer name this package could have made: only `[A-Za-z0-9._:-]`,
 * 1 to 64 characters.
 */
export function isValidConsumerName(name: string): boolean {
  return name.length <= MAX_CONSUMER_NAME_LENGTH && VALID.test(name);
}
