import { describe, expect, it } from "vitest";
import { parsePayment, paymentsHandler } from "../../examples/payments";
import { PermanentError } from "../../src/lib/errors";

const message = (fields: Record<string, string>) => ({
  id: "1-0",
  originalId: "1-0",
  stream: "orders:payments",
  group: "payment-processors",
  consumer: "c",
  fields,
  pairs: Object.entries(fields),
  deliveries: 1,
});
const ctx = { signal: new AbortController().signal };

describe("the payments example", () => {
  it("accepts a valid order and passes an idempotency key to the charge", async () => {
    const charged: string[] = [];
    await paymentsHandler(async (p, key) => void charged.push(`${p.orderID}:${p.amount}:${key}`))(
      message({ orderID: "A-1", amount: "12.50" }),
      ctx,
    );
    expect(charged).toEqual(["A-1:12.5:orders:payments:1-0"]);
  });

  it.each([
    [{ amount: "5" }, /orderID/],
    [{ orderID: "A 1", amount: "5" }, /orderID/],
    [{ orderID: "A-1", amount: "-3" }, /amount must be a positive number, got "-3"/],
    [{ orderID: "A-1", amount: "abc" }, /amount/],
    [{ orderID: "A-1" }, /amount/],
  ])("dead-letters bad input %o with a PermanentError", (fields, text) => {
    expect(() => parsePayment(fields)).toThrow(PermanentError);
    expect(() => parsePayment(fields)).toThrow(text);
  });

  it("lets a failing charge throw an ordinary error so the sweep retries it", async () => {
    const handler = paymentsHandler(async () => {
      throw new Error("provider 503");
    });
    const attempt = handler(message({ orderID: "A-1", amount: "1" }), ctx);
    await expect(attempt).rejects.toThrow("provider 503");
    await expect(attempt).rejects.not.toBeInstanceOf(PermanentError);
  });
});
