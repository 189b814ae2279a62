/** @module Delays of the Queues API's consumer: a `retry({ delaySeconds })`, checked as Cloudflare checks it. */
import { describeRange, RANGES } from "../config/ranges";
import { StreamsWorkerError } from "../errors";

/** A `delaySeconds` outside 0 to 86,400 (24 hours) or not an integer. */
export class InvalidDelayError extends StreamsWorkerError {
  override readonly name = "InvalidDelayError";

  constructor(got: unknown) {
    const shown = typeof got === "number" ? String(got) : `a value of type ${typeof got}`;
    super(
      "INVALID_DELAY",
      `delaySeconds must be ${describeRange(RANGES.delaySeconds)}, got ${shown}`,
    );
  }
}

/**
 * The delay in ms of a `retry({ delaySeconds })`.
 * @param fallbackMs the delay when `delaySeconds` is not given (RETRY_DELAY_S)
 * @throws InvalidDelayError when it is not an integer from 0 to 86,400
 */
export function delayMsOf(delaySeconds: unknown, fallbackMs: number): number {
  if (delaySeconds === undefined) {
    return fallbackMs;
  }
  const [min, max] = RANGES.delaySeconds;
  if (typeof delaySeconds !== "number" || !Number.isInteger(delaySeconds)) {
    throw new InvalidDelayError(delaySeconds);
  }
  if (delaySeconds < min || delaySeconds > max) {
    throw new InvalidDelayError(delaySeconds);
  }
  return delaySeconds * 1000;
}
