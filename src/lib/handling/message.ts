/** @module What a handler receives, and the handler contract shared by the drain and the sweep. */

/** One stream entry handed to a handler. */
export type StreamMessage = {
  id: string;
  stream: string;
  group: string;
  /** The consumer this invocation reads as. */
  consumer: string;
  /** The entry's field/value pairs, verbatim strings. */
  fields: Record<string, string>;
  /** Redis's delivery counter for this entry: 1 on first delivery, grows with each retry. */
  deliveries: number;
};

/** What a handler may use besides the message. */
export type HandlerContext = {
  /**
   * Aborted when the drain or sweep is aborted through its own `signal` option (a caller
   * cutting the run short); long handlers should stop early. The ready-made Worker passes
   * no such signal: there, Cloudflare ends the invocation instead.
   */
  signal: AbortSignal;
};

/**
 * Resolving acks the message; throwing leaves it pending for the sweep to retry;
 * throwing `PermanentError` dead-letters it at once.
 */
export type MessageHandler = (message: StreamMessage, ctx: HandlerContext) => Promise<void> | void;
