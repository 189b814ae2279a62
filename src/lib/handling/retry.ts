/** @module A handler's request to run a message again, no earlier than a delay. */
import { type StreamsErrorOptions, StreamsWorkerError } from "../errors";

/** The stable `code` of {@link RetryLaterError}. */
export const RETRY_LATER = "RETRY_LATER";

/**
 * Thrown by a handler to fail this run and have the message delivered again no earlier than
 * `delayMs` from now (the Queues API's `retry({ delaySeconds })`). The run counts as failed
 * (towards MAX_DELIVERIES); the sweep leaves the message alone until the delay has passed,
 * then retries it when it is also ripe by MIN_IDLE_MS and RETRY_BACKOFF.
 */
export class RetryLaterError extends StreamsWorkerError {
  override readonly name = "RetryLaterError";
  readonly delayMs: number;

  /**
   * @param delayMs at least this long from now, 0 for no more than the usual backoff
   * @param message why the run failed (the handler's error text, or that a retry was asked)
   */
  constructor(delayMs: number, message: string, options?: StreamsErrorOptions) {
    super(RETRY_LATER, message, options);
    this.delayMs = delayMs;
  }
}

/**
 * The delay a handler's error asks for, in ms: its `delayMs` when it is a
 * {@link RetryLaterError} (judged by `code`, as PermanentError is: a second bundled copy of
 * the package has other classes), else 0.
 */
export function retryDelayOf(e: unknown): number {
  if (typeof e !== "object" || e === null || (e as { code?: unknown }).code !== RETRY_LATER) {
    return 0;
  }
  const delayMs = (e as { delayMs?: unknown }).delayMs;
  return typeof delayMs === "number" && Number.isFinite(delayMs) && delayMs > 0 ? delayMs : 0;
}
