/** @module What a handler run came to, judged the same way by the drain and the sweep. */
import { errorMessage } from "../errors";
import type { HandlerContext, MessageHandler, StreamMessage } from "./message";
import { retryDelayOf } from "./retry";

/**
 * A handler run: it resolved, or threw (`permanent` for a PermanentError: dead-letter now;
 * `retryDelayMs` > 0 for a RetryLaterError: not to be delivered again before then).
 */
export type HandlerOutcome =
  | { ok: true }
  | { ok: false; permanent: boolean; error: string; retryDelayMs?: number };

/** The stable `code` of `PermanentError`. */
const PERMANENT = "PERMANENT";

/**
 * Whether a handler's error asks to dead-letter the message at once. Judged by the stable
 * `code`, not `instanceof`: a Worker may bundle a second copy of this package (its own
 * handler code importing another version), whose `PermanentError` is another class.
 */
export function isPermanentError(e: unknown): boolean {
  return typeof e === "object" && e !== null && (e as { code?: unknown }).code === PERMANENT;
}

/**
 * Calls the handler and says how it ended. A throw is an outcome, not a failure of the run:
 * the caller counts it, leaves the message pending, or dead-letters it with `error`'s text.
 */
export async function runHandler(
  handler: MessageHandler,
  message: StreamMessage,
  ctx: HandlerContext,
): Promise<HandlerOutcome> {
  try {
    await handler(message, ctx);
    return { ok: true };
  } catch (e) {
    const retryDelayMs = retryDelayOf(e);
    const failed = { ok: false as const, permanent: isPermanentError(e), error: errorMessage(e) };
    return retryDelayMs > 0 ? { ...failed, retryDelayMs } : failed;
  }
}
