/**
 * @module A payments consumer on this library: validate each order event, charge it,
 * dead-letter what can never succeed. Deploy it as your Worker's main module:
 * `main = "examples/payments.ts"` in wrangler.toml (in your project: import from
 * "redis-streams-worker/worker").
 */
import { createWorker, type MessageHandler, PermanentError } from "../src/handlers/worker";

/** What a valid payment event carries. */
export type Payment = { orderID: string; amount: number; currency: string };

/**
 * Checks the fields of one event. Bad input can never succeed on retry, so it throws
 * PermanentError: the message goes to the dead-letter stream at once.
 */
export function parsePayment(fields: Record<string, string>): Payment {
  const { orderID, amount, currency = "EUR" } = fields;
  if (!orderID || !/^[A-Za-z0-9-]{1,64}$/.test(orderID)) {
    throw new PermanentError(
      `orderID must be 1-64 letters, digits or dashes, got ${JSON.stringify(orderID ?? null)}`,
    );
  }
  const value = Number(amount);
  if (amount === undefined || amount.trim() === "" || !Number.isFinite(value) || value <= 0) {
    throw new PermanentError(
      `amount must be a positive number, got ${JSON.stringify(amount ?? null)}`,
    );
  }
  return { orderID, amount: value, currency };
}

/**
 * Builds the handler around your payment call. `charge` throwing an ordinary error (a
 * timeout, a 503) leaves the message pending: the sweep retries it with backoff and
 * dead-letters it after MAX_DELIVERIES. Pass `message.originalId` on as an idempotency key
 * (it survives a redrive, which gives the message a new id):
 * delivery is at-least-once.
 */
export function paymentsHandler(
  charge: (payment: Payment, idempotencyKey: string) => Promise<void>,
): MessageHandler {
  return async (message) => {
    const payment = parsePayment(message.fields);
    await charge(payment, `${message.stream}:${message.originalId}`);
  };
}

export default createWorker({
  handler: paymentsHandler(async (payment, idempotencyKey) => {
    // Replace with your payment provider's SDK call, passing idempotencyKey along.
    console.log(JSON.stringify({ event: "charged", ...payment, idempotencyKey }));
  }),
});
