/** @module The webhook handler: the ready-made message handler that POSTs each message to TARGET_URL. */
import {
  DEFAULTS,
  errorMessage,
  type HandlerContext,
  type MessageHandler,
  PermanentError,
  type StreamMessage,
  StreamsWorkerError,
} from "../lib/index";
import { classifyStatus, describeTarget, targetRequest } from "../lib/webhook/policy";

export type WebhookHandlerOptions = {
  /** Where each message is POSTed. */
  targetUrl: string;
  /** Per-delivery timeout, body included. @default 10000 (DEFAULTS.targetTimeoutMs) */
  timeoutMs?: number;
  /** The fetch to use; tests and custom Workers may pass their own. @default globalThis.fetch */
  fetch?: typeof fetch;
};

/**
 * A delivery that may succeed later: 408, 429, 5xx, a timeout or a network error. The
 * message stays pending and the sweep retries it. `status` is `null` when no answer came.
 */
export class DeliveryError extends StreamsWorkerError {
  readonly status: number | null;

  constructor(status: number | null, message: string, options?: { cause?: unknown }) {
    super("DELIVERY_FAILED", message, options);
    this.name = "DeliveryError";
    this.status = status;
  }
}

/** A {@link MessageHandler} that always returns a promise. */
export type AsyncMessageHandler = (message: StreamMessage, ctx: HandlerContext) => Promise<void>;

/** Enough of the target's answer to tell why it refused, not so much it floods the DLQ. */
const BODY_PREVIEW = 200;

/**
 * Builds the webhook handler: `POST targetUrl` with the JSON of {@link webhookBody} and the
 * headers `Idempotency-Key: <stream>:<originalId>` (the same on every retry and after a
 * redrive, so the target can drop duplicates) and `X-Stream-Deliveries: <n>`; userinfo in the URL becomes
 * `Authorization: Basic`. Redirects are not followed.
 * Errors name the target by origin and path only: its userinfo and query stay out of logs.
 * @throws DeliveryError on 408, 429, 5xx, timeout or network error (stays pending)
 * @throws PermanentError on any other non-2xx status (dead-lettered at once)
 * @see classifyStatus
 */
export function createWebhookHandler(options: WebhookHandlerOptions): AsyncMessageHandler {
  const doFetch = options.fetch ?? globalThis.fetch.bind(globalThis);
  const timeoutMs = options.timeoutMs ?? DEFAULTS.targetTimeoutMs;
  const target = describeTarget(options.targetUrl);
  const request = targetRequest(options.targetUrl);

  return async (message: StreamMessage, ctx: HandlerContext): Promise<void> => {
    // A timer cleared when the delivery ends, not AbortSignal.timeout: that one stays armed
    // for its whole length, and workerd allows 10,000 active timers per invocation, which a
    // drain delivering over 1,000 messages/s at the 10 s default would pass.
    const timeout = new AbortController();
    const timer = setTimeout(() => timeout.abort(), timeoutMs);
    try {
      await deliver(message, AbortSignal.any([timeout.signal, ctx.signal]), () =>
        timeout.signal.aborted
          ? `timed out after ${timeoutMs} ms`
          : ctx.signal.aborted
            ? "aborted: the invocation is ending"
            : undefined,
      );
    } finally {
      clearTimeout(timer);
    }
  };

  async function deliver(
    message: StreamMessage,
    signal: AbortSignal,
    cut: () => string | undefined,
  ): Promise<void> {
    const failed = (cause: unknown): DeliveryError => {
      const why = cut() ?? `failed: ${withoutUrls(networkReason(cause))}`;
      return new DeliveryError(null, `POST ${target} ${why}`, { cause });
    };

    let response: Response;
    try {
      response = await doFetch(request.url, {
        method: "POST",
        headers: {
          ...(request.authorization ? { authorization: request.authorization } : {}),
          "content-type": "application/json",
          "idempotency-key": `${message.stream}:${message.originalId}`,
          "x-stream-deliveries": String(message.deliveries),
        },
        body: JSON.stringify(webhookBody(message)),
        redirect: "manual",
        signal,
      });
    } catch (e) {
      throw failed(e);
    }

    const outcome = classifyStatus(response.status);
    if (outcome === "success") {
      // An unread body keeps the connection busy until the invocation ends.
      await response.body?.cancel();
      return;
    }
    let detail: string;
    try {
      detail = (await response.text()).slice(0, BODY_PREVIEW).trim();
    } catch (e) {
      throw failed(e);
    }
    const text = `POST ${target} answered ${response.status}${detail ? `: ${detail}` : ""}`;
    if (outcome === "permanent") {
      throw new PermanentError(text);
    }
    throw new DeliveryError(response.status, text);
  }
}

/**
 * What the forwarder POSTs: `{ id, originalId, stream, group, deliveries, fields }`, plus
 * `pairs` (every field/value pair in order) when a field name repeats, which `fields` cannot
 * show; a target that needs them all reads `pairs` when present.
 */
export function webhookBody(message: StreamMessage): Record<string, unknown> {
  const { id, originalId, stream, group, deliveries, fields, pairs } = message;
  const body: Record<string, unknown> = { id, originalId, stream, group, deliveries, fields };
  if (new Set(pairs.map(([name]) => name)).size < pairs.length) {
    body.pairs = pairs;
  }
  return body;
}

/** Node's fetch says only "fetch failed"; the reason (ECONNREFUSED ...) is in its cause. */
function networkReason(e: unknown): string {
  const inner = e instanceof Error && e.cause !== undefined ? `: ${errorMessage(e.cause)}` : "";
  return `${errorMessage(e)}${inner}`;
}

/** Network errors may quote the request URL, query string included. */
function withoutUrls(text: string): string {
  return text.replace(/\b[a-z][a-z0-9+.-]*:\/\/\S+/gi, "<url>");
}
