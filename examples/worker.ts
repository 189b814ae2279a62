// src/index.ts of your Worker (wrangler.toml: main = "src/index.ts")
import { createWorker, PermanentError } from "redis-streams-worker/worker";

export default createWorker({
  handler: async (message, { signal }) => {
    const { orderID, amount } = message.fields;
    if (!orderID || !amount) {
      // Retrying cannot fix bad input: dead-letter it now.
      throw new PermanentError("orderID and amount are required");
    }
    const response = await fetch("https://payments.example.com/charge", {
      method: "POST",
      headers: {
        "content-type": "application/json",
        // The same key on every redelivery and after a redrive: the provider drops duplicates.
        "idempotency-key": `${message.stream}:${message.originalId}`,
      },
      body: JSON.stringify({ orderID, amount }),
      signal,
    });
    if (response.status >= 400 && response.status < 500) {
      throw new PermanentError(`charge refused: ${response.status}`);
    }
    if (!response.ok) {
      // Any other throw leaves the message pending: the sweep retries it later.
      throw new Error(`charge failed: ${response.status}`);
    }
  },
});
