// The Worker of examples/multi-stream/wrangler.toml: three streams, two handlers. The third
// stream, webhooks:github, has no handler here, so its messages are POSTed to its targetUrl.
import { createWorker, type MessageHandler, PermanentError } from "redis-streams-worker/worker";
import { paymentsHandler } from "../payments";

// Charges one order (orders:payments only), on the checks of examples/payments.ts: bad input
// is dead-lettered at once (to orders:payments:dead).
const pay = paymentsHandler(async (payment, idempotencyKey) => {
  const response = await fetch("https://payments.example.com/charge", {
    method: "POST",
    // The same key on every redelivery and after a redrive: the provider drops duplicates.
    headers: { "content-type": "application/json", "idempotency-key": idempotencyKey },
    body: JSON.stringify(payment),
  });
  if (response.status >= 400 && response.status < 500) {
    throw new PermanentError(`charge refused: ${response.status}`);
  }
  if (!response.ok) {
    // Any other throw leaves the message pending: the sweep retries it, up to 5 failed runs.
    throw new Error(`charge failed: ${response.status}`);
  }
});

/** Sends one email. Runs for emails only. */
const send: MessageHandler = async (message, { signal }) => {
  const { to, template } = message.fields;
  if (!to?.includes("@") || !template) {
    throw new PermanentError("to (an address) and template are required");
  }
  const response = await fetch("https://mail.example.com/send", {
    method: "POST",
    headers: {
      "content-type": "application/json",
      // One email per message, however often it is delivered.
      "idempotency-key": `${message.stream}:${message.originalId}`,
    },
    body: JSON.stringify({ to, template, data: message.fields }),
    signal,
  });
  if (response.status === 422) {
    // The provider will never accept this one (an unknown template, a bounced address).
    throw new PermanentError(`email refused: ${response.status}`);
  }
  if (!response.ok) {
    // Rate limited or down: the next sweep retries it once idle 30 s (fixed backoff here).
    throw new Error(`email failed: ${response.status}`);
  }
};

// Keys are stream names of STREAMS; a key naming no configured stream stops the crons
// (cron_skipped), so a typo cannot leave a stream to the wrong handler.
export default createWorker({ handlers: { "orders:payments": pay, emails: send } });
